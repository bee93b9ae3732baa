import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// Each limit: enforced, with a specific error; nothing committed is lost; the
/// database verifies clean afterwards.
@Suite struct OperationalLimitsTests {
  let disk = SimulatedDisk()
  let path = "/db/limits.sombra"

  func open(_ configure: (inout OpenOptions) -> Void = { _ in }) throws -> Database {
    var options = OpenOptions()
    options.pageSize = 4096
    configure(&options)
    return try Database.open(path, options: options, storage: disk)
  }

  func expectClean(_ db: Database, _ state: PageStore.State) throws {
    #expect(try db.read { try PageStore.read($0) } == state)
    let report = try db.verify(VerifyOptions())
    #expect(report.isClean, "\(report.problems)")
  }

  @Test func maxDatabaseSizeFailsTheTransactionAndKeepsTheDatabaseUsable() throws {
    let db = try open { $0.maxDatabaseSize = 8 * 4096 }
    try db.write { try PageStore.apply([(1, 1), (2, 2)], in: $0) }
    let error = #expect(throws: SombraError.self) {
      try db.write { try PageStore.apply((3..<12).map { ($0, UInt64($0)) }, in: $0) }
    }
    #expect(error?.code == .limitExceeded)
    #expect(error?.message.contains("maxDatabaseSize") == true)
    try expectClean(db, [1: 1, 2: 2])
    try db.write { try PageStore.apply([(3, 3)], in: $0) }
    try expectClean(db, [1: 1, 2: 2, 3: 3])
    #expect(db.metrics().limitRejections == 1)
  }

  @Test func maxTransactionPagesRollsTheTransactionBackWithoutATrace() throws {
    let db = try open { $0.maxTransactionPages = 4 }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let before = try db.read { $0.header }
    let error = #expect(throws: SombraError.self) {
      try db.write { try PageStore.apply((2..<10).map { ($0, UInt64($0)) }, in: $0) }
    }
    #expect(error?.code == .limitExceeded)
    #expect(error?.message.contains("maxTransactionPages") == true)
    #expect(try db.read { $0.header } == before)
    try expectClean(db, [1: 1])
  }

  @Test func maxWALSizeCheckpointsAutomatically() throws {
    let db = try open { $0.maxWALSize = 64 * 1024 }
    var state: PageStore.State = [:]
    for i in 0..<60 {
      try db.write { try PageStore.apply([(i % 20, UInt64(i))], in: $0) }
      state[i % 20] = UInt64(i)
      #expect(db.metrics().walBytes < 64 * 1024 + 4 * 4200)
    }
    #expect(db.metrics().checkpoints >= 1)
    try expectClean(db, state)
  }

  @Test func aReaderPinningFramesTriggersTheWALWarning() throws {
    let log = CapturedLog()
    let db = try open {
      $0.maxWALSize = 32 * 1024
      $0.logger = log.logger(level: .warning)
    }
    try db.write { try PageStore.apply([(0, 0)], in: $0) }
    let reader = try db.beginRead()
    for i in 1..<30 { try db.write { try PageStore.apply([(i % 10, UInt64(i))], in: $0) } }
    #expect(db.metrics().walBytes > 32 * 1024)
    let warning = try #require(log.first("WAL checkpoint cannot keep up: readers hold old frames"))
    #expect(warning.metadata["max_wal_bytes"] == "\(32 * 1024)")
    #expect(db.health().checks.first { $0.name == "wal_size" }?.status != .healthy)
    reader.end()
    try db.checkpoint(.full)
    #expect(db.metrics().walBytes == 0)
  }

  /// Moves the handle's last checkpoint `seconds` into the past: the
  /// interval falls due as if that time had gone by, without waiting for it.
  func age(_ db: Database, by seconds: Double) {
    db.pager.lock.withLock { $0.lastCheckpointAt -= seconds }
  }

  @Test func theCheckpointIntervalRunsAtCommitAndReadTime() throws {
    // An hour: nothing falls due by itself while the test runs.
    let db = try open { $0.autoCheckpointInterval = 3600 }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let before = db.metrics().checkpoints
    _ = try db.read { try PageStore.read($0) }
    #expect(db.metrics().checkpoints == before, "not due before the interval")
    age(db, by: 3600)
    _ = try db.read { try PageStore.read($0) }
    #expect(db.metrics().checkpoints == before + 1, "the end of a read ran the due checkpoint")
    #expect(db.metrics().walBytes == 0)
    try db.write { try PageStore.apply([(2, 2)], in: $0) }
    #expect(db.metrics().checkpoints == before + 1, "the checkpoint started the interval again: not due yet")
    age(db, by: 3600)
    try db.write { try PageStore.apply([(3, 3)], in: $0) }
    #expect(db.metrics().checkpoints == before + 2, "a commit after the interval checkpoints")
    try expectClean(db, [1: 1, 2: 2, 3: 3])
  }

  /// The timeouts below are a second: the steps a test takes before a
  /// transaction's deadline (one change) fit in it on any machine, and the
  /// test then waits on the clock until the deadline has passed for sure.
  @Test func aTimedOutTransactionThrowsTimeoutAndTheNextOneProceeds() throws {
    let db = try open { $0.transactionTimeout = 1 }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let stale = try db.beginWrite()
    try PageStore.apply([(2, 2)], in: stale)
    // Another writer waits, then takes over once the deadline passes.
    let next = try db.beginWrite(timeout: hangBound)
    try PageStore.apply([(3, 3)], in: next)
    try next.commit()
    let error = #expect(throws: SombraError.self) { try PageStore.apply([(4, 4)], in: stale) }
    #expect(error?.code == .timeout)
    #expect(#expect(throws: SombraError.self) { try stale.commit() }?.code == .timeout)
    try stale.rollback()
    #expect(db.metrics().timeouts == 1)
    try expectClean(db, [1: 1, 3: 3])
  }

  @Test func anExpiredTransactionFailsAtItsOwnNextUse() throws {
    let db = try open { $0.transactionTimeout = 1 }
    let error = #expect(throws: SombraError.self) {
      try db.write { tx in
        // The deadline is at most a second after now (it was set at the begin).
        let began = monotonicSeconds()
        try PageStore.apply([(1, 1)], in: tx)
        waitPast(began + 1)
        try PageStore.apply([(2, 2)], in: tx)
      }
    }
    #expect(error?.code == .timeout)
    try db.write { try PageStore.apply([(5, 5)], in: $0) }
    try expectClean(db, [5: 5])
  }

  @Test func aLockWaitIsCounted() throws {
    let db = try open()
    let tx = try db.beginWrite()
    let wrote = Atomic<Bool>(false)
    let other = try BlockingWorkThread {
      wrote.store((try? db.write { try PageStore.apply([(1, 1)], in: $0) }) != nil, ordering: .releasing)
    }
    // The other writer is queued behind this transaction before it ends.
    #expect(waitUntil { db.pager.gate.waiters == 1 }, "the other writer never waited at the gate")
    try tx.rollback()
    other.join()
    let committed = wrote.load(ordering: .acquiring)
    #expect(committed)
    #expect(db.metrics().lockWaits == 1)
  }
}

extension OperationalLimitsTests {
  @Test func closeRollsBackATransactionOpenPastItsTimeout() throws {
    let db = try open { $0.transactionTimeout = 1 }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let stale = try db.beginWrite()
    let began = monotonicSeconds()
    try PageStore.apply([(2, 2)], in: stale)
    waitPast(began + 1)
    try db.close()
    #expect(#expect(throws: SombraError.self) { try stale.commit() }?.code == .timeout)
    let reopened = try open()
    try expectClean(reopened, [1: 1])
  }
}
