import SombraTestSupport
import Testing

@testable import SombraCore

/// Crash simulation for graph operations: power loss at every write, sync,
/// truncate and directory operation of a seeded sequence of graph transactions
/// (with checkpoints and a close); after each reboot (the four models of
/// `CrashSimulationTests`) the graph must equal the model at a committed
/// prefix holding every returned commit, with adjacency, label and property
/// indexes and counts agreeing with the records (`GraphModel.check`).
@Suite struct GraphCrashTests {
  static let path = "/db/graph-crash.sombra"

  static var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    o.cachePages = 16
    o.maxWALSize = 50_000
    return o
  }

  struct Outcome {
    var models: [GraphModel] = [GraphModel()]
    var returned = 0
    var attempted = 0
    var failed = false
  }

  static func run(seed: UInt64, on disk: SimulatedDisk) -> Outcome {
    var outcome = Outcome()
    var rng = SplitMix64(seed: seed)
    do {
      let db = try Database.open(path, options: options, storage: disk)
      var model = GraphModel()
      for i in 0..<7 {
        let tx = try db.beginWrite()
        var next = model
        for _ in 0..<(2 + rng.below(5)) { try next.apply(tx, &rng) }
        outcome.models.append(next)
        outcome.attempted += 1
        try tx.commit()
        outcome.returned += 1
        model = next
        if i == 3 { try db.checkpoint(.full) }
      }
      try db.close()
    } catch {
      outcome.failed = true
    }
    return outcome
  }

  @Test(arguments: [101, 102, 103] as [UInt64])
  func afterPowerLossAtEveryOperationTheGraphIsACommittedPrefix(seed: UInt64) throws {
    let clean = SimulatedDisk()
    #expect(!Self.run(seed: seed, on: clean).failed)
    let total = clean.operations
    #expect(total > 20)
    for point in 1...total {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = Self.run(seed: seed, on: disk)
      #expect(outcome.failed)
      for recovery in [
        SimulatedDisk.Recovery.dropUnsynced, .keepAll, .random(seed: UInt64(point)), .sectors(seed: UInt64(point)),
      ] {
        let image = disk.afterPowerLoss(recovery)
        let context = "seed \(seed), power loss at \(point)/\(total), \(recovery)"
        let db = try Database.open(Self.path, options: Self.options, storage: image)
        let matches = try db.read { tx in
          (outcome.returned...outcome.attempted).filter { j in (try? outcome.models[j].check(tx, context)) != nil }
        }
        #expect(!matches.isEmpty, "no committed prefix matches; \(context)")
        try db.close()
      }
    }
  }
}
