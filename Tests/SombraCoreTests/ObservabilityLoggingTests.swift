import Logging
import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct ObservabilityLoggingTests {
  let disk = SimulatedDisk()
  let path = "/db/log.sombra"

  func open(_ log: CapturedLog, level: Logger.Level = .trace, _ configure: (inout OpenOptions) -> Void = { _ in }) throws
    -> Database
  {
    var options = OpenOptions()
    options.logger = log.logger(level: level)
    configure(&options)
    return try Database.open(path, options: options, storage: disk)
  }

  @Test func openCommitRollbackAndCheckpointAreLoggedWithMetadata() throws {
    let log = CapturedLog()
    let db = try open(log)
    try db.write { try PageStore.apply([(1, 10)], in: $0) }
    let tx = try db.beginWrite()
    try tx.rollback()
    try db.checkpoint(.full)
    try db.close()
    let opened = try #require(log.first("opened"))
    #expect(opened.level == .info)
    #expect(opened.metadata["sombra.path"] == path)
    #expect(opened.metadata["created"] == "true")
    let commit = try #require(log.all.last { $0.message == "commit" })
    #expect(commit.level == .debug)
    #expect(commit.metadata["tx"] != nil && commit.metadata["pages"] != nil && commit.metadata["bytes"] != nil)
    #expect(commit.metadata["duration_ms"] != nil)
    let rollback = try #require(log.first("rollback"))
    #expect(rollback.metadata["reason"] == "requested")
    let checkpoint = try #require(log.first("checkpoint"))
    #expect(checkpoint.metadata["mode"] == "full" && checkpoint.metadata["frames"] != nil)
    #expect(log.first("closed")?.level == .info)
  }

  @Test func infoIsQuietInASteadyState() throws {
    let log = CapturedLog()
    let db = try open(log, level: .info)
    for i in 0..<20 { try db.write { try PageStore.apply([(i % 8, UInt64(i))], in: $0) } }
    for _ in 0..<20 { _ = try db.read { try PageStore.read($0) } }
    try db.checkpoint()
    #expect(log.messages() == ["opened"])
  }

  @Test func anUncleanShutdownAndItsRecoveryAreReported() throws {
    let first = try open(CapturedLog())
    try first.write { try PageStore.apply([(1, 10)], in: $0) }
    // No close: the session "crashes"; the durable bytes are what the next open sees.
    let crashed = disk.afterPowerLoss(.dropUnsynced)
    let log = CapturedLog()
    var options = OpenOptions()
    options.logger = log.logger()
    let db = try Database.open(path, options: options, storage: crashed)
    let unclean = try #require(log.first("unclean shutdown detected: the last session did not close the database"))
    #expect(unclean.level == .notice)
    let recovery = try #require(log.first("recovery"))
    #expect(recovery.metadata["frames_replayed"] != "0")
    #expect(recovery.metadata["transactions_recovered"] != nil)
    #expect(db.metrics().lifetime.uncleanShutdowns == 1)
    _ = first
  }

  @Test func slowOperationsAreLoggedOverTheThreshold() throws {
    let log = CapturedLog()
    let db = try open(log, level: .warning) { $0.slowOperationThreshold = 0 }
    try db.write { try PageStore.apply([(1, 10)], in: $0) }
    let slow = try #require(log.first("slow operation"))
    #expect(slow.metadata["operation"] == "commit")
    #expect(slow.metadata["threshold_ms"] == "0.000")
    #expect(db.metrics().slowOperations >= 1)
  }

  @Test func limitsAndCorruptionAreLoggedAtWarningAndError() throws {
    let log = CapturedLog()
    let db = try open(log, level: .warning) { $0.maxTransactionPages = 4 }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    #expect(throws: SombraError.self) { try db.write { try PageStore.apply([(2, 2), (3, 3), (4, 4), (5, 5), (6, 6)], in: $0) } }
    let limit = try #require(log.first("limit reached"))
    #expect(limit.level == .warning && limit.metadata["limit"] == "transaction")
    #expect(db.metrics().limitRejections == 1)
    try db.close()

    // Damage a page in the main file: reading it is a corruption error, logged.
    var bytes = disk.contents(path) ?? []
    let pageSize = 8192
    try #require(bytes.count >= 2 * pageSize)
    bytes[pageSize + 100] ^= 0xFF
    disk.setContents(path, bytes)
    let log2 = CapturedLog()
    let reopened = try open(log2, level: .error)
    #expect(throws: SombraError.self) { try reopened.read { try PageStore.read($0) } }
    let corruption = try #require(log2.first("corruption detected"))
    #expect(corruption.level == .error)
    #expect(corruption.metadata["code"] == "corruption")
    #expect(corruption.metadata["page"] != nil)
    #expect(reopened.metadata().corruptionErrors >= 1)
  }
}

extension Database {
  fileprivate func metadata() -> MetricsSnapshot { metrics() }
}
