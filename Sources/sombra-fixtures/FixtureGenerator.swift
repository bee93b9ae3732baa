import SombraCore

/// Writes every fixture of `Fixtures/` (see `Fixtures/README.md` for what each
/// is and what `sombra-verify` must report) into a directory, deterministically:
/// 4096-byte pages, fixed content, no clock and no randomness (WAL salts are
/// rewritten to fixed values, `WALRewrite`). The same run makes the same bytes,
/// so the tests regenerate them and compare with the checked-in copies.
///
/// Every broken fixture is `valid/small.sombra` (`SmallGraph`) plus exactly
/// one defect, made through package APIs in a write transaction (`tx.pages`,
/// `BTree.insert`/`remove`, `withMutablePage`; the pager seals the page) or by
/// editing file bytes at computed offsets (`Damage.swift`).
package enum FixtureGenerator {
  package static let pageSize = 4096

  /// One fixture: its files (paths relative to the output directory) and how
  /// they are made.
  package struct Recipe: Sendable {
    /// `valid/small`, `broken/bad-magic`, ...: the files are NAME.sombra and,
    /// when `hasWAL`, NAME.sombra.wal.
    package let name: String
    package let hasWAL: Bool
    let make: @Sendable (_ path: String, _ small: String) throws -> Void

    package var files: [String] { hasWAL ? [name + ".sombra", name + ".sombra.wal"] : [name + ".sombra"] }
  }

  /// Every fixture, in the order written; `valid/small` comes first (the others
  /// start from it).
  package static let recipes: [Recipe] = [
    Recipe(name: "valid/small", hasWAL: false) { path, _ in try SmallGraph.make(at: path) },
    Recipe(name: "valid/wal-pending", hasWAL: true) { path, small in try Damage.walPending(path, from: small) },
    Recipe(name: "broken/bad-magic", hasWAL: false) { path, small in try Damage.badMagic(path, from: small) },
    Recipe(name: "broken/header-checksum", hasWAL: false) { path, small in try Damage.headerChecksum(path, from: small) },
    Recipe(name: "broken/page-checksum", hasWAL: false) { path, small in try Damage.pageChecksum(path, from: small) },
    Recipe(name: "broken/torn-wal-tail", hasWAL: true) { path, small in try Damage.tornWALTail(path, from: small) },
    Recipe(name: "broken/stale-wal-frame", hasWAL: true) { path, small in try Damage.staleWALFrame(path, from: small) },
    Recipe(name: "broken/btree-key-order", hasWAL: false) { path, small in try Damage.btreeKeyOrder(path, from: small) },
    Recipe(name: "broken/child-cycle", hasWAL: false) { path, small in try Damage.childCycle(path, from: small) },
    Recipe(name: "broken/dangling-edge", hasWAL: false) { path, small in try Damage.danglingEdge(path, from: small) },
    Recipe(name: "broken/missing-adjacency", hasWAL: false) { path, small in try Damage.missingAdjacency(path, from: small) },
    Recipe(name: "broken/index-entry-without-record", hasWAL: false) { path, small in
      try Damage.indexEntryWithoutRecord(path, from: small)
    },
    Recipe(name: "broken/wrong-count", hasWAL: false) { path, small in try Damage.wrongCount(path, from: small) },
    Recipe(name: "broken/free-page-in-use", hasWAL: false) { path, small in try Damage.freePageInUse(path, from: small) },
  ]

  /// Writes every fixture under `directory` (creating `valid/` and `broken/`)
  /// and returns the files written, relative to it, with their sizes.
  @discardableResult
  package static func writeAll(into directory: String) throws -> [(file: String, bytes: Int)] {
    try FixtureFiles.makeDirectory(directory)
    for sub in ["valid", "broken"] { try FixtureFiles.makeDirectory(directory + "/" + sub) }
    let small = directory + "/valid/small.sombra"
    var written: [(file: String, bytes: Int)] = []
    for recipe in recipes {
      let path = directory + "/" + recipe.name + ".sombra"
      // Start from nothing: the engine must create, not reuse, a database.
      try FixtureFiles.remove(path)
      try FixtureFiles.remove(path + ".wal")
      try recipe.make(path, small)
      if !recipe.hasWAL {
        // A clean close leaves an empty WAL; a fixture without one is the same database.
        guard try FixtureFiles.read(path + ".wal")?.isEmpty ?? true else {
          throw SombraError.misuse("\(recipe.name) left a non-empty WAL; declare it hasWAL")
        }
        try FixtureFiles.remove(path + ".wal")
      }
      for file in recipe.files {
        guard let bytes = try FixtureFiles.read(directory + "/" + file) else {
          throw SombraError(.notFound, "\(recipe.name) did not write \(file)")
        }
        written.append((file, bytes.count))
      }
    }
    return written
  }
}
