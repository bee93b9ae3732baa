/// A point-in-time copy of a database handle's metrics (`Database.metrics()`).
///
/// Counters count since the handle was opened and only grow; gauges describe
/// the moment of the snapshot; latencies are distributions since the open
/// (empty when `OpenOptions.metricsEnabled` is false). Lifetime facts are the
/// ones persisted in the database header (they survive reopening).
///
/// Exports: ``prometheusText(labels:)`` (text exposition format 0.0.4),
/// ``jsonText()`` and ``statsdLines(prefix:since:)``.
public struct MetricsSnapshot: Sendable, Equatable {
  /// Write transactions committed.
  public var transactionsCommitted: UInt64 = 0
  /// Write transactions rolled back (explicitly, by an error, a limit or a timeout).
  public var transactionsRolledBack: UInt64 = 0
  /// WAL frames appended.
  public var walFramesWritten: UInt64 = 0
  /// WAL bytes appended (frames and headers).
  public var walBytesWritten: UInt64 = 0
  /// fdatasync calls on the WAL.
  public var walSyncs: UInt64 = 0
  /// Checkpoints run (automatic and explicit).
  public var checkpoints: UInt64 = 0
  /// Pages read from disk (cache misses that loaded a page).
  public var pagesRead: UInt64 = 0
  /// Pages written into the main file by checkpoints.
  public var pagesWritten: UInt64 = 0
  /// Page cache lookups that found the page.
  public var cacheHits: UInt64 = 0
  /// Page cache lookups that did not.
  public var cacheMisses: UInt64 = 0
  /// Cached pages evicted to make room.
  public var cacheEvictions: UInt64 = 0
  /// Checksum or structure errors met while reading pages.
  public var corruptionErrors: UInt64 = 0
  /// Write transactions that had to wait for another one.
  public var lockWaits: UInt64 = 0
  /// Operations refused by a limit (size, transaction pages, WAL).
  public var limitRejections: UInt64 = 0
  /// Write transactions rolled back by `transactionTimeout`.
  public var timeouts: UInt64 = 0
  /// Operations slower than `slowOperationThreshold`.
  public var slowOperations: UInt64 = 0

  /// Committed WAL bytes now.
  public var walBytes: UInt64 = 0
  /// Pages of the database in its committed state.
  public var databasePages: UInt64 = 0
  /// Page size in bytes.
  public var pageSize: UInt64 = 0
  /// Read transactions open now.
  public var openReadTransactions: UInt64 = 0
  /// Pages the cache holds now, and at most.
  public var cachePages: UInt64 = 0
  public var cacheCapacity: UInt64 = 0

  /// Commit latency (from the start of the commit to its publication).
  public var commitLatency = LatencySummary()
  /// Read transaction latency (from `beginRead` to `end`).
  public var readLatency = LatencySummary()

  /// Facts persisted in the file header across sessions.
  public var lifetime = LifetimeFacts()

  /// An empty snapshot.
  public init() {}

  /// Cache hits ÷ lookups, or nil before the first lookup.
  public var cacheHitRate: Double? {
    let lookups = cacheHits + cacheMisses
    return lookups == 0 ? nil : Double(cacheHits) / Double(lookups)
  }
}

extension Database {
  /// A snapshot of this handle's counters, gauges, latency distributions and
  /// the file's lifetime facts. Cheap: one lock, no I/O.
  ///
  /// ```swift
  /// let m = db.metrics()
  /// print(m.prometheusText())
  /// ```
  public func metrics() -> MetricsSnapshot {
    pager.metricsSnapshot()
  }
}

extension Pager {
  /// The metrics as of now (under `lock`).
  func metricsSnapshot() -> MetricsSnapshot {
    lock.withLock { state in
      var m = MetricsSnapshot()
      let c = state.counters
      m.transactionsCommitted = c.commits
      m.transactionsRolledBack = c.rollbacks
      m.walFramesWritten = c.framesWritten
      m.walBytesWritten = c.walBytesWritten
      m.walSyncs = c.walSyncs
      m.checkpoints = c.checkpoints
      m.pagesRead = c.pagesRead
      m.pagesWritten = c.pagesWritten
      m.cacheHits = state.cache.stats.hits
      m.cacheMisses = state.cache.stats.misses
      m.cacheEvictions = state.cache.stats.evictions
      m.corruptionErrors = c.corruptionErrors
      m.lockWaits = c.lockWaits
      m.limitRejections = c.limitRejections
      m.timeouts = c.timeouts
      m.slowOperations = c.slowOperations
      m.walBytes = state.committedFrames == 0 ? 0 : WALFormat.frameOffset(state.committedFrames, pageSize: pageSize) ?? 0
      m.databasePages = UInt64(state.header.pageCount)
      m.pageSize = UInt64(pageSize)
      m.openReadTransactions = UInt64(state.readerMarks.values.reduce(0, +))
      m.cachePages = UInt64(state.cache.count)
      m.cacheCapacity = UInt64(state.cache.capacity)
      m.commitLatency = state.commitLatency.summary
      m.readLatency = state.readLatency.summary
      m.lifetime = state.header.lifetime
      m.lifetime.corruptionEvents += c.corruptionErrors - state.corruptionPersisted
      return m
    }
  }
}
