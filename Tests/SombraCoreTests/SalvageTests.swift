import Glibc
import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct SalvageTests {
  /// A leaf page of `root`'s tree other than the first, and the ids its keys hold.
  func leaf(of root: GraphRoot, in path: String, skipping: Int = 1) throws -> (page: PageNumber, ids: [UInt64]) {
    let db = try Database.open(path, options: .readOnly)
    defer { try? db.close() }
    return try db.read { tx in
      var leaves: [(PageNumber, [UInt64])] = []
      for page in try BTree(root: tx.header.roots[root.rawValue]).collectPages(in: tx) {
        let bytes = try db.rawPage(page, in: tx)
        guard bytes[0] == PageType.btreeLeaf.rawValue else { continue }
        let node = try bytes.withUnsafeBytes { try InspectedNode($0, page: page) }
        leaves.append((page, node.cells.compactMap { KeyEncoding.readU64($0.key, at: 0) }))
      }
      leaves.sort { $0.0 < $1.0 }
      let chosen = leaves[min(skipping, leaves.count - 1)]
      return (chosen.0, chosen.1)
    }
  }

  /// Flips bytes inside page `page` of the file (its checksum no longer matches).
  func flip(_ path: String, page: PageNumber, at offset: Int = 100) throws {
    let file = try POSIXStorageSystem().open(path, .readWrite)
    defer { file.close() }
    let at = UInt64(page) * 4096 + UInt64(offset)
    var bytes = [UInt8](repeating: 0, count: 8)
    _ = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: at) }
    bytes = bytes.map { ~$0 }
    try bytes.withUnsafeBytes { try file.write($0, at: at) }
  }

  struct Damage {
    var original: GraphDump
    var lostNodes: [NodeID]
    var lostEdges: [EdgeID]
    var badPages: [PageNumber]
  }

  /// Builds the graph, damages one leaf of the nodes tree and one of the edges
  /// tree, and works out what a salvage must lose.
  func damagedDatabase(_ path: String) throws -> Damage {
    try MaintenanceFixture.build(at: path, count: 400)
    let db = try Database.open(path, options: .readOnly)
    let original = try GraphDump.of(db)
    try db.close()
    let nodesLeaf = try leaf(of: .nodes, in: path)
    let edgesLeaf = try leaf(of: .edges, in: path, skipping: 2)
    try flip(path, page: nodesLeaf.page)
    try flip(path, page: edgesLeaf.page)
    let lostNodes = Set(nodesLeaf.ids)
    var lostEdges = Set(edgesLeaf.ids)
    for edge in original.edges where lostNodes.contains(edge.source) || lostNodes.contains(edge.target) {
      lostEdges.insert(edge.id)
    }
    return Damage(
      original: original, lostNodes: lostNodes.sorted(), lostEdges: lostEdges.sorted(),
      badPages: [nodesLeaf.page, edgesLeaf.page].sorted())
  }

  func expectSalvaged(_ report: SalvageReport, _ damage: Damage, newPath: String) throws {
    #expect(!damage.lostNodes.isEmpty && !damage.lostEdges.isEmpty)
    #expect(report.badPages == damage.badPages)
    #expect(report.lostNodes.map(\.id) == damage.lostNodes)
    #expect(report.lostEdges.map(\.id) == damage.lostEdges)
    let byID = Dictionary(uniqueKeysWithValues: damage.original.nodes.map { ($0.id, $0) })
    for lost in report.lostNodes { #expect(lost.names == byID[lost.id]?.labels) }
    let types = Dictionary(uniqueKeysWithValues: damage.original.edges.map { ($0.id, $0.type) })
    for lost in report.lostEdges { #expect(lost.names == [types[lost.id] ?? "?"]) }
    #expect(report.recoveredNodes == damage.original.nodes.count - damage.lostNodes.count)

    let salvaged = try Database.open(newPath, options: .readOnly)
    defer { try? salvaged.close() }
    #expect(try salvaged.verify().isClean)
    let dump = try GraphDump.of(salvaged)
    let lostNodes = Set(damage.lostNodes)
    let lostEdges = Set(damage.lostEdges)
    #expect(dump.nodes == damage.original.nodes.filter { !lostNodes.contains($0.id) })
    #expect(dump.edges == damage.original.edges.filter { !lostEdges.contains($0.id) })
    #expect(dump.indexes == damage.original.indexes)
    #expect(dump.nodeCount == dump.nodes.count && dump.edgeCount == dump.edges.count)
    #expect(dump.nextNodeID == damage.original.nextNodeID)
  }

  @Test func salvageKeepsEveryReadableRecordAndListsExactlyTheLostIds() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let damage = try damagedDatabase(path)
    let sourceBytes = try POSIXStorageSystem().open(path, .readOnly)
    let sizeBefore = try sourceBytes.size()
    sourceBytes.close()

    let report = try Database.salvage(path, into: dir.path + "/new.sombra")
    #expect(report.openedNormally)
    try expectSalvaged(report, damage, newPath: dir.path + "/new.sombra")
    #expect(POSIXStorageSystem().size(of: path) == sizeBefore)
    #expect(!POSIXStorageSystem().exists(path + ".wal") || POSIXStorageSystem().size(of: path + ".wal") == 0)
  }

  @Test func salvageReadsRawPagesWhenTheHeaderIsDamagedToo() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    var damage = try damagedDatabase(path)
    try flip(path, page: 0, at: 200)
    #expect(throws: SombraError.self) { try Database.open(path, options: .readOnly) }

    let report = try Database.salvage(path, into: dir.path + "/new.sombra")
    #expect(!report.openedNormally)
    // Without the header the next ids come from the records found.
    let maxID = damage.original.nodes.map(\.id).filter { !damage.lostNodes.contains($0) }.max() ?? 0
    damage.original.nextNodeID = max(maxID + 1, 1)
    let salvaged = try Database.open(dir.path + "/new.sombra", options: .readOnly)
    let next = try salvaged.read { $0.header.nextNodeID }
    try salvaged.close()
    #expect(next == damage.original.nextNodeID)
    damage.original.nextNodeID = next
    try expectSalvaged(report, damage, newPath: dir.path + "/new.sombra")
  }

  @Test func salvageRefusesAnExistingOutput() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    try MaintenanceFixture.build(at: path, count: 10)
    let existing = try POSIXStorageSystem().open(dir.path + "/new.sombra", .readWriteCreate)
    existing.close()
    #expect(throws: SombraError.self) { try Database.salvage(path, into: dir.path + "/new.sombra") }
  }

  @Test func salvageUsesCommittedWALFramesAndSkipsATornTail() throws {
    let dir = try ScratchDirectory()
    let live = dir.path + "/live.sombra"
    let path = dir.path + "/g.sombra"
    try MaintenanceFixture.build(at: live, count: 50)
    // Copies taken while a writer has commits only in the WAL, plus a torn frame.
    let writer = try Database.open(live, options: MaintenanceFixture.options)
    try writer.write { tx in _ = try tx.createNode(labels: ["City"], properties: ["name": .string("late")]) }
    let expected = try GraphDump.of(writer)
    let storage = POSIXStorageSystem()
    for (from, to) in [(live, path), (live + ".wal", path + ".wal")] {
      let source = try storage.open(from, .readOnly)
      let target = try storage.open(to, .readWriteCreate)
      var bytes = [UInt8](repeating: 0, count: Int(try source.size()))
      _ = try bytes.withUnsafeMutableBytes { try source.read(into: $0, at: 0) }
      if to.hasSuffix(".wal") { bytes += [UInt8](repeating: 0xAB, count: 1000) }
      try bytes.withUnsafeBytes { try target.write($0, at: 0) }
      source.close()
      target.close()
    }
    try writer.close()

    let report = try Database.salvage(path, into: dir.path + "/new.sombra")
    #expect(report.isComplete)
    #expect(report.walFrames > 0)
    let salvaged = try Database.open(dir.path + "/new.sombra", options: .readOnly)
    defer { try? salvaged.close() }
    let dump = try GraphDump.of(salvaged)
    #expect(dump.nodes == expected.nodes && dump.edges == expected.edges)
    #expect(try salvaged.verify().isClean)
  }
}
