#if canImport(Glibc)
  import Glibc
#endif
import SombraTestSupport
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
}
