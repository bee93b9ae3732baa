import SombraTestSupport
import Testing

@testable import SombraCore

/// The catalog's counts: how a commit writes them (`flushGraphState`: in
/// place when stored, inserted when new) and their keys.
@Suite struct CatalogCountTests {
  let disk = SimulatedDisk()

  func open() throws -> Database {
    var options = OpenOptions()
    options.pageSize = 4096
    return try Database.open("/db/counts.sombra", options: options, storage: disk)
  }

  static let counts: [CatalogKey.Count] = [
    .label(0), .label(1), .label(255), .label(256), .label(1023), .label(1024), .label(0x0102_0304), .label(.max),
    .type(0), .type(1), .type(2), .type(1 << 20), .type(.max), .nodes, .edges,
  ]

  @Test func aCountKeyBuiltOnTheStackIsTheCatalogKey() {
    for count in Self.counts {
      #expect(count.withKey { Array($0) } == count.key, "\(count)")
    }
  }

  @Test func countsSortAsTheirKeysDo() {
    var rng = SplitMix64(seed: 11)
    for _ in 0..<20 {
      var shuffled = Self.counts
      for i in shuffled.indices.reversed() { shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
      let byKey = shuffled.sorted { $0.key.lexicographicallyPrecedes($1.key) }
      #expect(shuffled.sorted { $0.precedes($1) } == byKey)
    }
  }

  @Test func countsChangedByManySmallTransactionsAddUp() throws {
    let db = try open()
    var nodes: [NodeID] = []
    var edges: [EdgeID] = []
    for i in 0..<60 {
      try db.write { tx in
        let node = try tx.createNode(labels: ["L\(i % 3)"], properties: ["i": .int(Int64(i))])
        nodes.append(node)
        if let first = nodes.first {
          edges.append(try tx.createEdge(from: node, to: first, type: "T\(i % 2)"))
        }
        if i % 10 == 9 {  // a net change of zero leaves the count as it was
          let extra = try tx.createNode(labels: ["L0"])
          try tx.deleteNode(extra)
        }
      }
    }
    try db.write { tx in
      for edge in edges.prefix(10) { try tx.deleteEdge(edge) }
      try tx.deleteNode(nodes[59], detach: true)
    }
    try db.close()
    let reopened = try open()
    try reopened.read { tx throws in
      #expect(try tx.nodeCount == 59)
      #expect(try tx.edgeCount == 49)  // 60, less 10, less the deleted node's one
      #expect(try tx.labels().map(\.count) == [20, 20, 19])
      #expect(try tx.count(edgeType: "T0") + tx.count(edgeType: "T1") == 49)
    }
    #expect(try reopened.verify().problems == [])
  }

  @Test func aCountThatIsNotEightBytesIsCorruptionWhenTheNextChangeCommits() throws {
    let db = try open()
    try db.write { tx in try tx.createNode(labels: ["Person"]) }
    try db.write { tx in
      let catalog = BTree(root: tx.header.roots[GraphRoot.catalog.rawValue])
      try catalog.insert(CatalogKey.Count.nodes.key, [1, 2, 3], in: tx.pages)
    }
    let tx = try db.beginWrite()
    try tx.createNode(labels: ["Person"])
    #expect {
      try tx.commit()
    } throws: { error in
      (error as? SombraError)?.code == .corruption && (error as? SombraError)?.message.contains("3 bytes") == true
    }
    #expect(tx.isFinished)
    try db.read { tx throws in #expect(try tx.count(label: "Person") == 1) }
  }

  @Test func aCountTheCatalogLacksIsInsertedWithTheChange() throws {
    let db = try open()
    try db.write { tx in try tx.createNode(labels: ["Person"]) }
    try db.write { tx in
      let catalog = BTree(root: tx.header.roots[GraphRoot.catalog.rawValue])
      _ = try catalog.remove(CatalogKey.Count.nodes.key, in: tx.pages)
    }
    try db.read { tx throws in #expect(try tx.nodeCount == 0) }
    try db.write { tx in try tx.createNode(labels: ["Person"]) }
    try db.read { tx throws in
      #expect(try tx.nodeCount == 1)
      #expect(try tx.count(label: "Person") == 2)
    }
  }
}
