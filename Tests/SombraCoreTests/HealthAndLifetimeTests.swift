import Glibc
import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct HealthAndLifetimeTests {
  let disk = SimulatedDisk()
  let path = "/db/health.sombra"

  func open(_ configure: (inout OpenOptions) -> Void = { _ in }) throws -> Database {
    var options = OpenOptions()
    configure(&options)
    return try Database.open(path, options: options, storage: disk)
  }

  @Test func aFreshDatabaseIsHealthyWithEveryCheckListed() throws {
    let dir = try ScratchDirectory()
    let db = try Database.open(dir.path + "/h.sombra")
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    var thresholds = HealthThresholds()
    thresholds.minFreeDiskBytes = 1
    let report = db.health(thresholds)
    #expect(report.status == .healthy, "\(report.checks)")
    #expect(
      report.checks.map(\.name) == ["cache_hit_rate", "wal_size", "corruption_errors", "checkpoint_age", "poisoned", "free_disk"])
    let cache = try #require(report.checks.first)
    #expect(cache.value == nil, "not judged before the warm-up")
    let free = try #require(report.checks.last)
    #expect((free.value ?? 0) > 0, "statvfs measured the file system")
    thresholds.minFreeDiskBytes = UInt64.max
    #expect(db.health(thresholds).checks.last?.status == .unhealthy)
    try db.close()
  }

  @Test func aLowCacheHitRateAfterTheWarmUpIsDegraded() throws {
    let db = try open { $0.cachePages = 8 }
    try db.write { try PageStore.apply((0..<40).map { ($0, UInt64($0)) }, in: $0) }
    try db.checkpoint(.full)
    for _ in 0..<5 { _ = try db.read { try PageStore.read($0) } }
    var thresholds = HealthThresholds()
    thresholds.cacheWarmupLookups = 10
    thresholds.minCacheHitRate = 0.99
    let check = try #require(db.health(thresholds).checks.first)
    #expect(check.status == .degraded)
    #expect((check.value ?? 1) < 0.99)
    #expect(check.threshold == 0.99)
  }

  @Test func aPoisonedHandleIsUnhealthy() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    disk.inject(.syncFailure, atOperation: disk.operations + 2)
    #expect(throws: SombraError.self) { try db.write { try PageStore.apply([(2, 2)], in: $0) } }
    let report = db.health()
    #expect(report.status == .unhealthy)
    #expect(report.checks.first { $0.name == "poisoned" }?.status == .unhealthy)
  }

  @Test func lifetimeFactsPersistAcrossSessionsAndOldFilesReadZero() throws {
    let db = try open()
    for i in 0..<3 { try db.write { try PageStore.apply([(i, UInt64(i))], in: $0) } }
    try db.close()
    let again = try open()
    let facts = again.metrics().lifetime
    // open (1) + 3 writes + close (1), then this open (1).
    #expect(facts.commits == 6)
    #expect(facts.checkpoints >= 1)
    #expect(facts.lastCheckpointTime >= UInt64(time(nil)) - 60)
    #expect(facts.uncleanShutdowns == 0)
    try again.close()

    // A file from before the fields existed (bytes 136..<176 zero) reads as zeros.
    var header = DatabaseHeader(pageSize: 4096)
    let page = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
    defer { page.deallocate() }
    header.lifetime = LifetimeFacts(commits: 1, checkpoints: 2, lastCheckpointTime: 3, uncleanShutdowns: 4, corruptionEvents: 5)
    header.encode(into: page)
    #expect(try DatabaseHeader.decode(UnsafeRawBufferPointer(page), path: "x").lifetime == header.lifetime)
    for i in 136..<176 { page[i] = 0 }
    PageLayout.seal(page)
    #expect(try DatabaseHeader.decode(UnsafeRawBufferPointer(page), path: "x").lifetime == LifetimeFacts())
  }

  @Test func anUncleanShutdownIsCountedInTheFile() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let crashed = disk.afterPowerLoss(.dropUnsynced)
    let reopened = try Database.open(path, options: OpenOptions(), storage: crashed)
    #expect(reopened.openReport.uncleanShutdown)
    #expect(reopened.metrics().lifetime.uncleanShutdowns == 1)
    try reopened.close()
    let third = try Database.open(path, options: OpenOptions(), storage: crashed)
    #expect(third.metrics().lifetime.uncleanShutdowns == 1, "a clean close is not counted")
    #expect(try third.verify(VerifyOptions()).isClean)
    _ = db
  }
}
