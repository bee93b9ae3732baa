import SombraTestSupport
import Testing

@testable import SombraCore

/// Power loss at every write, sync, truncate and directory operation of the
/// workload (open, commits, checkpoints, close), each followed by a reboot that
/// keeps none, all, or a seeded random subset of the unsynced bytes (writes
/// kept, dropped or cut at a byte), or any subset of each unsynced write's
/// 512-byte sectors.
@Suite struct CrashSimulationTests {
  static func recoveries(_ point: Int) -> [(String, SimulatedDisk.Recovery)] {
    [
      ("drop unsynced", .dropUnsynced), ("keep all", .keepAll), ("random", .random(seed: UInt64(point))),
      ("sector tears", .sectors(seed: UInt64(point))),
    ]
  }

  /// Operations the workload performs when nothing fails.
  static func operationCount(_ workload: Workload) -> Int {
    let disk = SimulatedDisk()
    let outcome = workload.run(on: disk)
    #expect(outcome.error == nil && outcome.closed)
    return disk.operations
  }

  @Test(arguments: [1, 2, 3, 4] as [UInt64])
  func afterPowerLossAtEveryOperationReopenFindsACommittedPrefixWithEveryDurableCommit(seed: UInt64) throws {
    let workload = Workload(seed: seed)
    let total = Self.operationCount(workload)
    #expect(total > 40)
    for point in 1...total {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = workload.run(on: disk)
      #expect(outcome.error != nil, "power loss at operation \(point) must surface as an error")
      for (name, recovery) in Self.recoveries(point) {
        let image = disk.afterPowerLoss(recovery)
        let context = "seed \(seed), power loss at operation \(point) of \(total) (\(disk.log.last?.call ?? "?")), reboot \(name)"
        try checkReopen(image, workload: workload, outcome: outcome, durable: outcome.returned, context: context)
      }
    }
  }

  @Test(arguments: [OpenOptions.SyncMode.normal(commits: 3), .off])
  func withoutFullSyncACrashStillLeavesSomeCommittedPrefix(sync: OpenOptions.SyncMode) throws {
    let workload = Workload(seed: 9, sync: sync)
    let total = Self.operationCount(workload)
    for point in 1...total {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = workload.run(on: disk)
      let image = disk.afterPowerLoss(.random(seed: UInt64(point)))
      try checkReopen(image, workload: workload, outcome: outcome, durable: 0, context: "sync \(sync), power loss at \(point)")
    }
  }

  /// Reopens a rebooted disk: read-only first (it must agree and write nothing),
  /// then read-write; the state must be a committed prefix no shorter than
  /// `durable`, and the database must take a new commit and survive a close.
  func checkReopen(
    _ image: SimulatedDisk, workload: Workload, outcome: Workload.Outcome, durable: Int, context: String,
    path: String = Workload.path
  ) throws {
    let allowed = durable <= outcome.attempted ? Array(outcome.states[durable...outcome.attempted]) : []
    try checkReopen(image, options: workload.options, keys: workload.keys, allowed: allowed, context: context, path: path)
  }

  /// As above, for any list of allowed states (the page store's keys below `keys`).
  func checkReopen(
    _ image: SimulatedDisk, options: OpenOptions, keys: Int = PageStore.keys, allowed: [PageStore.State], context: String,
    path: String = Workload.path
  ) throws {
    let before = image.operations
    var readOnlyState: PageStore.State?
    do {
      let ro = try Database.open(path, options: .readOnly, storage: image)
      readOnlyState = try ro.read { try PageStore.read($0, keys: keys) }
      try ro.close()
    } catch let error as SombraError {
      #expect(error.code == .notASombraFile || error.code == .notFound, "read-only open: \(error); \(context)")
    }
    #expect(image.operations == before, "a read-only open wrote to the disk; \(context)")

    let db: Database
    do {
      db = try Database.open(path, options: options, storage: image)
    } catch {
      Issue.record("reopen failed: \(error); \(context)")
      return
    }
    let state = try db.read { try PageStore.read($0, keys: keys) }
    #expect(
      allowed.contains(state), "state \(state.sorted { $0.key < $1.key }) is not one of the \(allowed.count) allowed; \(context)")
    if let readOnlyState {
      #expect(readOnlyState == state, "read-only and read-write opens disagree; \(context)")
    } else {
      #expect(state.isEmpty, "read-only open failed on a database with data; \(context)")
    }
    try db.write { try PageStore.apply([(0, 0xABCD)], in: $0) }
    try db.close()
    let again = try Database.open(path, options: options, storage: image)
    #expect(try again.read { try PageStore.read($0, keys: keys) } == PageStore.applied([(0, 0xABCD)], to: state), "\(context)")
    #expect(!again.openReport.uncleanShutdown, "\(context)")
    try again.close()
  }
}
