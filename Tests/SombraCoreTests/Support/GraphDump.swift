@testable import SombraCore

/// Everything the public read API says about a graph, for before/after
/// comparisons of maintenance operations (vacuum, rebuild, salvage).
struct GraphDump: Equatable {
  var nodes: [Node] = []
  var edges: [Edge] = []
  /// `edges(of:)` of every node, as edge ids in API order.
  var incident: [NodeID: [EdgeID]] = [:]
  var labels: [String] = []
  var edgeTypes: [String] = []
  var propertyKeys: [String] = []
  var byLabel: [String: [NodeID]] = [:]
  var indexes: [PropertyIndex] = []
  /// Index lookups: "label.key=value" -> ids.
  var lookups: [String: [NodeID]] = [:]
  var nodeCount = 0
  var edgeCount = 0
  var nextNodeID: UInt64 = 0
  var nextEdgeID: UInt64 = 0

  static func of(_ database: Database) throws -> GraphDump {
    try database.read { tx in
      var dump = GraphDump()
      try tx.forEachNode {
        dump.nodes.append($0)
        return true
      }
      try tx.forEachEdge {
        dump.edges.append($0)
        return true
      }
      for node in dump.nodes { dump.incident[node.id] = try tx.edges(of: node.id).map(\.id) }
      dump.labels = try tx.labels().map { "\($0.name)=\($0.count)" }
      dump.edgeTypes = try tx.edgeTypes().map { "\($0.name)=\($0.count)" }
      dump.propertyKeys = try tx.propertyKeys()
      for label in try tx.labels() { dump.byLabel[label.name] = try tx.nodeIDs(label: label.name) }
      dump.indexes = try tx.indexes()
      for index in dump.indexes {
        let values = Set(dump.nodes.compactMap { $0.properties[index.key] })
        for value in values {
          dump.lookups["\(index).\(value)"] = try tx.nodeIDs(label: index.label, key: index.key, .equals(value))
        }
      }
      dump.nodeCount = try tx.nodeCount
      dump.edgeCount = try tx.edgeCount
      dump.nextNodeID = tx.header.nextNodeID
      dump.nextEdgeID = tx.header.nextEdgeID
      return dump
    }
  }
}

enum MaintenanceFixture {
  static var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    return o
  }

  /// `count` labelled nodes (Person or City) with indexed properties, a ring of
  /// KNOWS edges and a LIVES_IN edge per Person; every `deleteEvery`-th node (and
  /// its edges) is then deleted when `deleteEvery` > 0. Closed cleanly.
  static func build(at path: String, count: Int = 300, padding: Int = 40, deleteEvery: Int = 0) throws {
    let db = try Database.open(path, options: options)
    try db.write { tx in
      try tx.createIndex(label: "Person", key: "name")
      try tx.createIndex(label: nil, key: "age")
    }
    var ids: [NodeID] = []
    for chunk in stride(from: 0, to: count, by: 100) {
      try db.write { tx in
        for i in chunk..<min(chunk + 100, count) {
          let person = i % 5 != 0
          ids.append(
            try tx.createNode(
              labels: person ? ["Person"] : ["City"],
              properties: [
                "name": .string("n\(i)"), "age": .int(Int64(i % 50)),
                "pad": .string(String(repeating: "x", count: padding)),
              ]))
        }
      }
    }
    try db.write { tx in
      for (i, id) in ids.enumerated() {
        try tx.createEdge(from: id, to: ids[(i + 1) % ids.count], type: "KNOWS", properties: ["since": .int(Int64(i))])
        if i % 5 != 0 { try tx.createEdge(from: id, to: ids[i - i % 5], type: "LIVES_IN") }
      }
    }
    if deleteEvery > 0 {
      try db.write { tx in
        for (i, id) in ids.enumerated() where i % deleteEvery != 0 { try tx.deleteNode(id, detach: true) }
      }
    }
    try db.close()
  }
}
