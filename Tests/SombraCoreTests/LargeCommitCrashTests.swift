import SombraTestSupport
import Testing

@testable import SombraCore

/// Crash simulation for commits larger than the commit buffer: each commit of
/// the workload changes hundreds of pages, so its frames go to the WAL in
/// several writes of at most `Pager.commitChunkFrames` frames before the one
/// sync, and the checkpoints after them copy hundreds of pages. A power loss
/// at any of those writes (sampled inside a checkpoint's run of page writes:
/// `SimulatedDisk.crashPoints`), or at a sync or directory operation, then a
/// reboot in each model must leave a committed prefix holding every acknowledged commit: a
/// commit whose first chunk landed and whose last did not is never replayed.
@Suite struct LargeCommitCrashTests {
  static func workload(seed: UInt64) -> Workload {
    var workload = Workload(seed: seed)
    workload.commits = 4
    workload.keys = 320
    workload.changes = 220...300
    // Checkpoints where the workload asks (after the third commit) and at close.
    workload.maxWALSize = 1 << 30
    return workload
  }

  @Test(arguments: [21] as [UInt64])
  func afterPowerLossInsideACommitOfSeveralChunksReopenFindsACommittedPrefix(seed: UInt64) throws {
    let workload = Self.workload(seed: seed)
    let clean = SimulatedDisk()
    let outcome = workload.run(on: clean)
    #expect(outcome.error == nil && outcome.closed)
    #expect(outcome.largestCommitFrames > UInt64(Pager.commitChunkFrames), "a commit spans two chunks or more")
    let points = clean.crashPoints(stride: 16)
    #expect(points.count > 30 && points.count < clean.operations)
    let checks = CrashSimulationTests()
    for point in points {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = workload.run(on: disk)
      #expect(outcome.error != nil, "power loss at operation \(point) must surface as an error")
      for (name, recovery) in CrashSimulationTests.recoveries(point) {
        let context =
          "seed \(seed), power loss at operation \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?")), reboot \(name)"
        try checks.checkReopen(
          disk.afterPowerLoss(recovery), workload: workload, outcome: outcome, durable: outcome.returned, context: context)
      }
    }
  }
}
