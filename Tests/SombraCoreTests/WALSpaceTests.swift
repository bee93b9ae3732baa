import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// How the WAL file's space is used (invariant 4 of `WALFormat`): it grows in
/// zero-filled steps ahead of its frames, a reset keeps it and the next
/// generation overwrites it from frame 0, and neither the zeros nor the stale
/// frames of an earlier generation are ever replayed, whatever a power loss keeps.
@Suite struct WALSpaceTests {
  static let path = "/db/space.sombra"

  static var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    o.cachePages = 16
    o.maxWALSize = 1 << 30  // checkpoints only where the scenario asks
    o.autoCheckpointInterval = nil
    return o
  }

  static var frameSize: Int { WALFormat.frameSize(pageSize: 4096) }

  /// Calls made since operation `start`, in order.
  static func calls(_ disk: SimulatedDisk, since start: Int) -> [String] {
    disk.log.filter { $0.number > start }.map { $0.call }
  }

  @Test func aCommitThatNeedsRoomGrowsTheWALByZerosAndStillSyncsOnce() throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: Self.options, storage: disk)
    var sizes: [Int] = []
    var rng = SplitMix64(seed: 3)
    for _ in 0..<40 {
      let start = disk.operations
      try db.write { try PageStore.apply(PageStore.randomChanges(&rng, count: 3), in: $0) }
      let calls = Self.calls(disk, since: start)
      #expect(calls.filter { $0 == "fdatasync" }.count == 1, "one sync per commit: \(calls)")
      #expect(calls.last == "fdatasync", "the sync comes after every write of the commit: \(calls)")
      let wal = try #require(disk.contents(Self.path + ".wal"))
      #expect((wal.count - WALFormat.headerSize) % Self.frameSize == 0, "the file ends on a whole frame")
      let used = try #require(WALFormat.frameOffset(db.pager.lock.withLock { $0.committedFrames }, pageSize: 4096))
      #expect(wal.count >= Int(used))
      #expect(wal[Int(used)...].allSatisfy { $0 == 0 }, "past the frames: zeros")
      sizes.append(wal.count)
    }
    // Growth is in steps of at least 16 frames: most commits keep the size.
    let changes = zip(sizes, sizes.dropFirst()).filter { $0 != $1 }.count
    #expect(changes > 0 && changes * 4 < sizes.count, "sizes \(sizes)")
    #expect(sizes.first.map { $0 >= WALFormat.headerSize + WALFormat.minGrowthFrames * Self.frameSize } == true)

    // Reopened after a crash, the zeros end the log quietly.
    let image = disk.afterPowerLoss(.dropUnsynced)
    let reopened = try Database.open(Self.path, options: Self.options, storage: image)
    #expect(reopened.openReport.walStopReason == nil)
    #expect(reopened.openReport.recoveredTransactions == 41)
    #expect(try reopened.verify(VerifyOptions(level: .checksums)).isClean)
  }

  @Test func theGrowthStepIsTheFileSizeClampedToWholeFrames() {
    let frame = UInt64(Self.frameSize)
    let header = UInt64(WALFormat.headerSize)
    let grown = { (needed: UInt64, allocated: UInt64) in WALFormat.grownSize(needed: needed, allocated: allocated, pageSize: 4096)
    }
    #expect(grown(100, 1000) == 1000, "room enough: no growth")
    #expect(grown(header + 3 * frame, 0) == header + 16 * frame)
    #expect(grown(header + 20 * frame, header + 16 * frame) == header + 32 * frame)
    #expect(grown(header + 40 * frame, header + 16 * frame) == header + 40 * frame, "a large commit gets what it needs")
    let big = header + 10_000 * frame
    let step = UInt64(WALFormat.maxGrowthBytes) / frame * frame
    #expect(grown(big + 1, big) == big + step, "at most 4 MiB at a time")
    #expect(grown(UInt64.max, UInt64.max - 1) == nil)
  }

  @Test func aFullDiskDuringGrowthSkipsItAndTheCommitStands() throws {
    let probe = SimulatedDisk()
    let first = try Database.open(Self.path, options: Self.options, storage: probe)
    try first.close()
    // The first commit of a session writes its frames, then the zeros.
    let disk = SimulatedDisk()
    _ = try Database.open(Self.path, options: Self.options, storage: disk)
    let log = disk.log.filter { $0.path.hasSuffix(".wal") }
    let writes = log.filter { $0.call == "pwrite" }
    #expect(writes.count == 2, "frames and zeros: \(log)")

    let full = SimulatedDisk()
    full.inject(.enospc, atOperation: try #require(writes.last?.number))
    let db = try Database.open(Self.path, options: Self.options, storage: full)
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    #expect(try db.read { try PageStore.read($0) } == [1: 1])
    try db.close()
    let reopened = try Database.open(Self.path, options: Self.options, storage: full)
    #expect(try reopened.read { try PageStore.read($0) } == [1: 1])
  }

  @Test func aResetKeepsTheFileAndTheNextGenerationOverwritesItFromTheStart() throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: Self.options, storage: disk)
    var rng = SplitMix64(seed: 8)
    for _ in 0..<12 { try db.write { try PageStore.apply(PageStore.randomChanges(&rng, count: 5), in: $0) } }
    let before = try #require(disk.contents(Self.path + ".wal")).count
    #expect(try db.checkpoint(.full).walReset)
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let wal = try #require(disk.contents(Self.path + ".wal"))
    #expect(wal.count == before, "the reset and the commit after it reuse the file")
    let scan = try WALScanner.scan(try disk.open(Self.path + ".wal", .readOnly), pageSize: 4096)
    #expect(scan.transactions == 1)
    #expect(scan.stop?.reason == .saltMismatch, "the earlier generation's frames follow the new one")
  }

  // MARK: Power loss over a reused WAL

  /// Fills the WAL over several growth steps, resets it in place with a full
  /// checkpoint, then commits fewer frames than the old generation left, so
  /// stale frames (and zeros) follow the new ones; then closes.
  struct Scenario {
    var seed: UInt64

    func run(on disk: SimulatedDisk) -> Workload.Outcome {
      var outcome = Workload.Outcome()
      var rng = SplitMix64(seed: seed)
      var model: PageStore.State = [:]
      do {
        let db = try Database.open(WALSpaceTests.path, options: WALSpaceTests.options, storage: disk)
        outcome.database = db
        for i in 0..<14 {
          let changes = PageStore.randomChanges(&rng, count: i < 10 ? 4 + rng.below(4) : 1 + rng.below(2))
          let next = PageStore.applied(changes, to: model)
          outcome.states.append(next)
          outcome.attempted += 1
          try db.write { try PageStore.apply(changes, in: $0) }
          outcome.returned += 1
          model = next
          if i == 9 { try db.checkpoint(.full) }
        }
        outcome.closing = true
        try db.close()
        outcome.closed = true
      } catch {
        outcome.error = error
      }
      return outcome
    }
  }

  @Test(arguments: [1, 2] as [UInt64])
  func afterPowerLossAtEveryOperationStaleFramesOfTheReusedWALAreNeverReplayed(seed: UInt64) throws {
    let scenario = Scenario(seed: seed)
    // The precondition: before the close, stale frames follow the new generation.
    let clean = SimulatedDisk()
    let outcome = scenario.run(on: clean)
    #expect(outcome.error == nil && outcome.closed)
    let total = clean.operations
    let truncateAt = try #require(clean.log.last { $0.call == "ftruncate" }?.number)
    let beforeClose = SimulatedDisk()
    beforeClose.inject(.powerLoss, atOperation: truncateAt)
    _ = scenario.run(on: beforeClose)
    let wal = try #require(beforeClose.afterPowerLoss(.keepAll).contents(Self.path + ".wal"))
    let image = SimulatedDisk()
    image.setContents(Self.path + ".wal", wal)
    let scan = try WALScanner.scan(try image.open(Self.path + ".wal", .readOnly), pageSize: 4096)
    #expect(scan.stop?.reason == .saltMismatch, "stale frames follow the new generation's")

    let checks = CrashSimulationTests()
    let reopenOptions = Workload(seed: seed)
    for point in 1...total {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = scenario.run(on: disk)
      #expect(outcome.error != nil, "power loss at operation \(point) must surface as an error")
      for (name, recovery) in CrashSimulationTests.recoveries(point) {
        let rebooted = disk.afterPowerLoss(recovery)
        let context = "seed \(seed), power loss at operation \(point) of \(total) (\(disk.log.last?.call ?? "?")), reboot \(name)"
        try checks.checkReopen(
          rebooted, workload: reopenOptions, outcome: outcome, durable: outcome.returned, context: context, path: Self.path)
      }
    }
  }

  /// A full disk while the open's recovery checkpoint copies pages into the
  /// main file: the open succeeds and reads every commit from the WAL, the WAL
  /// keeps them, and once there is room the next open checkpoints them.
  @Test func aFullDiskDuringTheOpensRecoveryCheckpointLeavesTheDatabaseReadable() throws {
    let base = SimulatedDisk()
    do {
      let db = try Database.open(Self.path, options: Self.options, storage: base)
      for i in 0..<40 { _ = try db.write { try $0.createNode(labels: ["N"], properties: ["i": .int(Int64(i))]) } }
      // Dropped without close: the commits are only in the WAL.
    }
    let main = try #require(base.contents(Self.path))
    let wal = try #require(base.contents(Self.path + ".wal"))
    func fresh() -> SimulatedDisk {
      let disk = SimulatedDisk()
      disk.setContents(Self.path, main)
      disk.setContents(Self.path + ".wal", wal)
      return disk
    }
    // Where the open writes the main file: only its checkpoint does.
    let dry = fresh()
    let opened = try Database.open(Self.path, options: Self.options, storage: dry)
    let afterOpen = dry.operations
    try opened.close()
    let checkpointWrites = dry.log.filter { $0.number <= afterOpen && $0.path == Self.path && $0.call == "pwrite" }.map(\.number)
    #expect(checkpointWrites.count > 1, "the recovery checkpoint copies pages")
    for point in checkpointWrites {
      let disk = fresh()
      disk.inject(.enospc, atOperation: point)
      let db = try Database.open(Self.path, options: Self.options, storage: disk)
      #expect(try db.read { try $0.nodeIDs(label: "N").count } == 40, "full disk at operation \(point)")
      #expect(!db.isPoisoned)
      _ = try db.write { try $0.createNode(labels: ["N"]) }
      try db.close()
      let again = try Database.open(Self.path, options: .readOnly, storage: disk)
      #expect(try again.read { try $0.nodeIDs(label: "N").count } == 41, "after the full disk at operation \(point)")
      #expect(again.openReport.recoveredFrames == 0, "the close checkpointed once there was room")
      try again.close()
    }
  }
}
