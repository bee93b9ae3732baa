import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Hand-corrupted nodes and overflow chains (sealed with valid checksums, as a
/// buggy writer would leave them): operations throw `corruption`, the checker
/// reports a coded problem, and nothing traps.
@Suite struct BTreeCorruptionTests {
  /// Writes raw bytes into a committed page.
  func damage(_ f: BTreeFixture, page: PageNumber, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws {
    try f.write { w in try w.withMutablePage(page) { body($0) } }
  }

  /// The check's problem codes.
  func problems(_ f: BTreeFixture) throws -> Set<BTreeProblem.Code> {
    Set(try f.read { f.tree.checkInvariants(in: $0) }.problems.map(\.code))
  }

  func expectCorruption(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
      guard isCorruption(error) else { return false }
      return (error as? SombraError)?.page != nil
    }
  }

  /// A two-level tree: an interior root over leaves of 100-byte keys.
  func twoLevels() throws -> (BTreeFixture, leaves: [PageNumber]) {
    let f = try BTreeFixture()
    try f.write { w in for n in 0..<200 { try f.tree.insert(longKey(n, length: 100), [UInt8(n)], in: w) } }
    let leaves: [PageNumber] = try f.read { tx in
      try tx.withPage(f.tree.root) { bytes in
        let node = try NodeView(bytes, page: f.tree.root)
        #expect(node.level == 1)
        return try (0...node.count).map { try node.child($0, pageCount: tx.pageCount) }
      }
    }
    return (f, leaves)
  }

  @Test func keysOutOfOrderInALeafAreCorruptionForScansAndTheChecker() throws {
    let f = try BTreeFixture()
    try f.write { w in for k: UInt8 in 1...5 { try f.tree.insert([k], [k], in: w) } }
    try damage(f, page: f.tree.root) { page in
      let first: UInt16 = page.le(16)
      page.putLE(page.le(20, as: UInt16.self), at: 16)
      page.putLE(first, at: 20)
    }
    expectCorruption("scan") { _ = try f.entries() }
    #expect(try problems(f).contains(.keyOrder))
  }

  @Test func aChildPointingAtItsOwnNodeIsCorruption() throws {
    let (f, _) = try twoLevels()
    try damage(f, page: f.tree.root) { $0.putLE(f.tree.root, at: BTreeNode.rightmostOffset) }
    expectCorruption("get") { _ = try f.read { try f.tree.get(longKey(199, length: 100), in: $0) } }
    expectCorruption("insert") { try f.write { _ = try f.tree.insert(longKey(500, length: 100), [], in: $0) } }
    expectCorruption("scan") { _ = try f.entries() }
    expectCorruption("count") { _ = try f.read { try f.tree.count(in: $0) } }
    #expect(try problems(f).contains(.badChild))
  }

  @Test func aChildCycleThroughAnotherNodeIsCorruption() throws {
    let f = try BTreeFixture()
    try f.write { w in for n in 0..<400 { try f.tree.insert(longKey(n, length: 900), [], in: w) } }
    // Point the first child of the root's first child back at the root.
    let child = try f.read { tx in
      try tx.withPage(f.tree.root) { try NodeView($0, page: f.tree.root).child(0, pageCount: tx.pageCount) }
    }
    try damage(f, page: child) { page in page.putLE(f.tree.root, at: Int(page.le(16, as: UInt16.self)) + 2) }
    expectCorruption("get") { _ = try f.read { try f.tree.get(longKey(0, length: 900), in: $0) } }
    expectCorruption("remove") { try f.write { _ = try f.tree.remove(longKey(0, length: 900), in: $0) } }
    expectCorruption("drop") { try f.write { try f.tree.drop(in: $0) } }
    #expect(try !problems(f).isEmpty)
  }

  @Test func childPointersOutsideTheDatabaseOrToOtherPageTypesAreCorruption() throws {
    let (f, leaves) = try twoLevels()
    try damage(f, page: f.tree.root) { $0.putLE(PageNumber(0xFFFF_FF00), at: BTreeNode.rightmostOffset) }
    expectCorruption("get") { _ = try f.read { try f.tree.get(longKey(199, length: 100), in: $0) } }
    #expect(try problems(f).contains(.badChild))
    // An overflow page where a leaf belongs.
    let overflow = try f.write { w in try w.allocate(.overflow) }
    try damage(f, page: f.tree.root) { $0.putLE(overflow, at: BTreeNode.rightmostOffset) }
    expectCorruption("get") { _ = try f.read { try f.tree.get(longKey(199, length: 100), in: $0) } }
    #expect(try problems(f).contains(.badNode))
    _ = leaves
  }

  @Test func absurdLengthsAndOffsetsInANodeAreCorruption() throws {
    for mutation in 0..<4 {
      let f = try BTreeFixture()
      try f.write { w in for k: UInt8 in 1...5 { try f.tree.insert([k, k], [UInt8](repeating: k, count: 10), in: w) } }
      try damage(f, page: f.tree.root) { page in
        let cell = Int(page.le(16 + 2 * 2, as: UInt16.self))
        switch mutation {
        case 0: page.putLE(UInt16.max, at: cell)  // key length
        case 1: page.putLE(UInt32.max, at: cell + 3)  // inline value length
        case 2: page.putLE(UInt16(0xFFF0), at: 16 + 2 * 2)  // slot offset
        default: page.putLE(UInt16.max, at: BTreeNode.countOffset)  // cell count
        }
      }
      expectCorruption("get \(mutation)") { _ = try f.read { try f.tree.get([3, 3], in: $0) } }
      expectCorruption("scan \(mutation)") { _ = try f.entries() }
      expectCorruption("insert \(mutation)") { try f.write { _ = try f.tree.insert([3, 3], [1], in: $0) } }
      #expect(try problems(f).contains(.badNode), "mutation \(mutation)")
    }
  }

  /// The overflow pages of `key`'s value, in chain order.
  func chain(_ f: BTreeFixture, _ key: [UInt8]) throws -> [PageNumber] {
    try f.read { tx in
      let (first, length) = try tx.withPage(f.tree.root) { bytes -> (PageNumber, Int) in
        let node = try NodeView(bytes, page: f.tree.root)
        let index = try key.withUnsafeBytes { try node.lowerBound($0).index }
        guard case .overflow(let first, let length) = try node.value(index) else {
          throw SombraError.invalidArgument("not an overflow value")
        }
        return (first, length)
      }
      var pages: [PageNumber] = []
      var visited = Set<PageNumber>()
      try f.tree.forEachOverflowPage(first: first, length: length, owner: f.tree.root, visited: &visited, in: tx) { page, _, _ in
        pages.append(page)
      }
      return pages
    }
  }

  @Test func overflowChainCyclesWrongTypesAndLengthsAreCorruption() throws {
    for mutation in 0..<5 {
      let f = try BTreeFixture()
      _ = try f.write { w in try f.tree.insert([7], [UInt8](repeating: 7, count: 3 * 4076), in: w) }
      let pages = try chain(f, [7])
      #expect(pages.count == 3)
      switch mutation {
      case 0: try damage(f, page: pages[1]) { $0.putLE(pages[0], at: BTreeOverflow.nextOffset) }  // cycle
      case 1: try damage(f, page: pages[2]) { $0.putLE(pages[0], at: BTreeOverflow.nextOffset) }  // last page goes on
      case 2: try damage(f, page: pages[1]) { $0.putLE(UInt32(100), at: BTreeOverflow.lengthOffset) }  // short page
      case 3: try damage(f, page: pages[1]) { $0[0] = PageType.raw.rawValue }  // wrong type
      default:
        // A value length no database this size could hold.
        try damage(f, page: f.tree.root) { page in page.putLE(UInt32.max, at: Int(page.le(16, as: UInt16.self)) + 3) }
      }
      expectCorruption("get \(mutation)") { _ = try f.read { try f.tree.get([7], in: $0) } }
      expectCorruption("remove \(mutation)") { try f.write { _ = try f.tree.remove([7], in: $0) } }
      let codes = try problems(f)
      #expect(codes.contains(.overflowChain) || codes.contains(.badNode), "mutation \(mutation): \(codes)")
    }
  }

  @Test func randomDamageIsReportedAsCorruptionByOperationsAndTheChecker() throws {
    // These seeds also run in the exit test below, so a trap cannot happen here.
    let tally = try BTreeDamageFuzz.run(seeds: 0..<40)
    #expect(tally.corruptionErrors > 20, "\(tally)")
    #expect(tally.checkerProblems > 10, "\(tally)")
  }

  /// Seeded random damage to the bytes of B-tree pages, in a child process so a
  /// trap fails this test instead of the run: only `SombraError`s may come out.
  @Test func randomDamageToTreePagesNeverTraps() async {
    await #expect(processExitsWith: .success) {
      do {
        _ = try BTreeDamageFuzz.run(seeds: 0..<1000)
      } catch {
        print("btree fuzz: \(error)")
        exit(1)
      }
    }
  }
}

