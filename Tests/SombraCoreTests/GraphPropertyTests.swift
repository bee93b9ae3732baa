#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SombraCore

/// Random sequences of graph operations with commits, rollbacks, closes and
/// reopens, checked against `GraphModel` after every step. `GRAPH_SCENARIOS`
/// raises the count (`scripts/test` passes it through for long runs).
@Suite struct GraphPropertyTests {
  static let scenarios: Int = {
    #if canImport(Glibc)
      if let text = getenv("SOMBRA_GRAPH_SCENARIOS"), let n = Int(String(cString: text)), n > 0 { return n }
    #endif
    return 1000
  }()

  @Test func randomOperationSequencesMatchTheModelAfterEveryStep() throws {
    var failures = 0
    for seed in 1...UInt64(Self.scenarios) {
      do {
        try run(seed: seed)
      } catch {
        failures += 1
        Issue.record("seed \(seed): \(error)")
        if failures >= 5 { return }
      }
    }
  }

  func run(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.pageSize = 4096
    options.cachePages = 32
    let path = "/db/model.sombra"
    var db = try Database.open(path, options: options, storage: disk)
    var committed = GraphModel()
    for step in 0..<(8 + rng.below(12)) {
      let context = { "seed \(seed) step \(step)" }
      switch rng.below(10) {
      case 0:
        try db.close()
        db = try Database.open(path, options: options, storage: disk)
        try db.read { try committed.check($0, context()) }
        continue
      default: break
      }
      let tx = try db.beginWrite()
      var model = committed
      for _ in 0..<(1 + rng.below(6)) {
        try apply(&model, tx, &rng)
        try model.check(tx, context())
      }
      if rng.below(4) == 0 {
        tx.rollback()
      } else {
        try tx.commit()
        committed = model
      }
      try db.read { try committed.check($0, context()) }
    }
    try db.close()
  }

  /// One random operation on both the engine and the model.
  func apply(_ m: inout GraphModel, _ tx: WriteTransaction, _ rng: inout SplitMix64) throws {
    func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[rng.below(items.count)] }
    let nodeIDs = m.nodes.keys.sorted(), edgeIDs = m.edges.keys.sorted()
    switch rng.below(11) {
    case 0, 1:
      let labels = GraphModel.labels.filter { _ in rng.below(3) == 0 }
      var props: [String: PropertyValue] = [:]
      for key in GraphModel.keys where rng.below(2) == 0 { props[key] = GraphModel.randomValue(&rng) }
      let id = try tx.createNode(labels: labels, properties: props)
      guard id == m.nextNode else { throw ModelMismatch(description: "node id \(id), expected \(m.nextNode)") }
      m.nodes[id] = .init(labels: Set(labels), properties: props)
      m.nextNode += 1
    case 2, 3:
      guard let a = pick(nodeIDs), let b = pick(nodeIDs), let type = pick(GraphModel.types) else { return }
      let props: [String: PropertyValue] = rng.below(2) == 0 ? ["w": .int(Int64(rng.below(9)))] : [:]
      let id = try tx.createEdge(from: a, to: b, type: type, properties: props)
      m.edges[id] = .init(source: a, target: b, type: type, properties: props)
      m.nextEdge += 1
    case 4:
      guard let id = pick(nodeIDs), let key = pick(GraphModel.keys) else { return }
      let value = GraphModel.randomValue(&rng)
      try tx.setProperties([key: value], onNode: id)
      m.nodes[id]?.properties[key] = value
    case 5:
      guard let id = pick(nodeIDs), let key = pick(GraphModel.keys) else { return }
      try tx.removeProperties([key], fromNode: id)
      m.nodes[id]?.properties[key] = nil
    case 6:
      guard let id = pick(nodeIDs), let label = pick(GraphModel.labels) else { return }
      if rng.below(2) == 0 {
        try tx.addLabels([label], toNode: id)
        m.nodes[id]?.labels.insert(label)
      } else {
        try tx.removeLabels([label], fromNode: id)
        m.nodes[id]?.labels.remove(label)
      }
    case 7:
      guard let id = pick(nodeIDs) else { return }
      let attached = m.edges.filter { $0.value.source == id || $0.value.target == id }.keys
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
      m.nodes[id] = nil
      for e in attached { m.edges[e] = nil }
    case 8:
      guard let id = pick(edgeIDs) else { return }
      try tx.deleteEdge(id)
      m.edges[id] = nil
    case 9:
      let index = PropertyIndex(label: rng.below(3) == 0 ? nil : pick(GraphModel.labels), key: pick(GraphModel.keys) ?? "k")
      if m.indexes.contains(index) {
        try tx.dropIndex(label: index.label, key: index.key)
        m.indexes.remove(index)
      } else {
        try tx.createIndex(label: index.label, key: index.key)
        m.indexes.insert(index)
      }
    default:
      guard let id = pick(edgeIDs) else { return }
      let value = PropertyValue.int(Int64(rng.below(9)))
      try tx.setProperties(["w": value], onEdge: id)
      m.edges[id]?.properties["w"] = value
    }
  }
}
