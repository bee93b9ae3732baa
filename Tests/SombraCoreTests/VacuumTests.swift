import Glibc
import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct VacuumTests {
  @Test func vacuumShrinksADatabaseWithManyDeletedRecordsAndKeepsEveryFact() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    try MaintenanceFixture.build(at: path, count: 600, padding: 200, deleteEvery: 4)

    let db = try Database.open(path, options: .readOnly)
    let before = try GraphDump.of(db)
    let result = try db.vacuum(into: copy)
    try db.close()

    let vacuumed = try Database.open(copy, options: .readOnly)
    defer { try? vacuumed.close() }
    #expect(try GraphDump.of(vacuumed) == before)
    #expect(try vacuumed.verify().isClean)
    #expect(result.nodes == 150)
    #expect(result.newPages < result.sourcePages)
    let sizes = (POSIXStorageSystem().size(of: path) ?? 0, POSIXStorageSystem().size(of: copy) ?? 0)
    #expect(sizes.1 < sizes.0 / 2)
    #expect(!POSIXStorageSystem().exists(copy + ".wal"))
    #expect(before.nodes.count == 150 && before.edges.count > 0)
  }

  @Test func vacuumRefusesToOverwriteAFileAndLeavesTheSourceUntouched() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    try MaintenanceFixture.build(at: path, count: 20)
    let existing = try POSIXStorageSystem().open(copy, .readWriteCreate)
    existing.close()
    let db = try Database.open(path, options: .readOnly)
    defer { try? db.close() }
    #expect(throws: SombraError.self) { try db.vacuum(into: copy) }
    #expect(POSIXStorageSystem().size(of: copy) == 0)
  }

  @Test func vacuumOfAnEmptyDatabaseGivesAnEmptyDatabase() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let db = try Database.open(path, options: MaintenanceFixture.options)
    let result = try db.vacuum(into: dir.path + "/copy.sombra")
    try db.close()
    #expect(result.nodes == 0)
    let copy = try Database.open(dir.path + "/copy.sombra", options: .readOnly)
    defer { try? copy.close() }
    #expect(try copy.read { try $0.nodeCount } == 0)
  }
}

@Suite struct LifetimeCarryTests {
  /// A database with some history: commits over several sessions, checkpoints
  /// at each close, and one session that never closed (an unclean shutdown).
  func databaseWithHistory(at path: String) throws -> LifetimeFacts {
    try MaintenanceFixture.build(at: path, count: 40)
    for session in 0..<3 {
      let db = try Database.open(path)
      for i in 0..<4 { try db.write { tx in _ = try tx.createNode(labels: ["S\(session)"], properties: ["i": .int(Int64(i))]) } }
      try db.close()
    }
    do {
      let abandoned = try Database.open(path)
      try abandoned.write { tx in _ = try tx.createNode(labels: ["Late"]) }
      // Dropped without close: the next open counts an unclean shutdown.
    }
    let db = try Database.open(path)
    try db.close()
    let reopened = try Database.open(path, options: .readOnly)
    defer { try? reopened.close() }
    return reopened.metrics().lifetime
  }

  @Test func vacuumCarriesTheFilesHistoryIntoTheCopy() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    let before = try databaseWithHistory(at: path)
    #expect(before.commits > 12 && before.checkpoints >= 4 && before.uncleanShutdowns == 1 && before.lastCheckpointTime > 0)

    let db = try Database.open(path, options: .readOnly)
    _ = try db.vacuum(into: copy)
    try db.close()
    let vacuumed = try Database.open(copy, options: .readOnly)
    defer { try? vacuumed.close() }
    let after = vacuumed.metrics().lifetime
    // The copy's own commits (open, copy, close) and its closing checkpoint come on top.
    #expect(after.commits > before.commits && after.commits <= before.commits + 5, "\(before) -> \(after)")
    #expect(after.checkpoints == before.checkpoints + 1, "\(before) -> \(after)")
    #expect(after.uncleanShutdowns == before.uncleanShutdowns)
    #expect(after.corruptionEvents == before.corruptionEvents)
    #expect(after.lastCheckpointTime >= before.lastCheckpointTime)
  }

  @Test func salvageCarriesTheSourcesHistoryWhenItsHeaderIsReadable() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let output = dir.path + "/salvaged.sombra"
    let before = try databaseWithHistory(at: path)
    _ = try Database.salvage(path, into: output)
    let salvaged = try Database.open(output, options: .readOnly)
    defer { try? salvaged.close() }
    let after = salvaged.metrics().lifetime
    #expect(after.commits > before.commits && after.checkpoints > before.checkpoints, "\(before) -> \(after)")
    #expect(after.uncleanShutdowns == before.uncleanShutdowns)
  }
}

@Suite struct VacuumRepackTests {
  /// The value sizes of the chunks of one node's out-list in `db`.
  func outChunks(of node: NodeID, in db: Database) throws -> [Int] {
    try db.read { tx in
      var sizes: [Int] = []
      try BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue]).scan(
        prefix: AdjacencyList.groupKey(node, outgoing: true), in: tx
      ) { _, value in
        sizes.append(value.count)
        return true
      }
      return sizes
    }
  }

  @Test func vacuumPacksAdjacencyListsThinnedByDeletes() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    let db = try Database.open(path)
    let (hub, kept) = try db.write { tx in
      let hub = try tx.createNode(labels: ["Hub"])
      let others = try (0..<400).map { _ in try tx.createNode() }
      var edges: [EdgeID] = []
      for i in 0..<1_800 { edges.append(try tx.createEdge(from: hub, to: others[(i * 7) % others.count], type: "T\(i % 3)")) }
      // Keep one edge in six: every chunk of the hub's out-list keeps a few items.
      var kept: [EdgeID] = []
      for (i, edge) in edges.enumerated() { if i % 6 == 0 { kept.append(edge) } else { try tx.deleteEdge(edge) } }
      return (hub, kept)
    }
    let before = try outChunks(of: hub, in: db)
    let neighbours = try db.read { try $0.neighbors(of: hub) }
    try db.close()
    #expect(before.count >= 5, "the list must span several chunks for the test to mean anything")

    let source = try Database.open(path, options: .readOnly)
    _ = try source.vacuum(into: copy)
    try source.close()
    let vacuumed = try Database.open(copy, options: .readOnly)
    defer { try? vacuumed.close() }
    let after = try outChunks(of: hub, in: vacuumed)
    // Fewer chunks, and every one but the last filled close to the limit.
    #expect(after.count < before.count, "\(before) -> \(after)")
    #expect(after.dropLast().allSatisfy { $0 > AdjacencyList.chunkLimit - 16 }, "\(after)")
    #expect(try vacuumed.read { try $0.neighbors(of: hub) } == neighbours)
    #expect(try vacuumed.read { try $0.degree(of: hub, direction: .outgoing) } == kept.count)
    #expect(try vacuumed.verify().isClean)
  }
}