/// Builds one tree, then for each seed damages a few bytes of one of its pages
/// and runs every operation and the checker.
enum BTreeDamageFuzz {
  struct UnexpectedError: Error {
    let seed: UInt64
    let error: any Error
  }

  struct Tally: CustomStringConvertible {
    var corruptionErrors = 0
    var otherErrors = 0
    var checkerProblems = 0
    var description: String { "corruption \(corruptionErrors), other errors \(otherErrors), checker problems \(checkerProblems)" }
  }

  /// Returns what the damage led to; throws on anything but a `SombraError`.
  static func run(seeds: Range<UInt64>) throws -> Tally {
    var tally = Tally()
    let base = try BTreeFixture()
    var rng = SplitMix64(seed: 77)
    try base.write { w in
      for n in 0..<150 {
        try base.tree.insert(bigEndianKey(n, padTo: 8 + n % 200), randomBytes(&rng, count: n % 9 == 0 ? 6000 : n % 50), in: w)
      }
    }
    let owned = try base.read { tx in Array(base.tree.checkInvariants(in: tx).pages).sorted() }
    try base.db.close()
    let image = base.disk.contents(base.path) ?? []
    for seed in seeds {
      var r = SplitMix64(seed: seed)
      let disk = SimulatedDisk()
      disk.setContents(base.path, image)
      let db = try Database.open(base.path, options: base.options, storage: disk)
      let tree = base.tree
      let page = owned[r.below(owned.count)]
      try db.write { tx in
        try tx.pages.withMutablePage(page) { bytes in
          for _ in 0..<(1 + r.below(4)) {
            let at = r.below(64) < 40 ? r.below(64) : r.below(bytes.count - 4)
            bytes[at] = UInt8(truncatingIfNeeded: r.next())
          }
        }
      }
      func attempt(_ body: () throws -> Void) throws {
        do {
          try body()
        } catch let error as SombraError {
          if error.code == .corruption { tally.corruptionErrors += 1 } else { tally.otherErrors += 1 }
        } catch {
          throw UnexpectedError(seed: seed, error: error)
        }
      }
      try attempt { _ = try db.read { try tree.entries(in: $0) } }
      try attempt { _ = try db.read { try tree.get(bigEndianKey(r.below(150), padTo: 8), in: $0) } }
      try attempt { _ = try db.read { try tree.count(in: $0) } }
      try attempt { if try !db.read({ tree.checkInvariants(in: $0) }).problems.isEmpty { tally.checkerProblems += 1 } }
      try attempt { try db.write { _ = try tree.insert(bigEndianKey(r.below(300)), [1, 2, 3], in: $0.pages) } }
      try attempt { try db.write { _ = try tree.remove(bigEndianKey(r.below(150), padTo: 8 + r.below(200)), in: $0.pages) } }
      try attempt { try db.write { try tree.drop(in: $0.pages) } }
    }
    return tally
  }
}
