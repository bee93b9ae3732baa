import Glibc
import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct RebuildIndexesTests {
  /// Removes some adjacency entries, adds a bogus label entry and sets a wrong
  /// count, all through the B-tree API on the write transaction's pages.
  func damageEntries(_ db: Database) throws {
    try db.write { tx in
      let adjacency = BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue])
      let labels = BTree(root: tx.header.roots[GraphRoot.labels.rawValue])
      let catalog = BTree(root: tx.header.roots[GraphRoot.catalog.rawValue])
      let some = try adjacency.entries(in: tx.pages).prefix(7)
      for entry in some { _ = try adjacency.remove(entry.key, in: tx.pages) }
      try labels.insert(GraphKeys.label(1, 999_999), [], in: tx.pages)
      try catalog.insert(CatalogKey.Count.nodes.key, le64(12345), in: tx.pages)
    }
  }

  @Test func rebuildRestoresAdjacencyLabelsIndexesAndCountsFromTheRecords() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    try MaintenanceFixture.build(at: path, count: 200, deleteEvery: 3)
    let db = try Database.open(path, options: MaintenanceFixture.options)
    defer { try? db.close() }
    let before = try GraphDump.of(db)
    try damageEntries(db)
    #expect(try GraphDump.of(db) != before)
    #expect(try !db.verify().isClean)

    let result = try db.rebuildIndexes()
    #expect(try GraphDump.of(db) == before)
    #expect(try db.verify().isClean)
    #expect(result.nodes == before.nodes.count)
    #expect(result.edges == before.edges.count)
    #expect(result.adjacencyEntries == 2 * before.edges.count)
    #expect(result.abandonedTrees.isEmpty)
    #expect(result.freedPages > 0)
    #expect(result.danglingEdges.isEmpty)
  }

  @Test func aStructurallyBrokenIndexTreeIsAbandonedAndRebuiltAndVacuumReclaimsIt() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    try MaintenanceFixture.build(at: path, count: 200)
    let db = try Database.open(path, options: MaintenanceFixture.options)
    let before = try GraphDump.of(db)
    // The labels root claims more cells than a page holds (sealed, so only the
    // B-tree's own checks catch it).
    try db.write { tx in
      try tx.pages.withMutablePage(tx.header.roots[GraphRoot.labels.rawValue]) { page in
        page.storeBytes(of: UInt16(4000).littleEndian, toByteOffset: 2, as: UInt16.self)
      }
    }
    #expect(throws: SombraError.self) { try db.read { try $0.nodeIDs(label: "Person") } }

    let result = try db.rebuildIndexes()
    #expect(result.abandonedTrees == ["labels"])
    #expect(try GraphDump.of(db) == before)
    let report = try db.verify()
    #expect(report.problems.allSatisfy { $0.code == .pageUnreachable })
    _ = try db.vacuum(into: dir.path + "/copy.sombra")
    try db.close()
    let copy = try Database.open(dir.path + "/copy.sombra", options: .readOnly)
    defer { try? copy.close() }
    #expect(try copy.verify().isClean)
    #expect(try GraphDump.of(copy) == before)
  }

  @Test func rebuildIsOneTransactionAndAnUndecodableRecordRollsItBack() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    try MaintenanceFixture.build(at: path, count: 30)
    let db = try Database.open(path, options: MaintenanceFixture.options)
    defer { try? db.close() }
    try damageEntries(db)
    try db.write { tx in
      let nodes = BTree(root: tx.header.roots[GraphRoot.nodes.rawValue])
      try nodes.insert(KeyEncoding.u64(5), [0xFF, 0xFF], in: tx.pages)
    }
    let damaged = try db.read { tx in try BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue]).count(in: tx) }
    #expect(throws: SombraError.self) { try db.rebuildIndexes() }
    let after = try db.read { tx in try BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue]).count(in: tx) }
    #expect(after == damaged)
  }
}
