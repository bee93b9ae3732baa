import Logging

/// The pager's events and the checks that ride on them: how counters, the log
/// and the interval checkpoint hang off the paths that already exist.
///
/// Rules:
/// 1. Counters are `PagerState`: they change under `lock`, next to the state
///    they describe; nothing on a hot path allocates or formats unless the
///    logger's level lets it through (swift-log evaluates messages and
///    metadata lazily).
/// 2. Events are logged with the `sombra.path` metadata of the handle, at the
///    levels `OpenOptions.logger` documents: a healthy steady state logs nothing
///    at `info` or above.
/// 3. The interval checkpoint needs no thread: commits and ends of read
///    transactions ask `checkpointIntervalDue()`; a reader runs a passive
///    checkpoint only when it can take the writer gate without waiting.
extension Pager {
  /// Counts and logs a corruption error met while reading.
  func noteCorruption(_ error: SombraError, _ state: inout PagerState) {
    state.counters.corruptionErrors += 1
    logger.error(
      "corruption detected",
      metadata: [
        "page": error.page.map { "\($0)" } ?? "-", "code": "\(error.code.rawValue)",
        "file": .string(error.path ?? path), "detail": .string(error.message),
      ])
  }

  /// Counts and logs an operation refused by a limit. Takes `lock`.
  func noteLimit(_ error: SombraError, limit: String) {
    lock.withLock { $0.counters.limitRejections += 1 }
    logger.warning("limit reached", metadata: ["limit": .string(limit), "detail": .string(error.message)])
  }

  /// Counts and logs an operation slower than `slowOperationThreshold`. Takes `lock`.
  func noteIfSlow(_ operation: String, seconds: Double, metadata: @autoclosure () -> Logger.Metadata = [:]) {
    guard seconds > options.slowOperationThreshold else { return }
    lock.withLock { $0.counters.slowOperations += 1 }
    var m = metadata()
    m["operation"] = .string(operation)
    m["duration_ms"] = .string(Self.milliseconds(seconds))
    m["threshold_ms"] = .string(Self.milliseconds(options.slowOperationThreshold))
    logger.warning("slow operation", metadata: m)
  }

  /// Whether `autoCheckpointInterval` has passed since the last checkpoint with
  /// frames in the WAL. Inlined: a call would copy the whole state to pass it.
  @inline(__always)
  func checkpointIntervalDue(_ state: PagerState) -> Bool {
    guard let interval = options.autoCheckpointInterval, state.committedFrames > 0 else { return false }
    return monotonicSeconds() - state.lastCheckpointAt >= interval
  }

  /// The interval checkpoint from the end of a read transaction: passive, and
  /// only when no write transaction is open (never waits).
  func autoCheckpointFromReader() {
    guard let pass = gate.tryEnter() else { return }
    pass.leave(after: { pass in
      guard (try? lock.withLock({ state in try checkUsable(state) })) != nil else { return }
      let result = try? checkpointHoldingGate(.passive, reason: "interval", pass)
      if let result, !result.walReset { warnIfWALBehind(result) }
    })
  }

  /// Logs, at most every 10 seconds, that checkpoints cannot shrink a WAL past
  /// `maxWALSize` (readers hold old frames).
  func warnIfWALBehind(_ result: CheckpointResult) {
    let now = monotonicSeconds()
    let due = lock.withLock { state in
      guard result.walBytesAfter >= options.maxWALSize, now - state.lastWALWarningAt >= 10 else { return false }
      state.lastWALWarningAt = now
      return true
    }
    guard due else { return }
    logger.warning(
      "WAL checkpoint cannot keep up: readers hold old frames",
      metadata: [
        "wal_bytes": "\(result.walBytesAfter)", "max_wal_bytes": "\(options.maxWALSize)",
        "busy": "\(result.busy)",
      ])
  }

  /// Seconds as milliseconds with three decimals, for log metadata.
  static func milliseconds(_ seconds: Double) -> String {
    let micro = Int64((seconds * 1_000_000).rounded())
    let frac = String(micro % 1000)
    return "\(micro / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
  }
}

extension Pager {
  /// Logs the open, the recovery and an unclean shutdown (once, at open).
  func logOpen() {
    let (report, header) = lock.withLock { ($0.report, $0.header) }
    logger.info(
      "opened",
      metadata: [
        "read_only": "\(readOnly)", "created": "\(report.created)", "page_size": "\(pageSize)",
        "pages": "\(header.pageCount)", "cache_pages": "\(cacheCapacity)", "sync": "\(options.sync)",
        "max_wal_bytes": "\(options.maxWALSize)",
        "max_database_bytes": .string(options.maxDatabaseSize.map { "\($0)" } ?? "none"),
        "max_transaction_pages": "\(options.maxTransactionPages)",
        "transaction_timeout_s": .string(options.transactionTimeout.map { "\($0)" } ?? "none"),
        "auto_checkpoint_interval_s": .string(options.autoCheckpointInterval.map { "\($0)" } ?? "none"),
      ])
    if report.uncleanShutdown && !report.created {
      logger.notice(
        "unclean shutdown detected: the last session did not close the database",
        metadata: ["lifetime_unclean_shutdowns": "\(header.lifetime.uncleanShutdowns.addingSaturating(readOnly ? 0 : 1))"])
    }
    if report.recoveredFrames > 0 || report.discardedFrames > 0 {
      var metadata: Logger.Metadata = [
        "frames_replayed": "\(report.recoveredFrames)", "transactions_recovered": "\(report.recoveredTransactions)",
        "frames_discarded": "\(report.discardedFrames)",
      ]
      if let reason = report.walStopReason { metadata["wal_stop"] = .string(reason) }
      logger.info("recovery", metadata: metadata)
    }
  }
}
