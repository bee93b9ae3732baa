import SombraTestSupport
import Testing

@testable import SombraCore

/// Random sequences of graph operations with commits, rollbacks, closes and
/// reopens, checked against `GraphModel`. Small scenarios (a few nodes and
/// edges) are checked after every operation. Large ones grow hubs of hundreds
/// of edges, are checked after every transaction and verified at the end, and
/// must reach what small ones cannot: node, edge and adjacency trees that
/// have split, and adjacency lists that span several chunks.
/// `SOMBRA_GRAPH_SCENARIOS` and `SOMBRA_GRAPH_LARGE_SCENARIOS` set how many
/// (`scripts/test` runs more than these defaults).
@Suite struct GraphPropertyTests {
  static let scenarios = scenarioCount("SOMBRA_GRAPH_SCENARIOS", default: 1000)
  static let largeScenarios = scenarioCount("SOMBRA_GRAPH_LARGE_SCENARIOS", default: 6)
  /// Small scenarios per test case (cases run side by side).
  static let batchSize = 50

  @Test(arguments: 0..<(scenarios + batchSize - 1) / batchSize)
  func randomOperationSequencesMatchTheModelAfterEveryStep(batch: Int) throws {
    var failures = 0
    let first = batch * Self.batchSize + 1
    for seed in UInt64(first)...UInt64(min(first + Self.batchSize - 1, Self.scenarios)) {
      do {
        try run(seed: seed)
      } catch {
        failures += 1
        Issue.record("seed \(seed): \(error)")
        if failures >= 5 { return }
      }
    }
  }

  @Test(arguments: 0..<largeScenarios)
  func largeScenariosSplitTheTreesSpreadHubsOverChunksAndMatchTheModel(seed: Int) throws {
    let reached = try runLarge(seed: UInt64(seed))
    #expect(reached.problems == [])
    for root in [GraphRoot.nodes, .edges, .adjacency] {
      #expect((reached.depth[root] ?? 0) >= 2, "the \(root.treeName) tree never split: \(reached)")
    }
    #expect(reached.maxChunks >= 2, "no adjacency list spanned two chunks: \(reached)")
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
        try model.apply(tx, &rng)
        try model.check(tx, context())
      }
      if rng.below(4) == 0 {
        try tx.rollback()
      } else {
        try tx.commit()
        committed = model
      }
      try db.read { try committed.check($0, context()) }
    }
    try db.close()
  }

  /// A large scenario; returns the deepest shape its committed states had.
  func runLarge(seed: UInt64) throws -> GraphShape {
    var rng = SplitMix64(seed: 0x1A46_E000 &+ seed)
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.pageSize = 4096
    options.cachePages = 32  // far fewer than the pages: reads go to the WAL and the file
    let path = "/db/large.sombra"
    var db = try Database.open(path, options: options, storage: disk)
    var committed = GraphModel()
    var reached = GraphShape()
    for step in 0..<40 {
      let context = { "large seed \(seed) step \(step)" }
      if rng.below(10) == 0 {
        try db.close()
        db = try Database.open(path, options: options, storage: disk)
        try db.read { try committed.check($0, context()) }
        continue
      }
      let tx = try db.beginWrite()
      var model = committed
      for _ in 0..<(1 + rng.below(4)) {
        try model.applyLarge(tx, &rng)
        let (nodes, edges) = (try tx.nodeCount, try tx.edgeCount)
        guard nodes == model.nodes.count, edges == model.edges.count else {
          throw ModelMismatch(
            description: "\(nodes) nodes and \(edges) edges, model \(model.nodes.count) and \(model.edges.count); \(context())")
        }
      }
      try model.check(tx, context())
      if rng.below(5) == 0 {
        try tx.rollback()
      } else {
        try tx.commit()
        committed = model
      }
      try db.read { tx in
        try committed.check(tx, context())
        reached.merge(try GraphShape.of(tx))
      }
    }
    let report = try db.verify()
    guard report.problems.isEmpty else { throw ModelMismatch(description: "large seed \(seed) verifies with \(report.problems)") }
    try db.close()
    return reached
  }
}
