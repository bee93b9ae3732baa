@testable import SombraCore

/// The graph as plain Swift values: what the engine must agree with after every
/// step of a randomized scenario.
struct GraphModel: Equatable {
  struct NodeRecord: Equatable {
    var labels: Set<String>
    var properties: [String: PropertyValue]
  }

  struct EdgeRecord: Equatable {
    var source: NodeID
    var target: NodeID
    var type: String
    var properties: [String: PropertyValue]
  }

  var nodes: [NodeID: NodeRecord] = [:]
  var edges: [EdgeID: EdgeRecord] = [:]
  var indexes: Set<PropertyIndex> = []
  var nextNode: NodeID = 1
  var nextEdge: EdgeID = 1

  static let labels = ["A", "B", "C"]
  static let types = ["T", "U"]
  static let keys = ["k", "v"]

  static func randomValue(_ rng: inout SplitMix64) -> PropertyValue {
    switch rng.below(8) {
    case 0: return nil
    case 1: return .bool(rng.below(2) == 0)
    case 2, 3: return .int(Int64(rng.below(7)) - 3)
    case 4: return .double(Double(rng.below(5)) / 2)
    case 5: return .string(["", "a", "ab", "b"][rng.below(4)])
    case 6: return .bytes([UInt8(rng.below(3))])
    default: return [.int(Int64(rng.below(3))), "x"]
    }
  }

  /// Every node's out- and in-neighbours with multiplicity, sorted (the
  /// engine orders by type id, which the model does not know).
  func neighbours() -> (outgoing: [NodeID: [NodeID]], incoming: [NodeID: [NodeID]]) {
    var outgoing: [NodeID: [NodeID]] = [:]
    var incoming: [NodeID: [NodeID]] = [:]
    for edge in edges.values {
      outgoing[edge.source, default: []].append(edge.target)
      incoming[edge.target, default: []].append(edge.source)
    }
    return (outgoing.mapValues { $0.sorted() }, incoming.mapValues { $0.sorted() })
  }

  func matching(label: String?, key: String, _ predicate: PropertyPredicate) -> [NodeID] {
    nodes.filter { id, node in
      (label == nil || node.labels.contains(label ?? "")) && node.properties[key].map(predicate.matches) == true
    }.keys.sorted()
  }

  /// Compares everything the engine can be asked with this model.
  func check(_ tx: Transaction, _ context: @autoclosure () -> String) throws {
    func fail(_ what: String) -> Error { ModelMismatch(description: "\(what); \(context())") }
    guard try tx.nodeCount == nodes.count else { throw fail("node count \(try tx.nodeCount) != \(nodes.count)") }
    guard try tx.edgeCount == edges.count else { throw fail("edge count \(try tx.edgeCount) != \(edges.count)") }
    var seen = 0
    try tx.forEachNode { node in
      seen += 1
      guard let m = nodes[node.id], Set(node.labels) == m.labels, node.properties == m.properties else {
        throw fail("node \(node.id) is \(node), model \(String(describing: nodes[node.id]))")
      }
      return true
    }
    guard seen == nodes.count else { throw fail("scan saw \(seen) nodes") }
    let (outgoing, incoming) = neighbours()
    for (id, node) in nodes {
      let got = try tx.node(id)
      guard got.map({ Set($0.labels) == node.labels && $0.properties == node.properties }) == true else {
        throw fail("node \(id) lookup")
      }
      guard try tx.neighbors(of: id, direction: .outgoing).sorted() == outgoing[id] ?? [] else {
        throw fail("out-neighbours of \(id)")
      }
      guard try tx.neighbors(of: id, direction: .incoming).sorted() == incoming[id] ?? [] else {
        throw fail("in-neighbours of \(id)")
      }
    }
    for (id, edge) in edges {
      let got = try tx.edge(id)
      guard got == Edge(id: id, source: edge.source, target: edge.target, type: edge.type, properties: edge.properties) else {
        throw fail("edge \(id) is \(String(describing: got)), model \(edge)")
      }
    }
    for label in Self.labels {
      let ids = nodes.filter { $0.value.labels.contains(label) }.keys.sorted()
      guard try tx.nodeIDs(label: label) == ids, try tx.count(label: label) == ids.count else { throw fail("label \(label)") }
    }
    for type in Self.types {
      guard try tx.count(edgeType: type) == edges.values.filter({ $0.type == type }).count else {
        throw fail("type \(type) count")
      }
    }
    guard Set(try tx.indexes()) == indexes else { throw fail("indexes \(try tx.indexes()) != \(indexes)") }
    for index in indexes {
      for predicate in [PropertyPredicate.equals(1), .less(0), .greaterOrEqual("a"), .equals(nil), .lessOrEqual(1.0)] {
        let got = try tx.nodeIDs(label: index.label, key: index.key, predicate)
        guard got == matching(label: index.label, key: index.key, predicate) else {
          throw fail("lookup \(index) \(predicate): \(got)")
        }
      }
    }
  }
}

struct ModelMismatch: Error, CustomStringConvertible {
  let description: String
}

