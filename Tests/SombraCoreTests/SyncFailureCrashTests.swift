import SombraTestSupport
import Testing

@testable import SombraCore

/// The fsync-failure model (`SimulatedDisk`, model 5) followed by a power loss.
/// A sync of the workload of `CrashSimulationTests` fails (each sync is taken
/// in turn: a commit's WAL sync, a checkpoint's main-file sync, the WAL
/// reset's sync): the writes it covered are dropped although reads still show
/// them, and the handle is poisoned. In the same boot the database is opened
/// again (a new process) and takes more commits, a checkpoint and a close;
/// then the power is lost at an operation of that second session (sampled),
/// and the machine reboots (the four models in turn). Every commit acknowledged by either
/// session must be there: the second session must not build on bytes that only
/// the page cache held (the reopen recovers them from live reads, but their
/// sync already failed, and a later sync does not write them again).
@Suite struct SyncFailureCrashTests {
  struct Session {
    var states: [PageStore.State] = []
    var returned = 0
    var attempted = 0
  }

  /// Opens the database again on the same disk, checks what it serves, and
  /// commits three times with a checkpoint and a close; stops at the first error.
  static func secondSession(on disk: SimulatedDisk, workload: Workload, first: Workload.Outcome, context: String) -> Session {
    var session = Session()
    var rng = SplitMix64(seed: workload.seed &+ 1000)
    do {
      let db = try Database.open(Workload.path, options: workload.options, storage: disk)
      let start = try db.read { try PageStore.read($0, keys: workload.keys) }
      #expect(
        first.states[first.returned...first.attempted].contains(start),
        "the reopen in the same boot serves a state that was never committed; \(context)")
      session.states = [start]
      for i in 0..<3 {
        let changes = PageStore.randomChanges(&rng, count: 1 + rng.below(6), keys: workload.keys)
        session.states.append(PageStore.applied(changes, to: session.states[session.attempted]))
        session.attempted += 1
        try db.write { try PageStore.apply(changes, in: $0) }
        session.returned += 1
        if i == 1 { try db.checkpoint(.full) }
      }
      try db.close()
    } catch {}
    return session
  }

  @Test(arguments: [52] as [UInt64])
  func afterAFailedSyncAReopenInTheSameBootLosesNoAcknowledgedCommitAtALaterPowerLoss(seed: UInt64) throws {
    let workload = Workload(seed: seed)
    let clean = SimulatedDisk()
    #expect(workload.run(on: clean).closed)
    let syncs = clean.log.filter { $0.call == "fdatasync" }
    #expect(syncs.count > 10)
    let checks = CrashSimulationTests()
    for sync in syncs {
      // The second session's operations when nothing else fails.
      let probe = SimulatedDisk()
      probe.inject(.syncFailure, atOperation: sync.number)
      let failed = workload.run(on: probe)
      #expect(failed.error != nil, "a failed sync must surface; sync at \(sync.number)")
      try? failed.database?.close()
      let start = probe.operations
      let context = "seed \(seed), sync \(sync.number) of \(sync.path) failed"
      let probed = Self.secondSession(on: probe, workload: workload, first: failed, context: context)
      #expect(probed.returned == 3, "the second session runs; \(context)")

      for point in probe.crashPoints(after: start) {
        let disk = SimulatedDisk()
        disk.inject(.syncFailure, atOperation: sync.number)
        let first = workload.run(on: disk)
        try? first.database?.close()
        disk.inject(.powerLoss, atOperation: point)
        let second = Self.secondSession(on: disk, workload: workload, first: first, context: context)
        // Acknowledged: the first session's returned commits, then the second's.
        var allowed = Array(first.states[first.returned...first.attempted])
        if second.returned > 0 {
          allowed = Array(second.states[second.returned...second.attempted])
        } else {
          allowed += second.states
        }
        // One reboot model per point, in turn (the test has a thousand points).
        let models = CrashSimulationTests.recoveries(point)
        let (name, recovery) = models[(point + sync.number) % models.count]
        let site =
          "\(context), then power loss at \(point) (\(disk.log.last?.call ?? "?")) after \(second.returned) commits of the second session, reboot \(name)"
        try checks.checkReopen(disk.afterPowerLoss(recovery), options: workload.options, allowed: allowed, context: site)
      }
    }
  }
}
