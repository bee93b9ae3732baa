#if canImport(Glibc)
  import Glibc
#endif

/// The verdict of `Database.health()`: the worst status of its checks.
public enum HealthStatus: String, Sendable, Comparable, CaseIterable {
  case healthy, degraded, unhealthy

  public static func < (a: HealthStatus, b: HealthStatus) -> Bool {
    allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
  }
}

/// One health check: what it measured, against which threshold, and its status.
public struct HealthCheck: Sendable, Equatable {
  /// Stable name: `cache_hit_rate`, `wal_size`, `corruption_errors`,
  /// `checkpoint_age`, `poisoned`, `free_disk`.
  public var name: String
  public var status: HealthStatus
  /// The measured value (a ratio, bytes, a count, seconds or 0/1); nil when
  /// it could not be measured yet (the cache before its warm-up).
  public var value: Double?
  /// The threshold the value was compared with.
  public var threshold: Double
  /// One line for people.
  public var message: String
}

/// The result of `Database.health()`.
public struct HealthReport: Sendable, Equatable {
  /// The worst status of the checks.
  public var status: HealthStatus
  public var checks: [HealthCheck]
}

/// The thresholds of the health checks, with their defaults.
public struct HealthThresholds: Sendable, Equatable {
  /// Below this cache hit rate: degraded. Default 0.8.
  public var minCacheHitRate = 0.8
  /// Cache lookups before the hit rate is judged. Default 10,000.
  public var cacheWarmupLookups: UInt64 = 10_000
  /// WAL bytes over `maxWALSize` times this: unhealthy (over 1×: degraded). Default 4.
  public var walUnhealthyFactor: UInt64 = 4
  /// Seconds since the last checkpoint while the WAL holds frames: over it,
  /// degraded. Default 600.
  public var maxCheckpointAge: Double = 600
  /// Free bytes on the database's file system below this: degraded (below a
  /// quarter of it: unhealthy). Default 256 MiB.
  public var minFreeDiskBytes: UInt64 = 256 << 20

  /// The defaults.
  public init() {}
}

extension Database {
  /// Checks this handle and its file: cache hit rate (after a warm-up), WAL size
  /// against `maxWALSize`, corruption errors (this session: unhealthy; earlier
  /// sessions: degraded), age of the last checkpoint while the WAL is not empty,
  /// a poisoned handle, and free space on the database's file system.
  ///
  /// ```swift
  /// let report = db.health()
  /// if report.status != .healthy { for c in report.checks where c.status != .healthy { print(c.message) } }
  /// ```
  public func health(_ thresholds: HealthThresholds = HealthThresholds()) -> HealthReport {
    let m = metrics()
    let maxWAL = pager.options.maxWALSize
    var checks: [HealthCheck] = []

    let lookups = m.cacheHits + m.cacheMisses
    if lookups < thresholds.cacheWarmupLookups {
      checks.append(
        HealthCheck(
          name: "cache_hit_rate", status: .healthy, value: nil, threshold: thresholds.minCacheHitRate,
          message: "cache hit rate not judged yet: \(lookups) of \(thresholds.cacheWarmupLookups) warm-up lookups"))
    } else {
      let rate = m.cacheHitRate ?? 1
      checks.append(
        HealthCheck(
          name: "cache_hit_rate", status: rate < thresholds.minCacheHitRate ? .degraded : .healthy, value: rate,
          threshold: thresholds.minCacheHitRate,
          message: rate < thresholds.minCacheHitRate
            ? "cache hit rate \(percent(rate)) is below \(percent(thresholds.minCacheHitRate)): raise the cache size"
            : "cache hit rate \(percent(rate))"))
    }

    let wal = m.walBytes
    let blocker = pager.lock.withLock { $0.checkpointBlocker }
    let walStatus: HealthStatus = wal > maxWAL &* thresholds.walUnhealthyFactor ? .unhealthy : wal > maxWAL ? .degraded : .healthy
    checks.append(
      HealthCheck(
        name: "wal_size", status: walStatus, value: Double(wal), threshold: Double(maxWAL),
        message: walStatus == .healthy
          ? "WAL \(wal) bytes of \(maxWAL)"
          : "WAL \(wal) bytes is over maxWALSize (\(maxWAL)): "
            + (blocker.map { "\($0), so checkpoints cannot reset it" } ?? "long readers keep checkpoints from resetting it")))

    let session = m.corruptionErrors
    let lifetime = m.lifetime.corruptionEvents
    let corruptionStatus: HealthStatus = session > 0 ? .unhealthy : lifetime > 0 ? .degraded : .healthy
    checks.append(
      HealthCheck(
        name: "corruption_errors", status: corruptionStatus, value: Double(lifetime), threshold: 0,
        message: corruptionStatus == .healthy
          ? "no corruption seen"
          : "\(session) corruption error(s) this session, \(lifetime) over the file's life: run sombra-verify"))

    let now = Double(max(time(nil), 0))
    let last = m.lifetime.lastCheckpointTime
    let age = last == 0 ? nil : max(now - Double(last), 0)
    let stale = wal > 0 && (age.map { $0 > thresholds.maxCheckpointAge } ?? false)
    checks.append(
      HealthCheck(
        name: "checkpoint_age", status: stale ? .degraded : .healthy, value: age, threshold: thresholds.maxCheckpointAge,
        message: age.map {
          stale ? "last checkpoint \(Int($0)) s ago with \(wal) WAL bytes waiting" : "last checkpoint \(Int($0)) s ago"
        }
          ?? "no checkpoint recorded yet"))

    let poisoned = isPoisoned
    checks.append(
      HealthCheck(
        name: "poisoned", status: poisoned ? .unhealthy : .healthy, value: poisoned ? 1 : 0, threshold: 0,
        message: poisoned ? "a write or sync failed: reopen the database" : "handle usable"))

    if let free = try? pager.storage.availableBytes(at: path) {
      let status: HealthStatus =
        free < thresholds.minFreeDiskBytes / 4 ? .unhealthy : free < thresholds.minFreeDiskBytes ? .degraded : .healthy
      checks.append(
        HealthCheck(
          name: "free_disk", status: status, value: Double(free), threshold: Double(thresholds.minFreeDiskBytes),
          message: status == .healthy ? "\(free) bytes free" : "only \(free) bytes free on the database's file system"))
    } else {
      checks.append(
        HealthCheck(
          name: "free_disk", status: .degraded, value: nil, threshold: Double(thresholds.minFreeDiskBytes),
          message: "free space could not be measured"))
    }
    return HealthReport(status: checks.map(\.status).max() ?? .healthy, checks: checks)
  }
}

private func percent(_ ratio: Double) -> String {
  let tenths = Int((ratio * 1000).rounded())
  return "\(tenths / 10).\(tenths % 10)%"
}