extension GraphModel {
  /// One random operation on both the engine and the model.
  mutating func apply(_ tx: WriteTransaction, _ rng: inout SplitMix64) throws {
    func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[rng.below(items.count)] }
    let nodeIDs = nodes.keys.sorted()
    let edgeIDs = edges.keys.sorted()
    switch rng.below(11) {
    case 0, 1:
      try createNode(tx, &rng)
    case 2, 3:
      guard let a = pick(nodeIDs), let b = pick(nodeIDs) else { return }
      try createEdge(tx, from: a, to: b, &rng)
    case 4:
      guard let id = pick(nodeIDs), let key = pick(GraphModel.keys) else { return }
      let value = GraphModel.randomValue(&rng)
      try tx.setProperties([key: value], onNode: id)
      nodes[id]?.properties[key] = value
    case 5:
      guard let id = pick(nodeIDs), let key = pick(GraphModel.keys) else { return }
      try tx.removeProperties([key], fromNode: id)
      nodes[id]?.properties[key] = nil
    case 6:
      guard let id = pick(nodeIDs), let label = pick(GraphModel.labels) else { return }
      if rng.below(2) == 0 {
        try tx.addLabels([label], toNode: id)
        nodes[id]?.labels.insert(label)
      } else {
        try tx.removeLabels([label], fromNode: id)
        nodes[id]?.labels.remove(label)
      }
    case 7:
      guard let id = pick(nodeIDs) else { return }
      let attached = edges.filter { $0.value.source == id || $0.value.target == id }.keys
      let detach = rng.below(2) == 0
      if !attached.isEmpty && !detach {
        do {
          try tx.deleteNode(id)
          throw ModelMismatch(description: "deleting node \(id) with edges did not fail")
        } catch let e as SombraError where e.code == .invalidArgument {
          return
        }
      }
      try tx.deleteNode(id, detach: detach)
      nodes[id] = nil
      for e in attached { edges[e] = nil }
    case 8:
      guard let id = pick(edgeIDs) else { return }
      try tx.deleteEdge(id)
      edges[id] = nil
    case 9:
      let index = PropertyIndex(label: rng.below(3) == 0 ? nil : pick(GraphModel.labels), key: pick(GraphModel.keys) ?? "k")
      if indexes.contains(index) {
        try tx.dropIndex(label: index.label, key: index.key)
        indexes.remove(index)
      } else {
        try tx.createIndex(label: index.label, key: index.key)
        indexes.insert(index)
      }
    default:
      guard let id = pick(edgeIDs) else { return }
      let value = PropertyValue.int(Int64(rng.below(9)))
      try tx.setProperties(["w": value], onEdge: id)
      edges[id]?.properties["w"] = value
    }
  }

  /// A node with random labels and properties, on both.
  mutating func createNode(_ tx: WriteTransaction, _ rng: inout SplitMix64) throws {
    let labels = GraphModel.labels.filter { _ in rng.below(3) == 0 }
    var props: [String: PropertyValue] = [:]
    for key in GraphModel.keys where rng.below(2) == 0 { props[key] = GraphModel.randomValue(&rng) }
    let id = try tx.createNode(labels: labels, properties: props)
    guard id == nextNode else { throw ModelMismatch(description: "node id \(id), expected \(nextNode)") }
    nodes[id] = .init(labels: Set(labels), properties: props)
    nextNode += 1
  }

  /// An edge `a` -> `b` of a random type, on both.
  mutating func createEdge(_ tx: WriteTransaction, from a: NodeID, to b: NodeID, _ rng: inout SplitMix64) throws {
    let type = GraphModel.types[rng.below(GraphModel.types.count)]
    let props: [String: PropertyValue] = rng.below(2) == 0 ? ["w": .int(Int64(rng.below(9)))] : [:]
    let id = try tx.createEdge(from: a, to: b, type: type, properties: props)
    edges[id] = .init(source: a, target: b, type: type, properties: props)
    nextEdge += 1
  }

  /// One operation of a large scenario: often many at once around a hub (one
  /// of the two lowest node ids), so that the node, edge and adjacency trees
  /// split and a hub's lists span several chunks; now and then the hub's
  /// edges to a run of neighbours go, which empties chunks in the middle of
  /// its lists; otherwise one operation of `apply`.
  mutating func applyLarge(_ tx: WriteTransaction, _ rng: inout SplitMix64) throws {
    let nodeIDs = nodes.keys.sorted()
    switch rng.below(10) {
    case 0, 1:
      for _ in 0..<(20 + rng.below(40)) { try createNode(tx, &rng) }
    case 2, 3, 4:
      guard !nodeIDs.isEmpty else { return try createNode(tx, &rng) }
      let hub = nodeIDs[rng.below(min(2, nodeIDs.count))]
      let outgoing = rng.below(2) == 0
      for _ in 0..<(30 + rng.below(60)) {
        let other = nodeIDs[rng.below(nodeIDs.count)]
        try createEdge(tx, from: outgoing ? hub : other, to: outgoing ? other : hub, &rng)
      }
    case 5:
      guard let hub = nodeIDs.first, let last = nodeIDs.last else { return }
      let low = NodeID(rng.below(Int(last)))
      let high = low + NodeID(1 + rng.below(Int(last) / 3 + 1))
      let doomed = edges.filter { _, edge in
        (edge.source == hub && (low..<high).contains(edge.target)) || (edge.target == hub && (low..<high).contains(edge.source))
      }.keys.sorted()
      for id in doomed {
        try tx.deleteEdge(id)
        edges[id] = nil
      }
    default:
      try apply(tx, &rng)
    }
  }
}
