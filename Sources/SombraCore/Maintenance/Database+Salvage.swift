/// `salvage(_:into:)`: everything still readable from a damaged database,
/// written into a new consistent one, and an exact account of what was lost.
///
/// The source is never written: it is opened read-only, or, when that fails,
/// read raw (`SalvagePages`). Steps:
/// 1. Tree membership: from the header's roots (when page 0 is readable), the
///    interior pages of the catalog, nodes, edges, adjacency and labels trees
///    are walked (verified pages only, a visited set, at most `BTree.maxDepth`
///    levels) and each page reached is marked with its tree.
/// 2. Every page 1 ..< page count is read and verified; a bad one is listed in
///    `badPages`. Each good leaf is read as the tree it was marked with, or, when
///    it was not reached (its parent is damaged), as the tree its contents fit:
///    8-byte keys whose values decode as node (else edge) records; 9- or
///    29-byte adjacency keys whose values decode as adjacency lists; 12-byte
///    label keys; catalog keys (first byte 1 ... 7).
///    Property-index leaves are not read: the index is rebuilt.
/// 3. Records: a node or edge whose value (or overflow chain) does not decode is
///    lost with its id known. What existed is known from the label index and
///    adjacency entries found: a node or edge id they name that was not
///    recovered is lost, with its labels or type when those entries tell.
/// 4. Edges whose source or target was not recovered are dropped (and listed).
/// 5. The new database (same page size; must not exist) gets the catalog names
///    with their ids (a name that was lost but is used gets a placeholder
///    `salvaged-<kind>-<id>`), the index definitions, then the nodes and edges
///    with their ids, which re-creates adjacency, label and property indexes and
///    counts; next ids are at least the source header's. It is written as
///    `NEW.salvage-tmp` (a stale one from a crashed salvage is removed first),
///    closed cleanly, its empty WAL removed, then renamed to NEW and the
///    directory fsynced: after a crash NEW is absent or whole.
/// Every file operation goes through the given `StorageSystem`.
package struct SalvageReport: Sendable, Equatable {
  package struct Lost: Sendable, Equatable {
    package var id: UInt64
    /// Labels of a node, or the type of an edge, where known.
    package var names: [String]
    package var reason: String
  }

  /// True when the database opened read-only; false when its files were read raw.
  package var openedNormally = true
  /// Why the normal open failed.
  package var openError: String?
  package var pageSize = 0
  package var pagesScanned = 0
  package var badPages: [PageNumber] = []
  package var walFrames = 0
  package var walNote: String?
  package var recoveredNodes = 0
  package var recoveredEdges = 0
  package var lostNodes: [Lost] = []
  package var lostEdges: [Lost] = []
  /// Names made up for catalog ids whose names were lost.
  package var placeholderNames: [String] = []
  /// Records found twice (the first copy is kept).
  package var duplicateRecords = 0

  /// Nothing lost.
  package var isComplete: Bool { badPages.isEmpty && lostNodes.isEmpty && lostEdges.isEmpty }
}

extension Database {
  /// Salvages the database at `path` into the new file `newPath` (see `SalvageReport`).
  package static func salvage(
    _ path: String, into newPath: String, storage: any StorageSystem = POSIXStorageSystem()
  ) throws -> SalvageReport {
    for p in [newPath, newPath + ".wal"] where storage.exists(p) {
      throw SombraError.invalidArgument("\(p) already exists; salvage writes a new file and never overwrites one")
    }
    guard storage.exists(path) else { throw SombraError.io("open", errno: 2, path: path) }
    var report = SalvageReport()
    let salvager = Salvager()
    do {
      let database = try Database.open(path, options: .readOnly, storage: storage)
      defer { try? database.close() }
      let tx = try database.beginRead()
      defer { tx.end() }
      try salvager.scan(SalvagePages.snapshot(database, tx))
    } catch {
      report.openedNormally = false
      report.openError = (error as? SombraError)?.description ?? "\(error)"
      salvager.reset()
      let (pages, close) = try SalvagePages.raw(path, storage: storage)
      defer { close() }
      try salvager.scan(pages)
    }
    salvager.account(into: &report)
    try salvager.write(newPath, storage: storage, report: &report)
    return report
  }
}
