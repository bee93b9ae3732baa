/// Exports of a metrics snapshot. One table of samples (``MetricsSnapshot/samples``)
/// drives all three formats, so they always carry the same metrics:
///
/// - Prometheus text exposition (0.0.4): for every metric a `# HELP` and a
///   `# TYPE` line, then its samples; names start with `sombra_`, counters end in
///   `_total`, latencies are summaries with `quantile` labels, `_sum` and `_count`.
/// - JSON: one object, `{"name": value, ...}`, with the sample names of the
///   Prometheus export (quantiles as `name_p50`, ...).
/// - StatsD: one line per sample, `prefix.name:value|c` for counters and `|g`
///   for gauges (latency percentiles as gauges in milliseconds).
extension MetricsSnapshot {
  /// What a metric is, for the exports.
  public enum Kind: String, Sendable {
    case counter, gauge, summary
  }

  /// One exported metric: its name (without the `sombra_` prefix), help text,
  /// kind and value; a summary carries its distribution.
  public struct Sample: Sendable, Equatable {
    public var name: String
    public var help: String
    public var kind: Kind
    public var value: Double
    public var latency: LatencySummary?
  }

  /// Every metric of the snapshot, in export order.
  public var samples: [Sample] {
    func counter(_ name: String, _ help: String, _ value: UInt64) -> Sample {
      Sample(name: name + "_total", help: help, kind: .counter, value: Double(value))
    }
    func gauge(_ name: String, _ help: String, _ value: UInt64) -> Sample {
      Sample(name: name, help: help, kind: .gauge, value: Double(value))
    }
    func summary(_ name: String, _ help: String, _ s: LatencySummary) -> Sample {
      Sample(name: name, help: help, kind: .summary, value: s.sumSeconds, latency: s)
    }
    return [
      counter("transactions_committed", "Write transactions committed.", transactionsCommitted),
      counter("transactions_rolled_back", "Write transactions rolled back.", transactionsRolledBack),
      counter("wal_frames_written", "WAL frames appended.", walFramesWritten),
      counter("wal_bytes_written", "WAL bytes appended.", walBytesWritten),
      counter("wal_syncs", "fdatasync calls on the WAL.", walSyncs),
      counter("checkpoints", "Checkpoints run.", checkpoints),
      counter("pages_read", "Pages read from disk.", pagesRead),
      counter("pages_written", "Pages written into the main file by checkpoints.", pagesWritten),
      counter("cache_hits", "Page cache lookups that found the page.", cacheHits),
      counter("cache_misses", "Page cache lookups that missed.", cacheMisses),
      counter("cache_evictions", "Pages evicted from the cache.", cacheEvictions),
      counter("corruption_errors", "Corruption errors met while reading pages.", corruptionErrors),
      counter("lock_waits", "Write transactions that waited for another.", lockWaits),
      counter("limit_rejections", "Operations refused by an operational limit.", limitRejections),
      counter("timeouts", "Write transactions rolled back by the transaction timeout.", timeouts),
      counter("slow_operations", "Operations slower than the slow-operation threshold.", slowOperations),
      gauge("wal_bytes", "Committed bytes in the WAL.", walBytes),
      gauge("database_pages", "Pages in the committed state.", databasePages),
      gauge("page_size_bytes", "Page size in bytes.", pageSize),
      gauge("read_transactions_open", "Read transactions open now.", openReadTransactions),
      gauge("cache_pages", "Pages held by the page cache.", cachePages),
      gauge("cache_capacity_pages", "Pages the page cache can hold.", cacheCapacity),
      summary("commit_latency_seconds", "Commit latency in seconds.", commitLatency),
      summary("read_latency_seconds", "Read transaction latency in seconds.", readLatency),
      gauge("lifetime_commits", "Transactions committed over the file's life.", lifetime.commits),
      gauge("lifetime_checkpoints", "Checkpoints over the file's life.", lifetime.checkpoints),
      gauge("last_checkpoint_timestamp_seconds", "Unix time of the last checkpoint (0: never).", lifetime.lastCheckpointTime),
      gauge("lifetime_unclean_shutdowns", "Unclean shutdowns detected over the file's life.", lifetime.uncleanShutdowns),
      gauge("lifetime_corruption_events", "Corruption errors seen over the file's life.", lifetime.corruptionEvents),
    ]
  }

  /// The snapshot in the Prometheus text exposition format; `labels` (already
  /// valid label names, values escaped here) are added to every sample.
  public func prometheusText(labels: [(String, String)] = []) -> String {
    let base = labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }
    func series(_ name: String, _ extra: [String] = []) -> String {
      let all = base + extra
      return "sombra_" + name + (all.isEmpty ? "" : "{" + all.joined(separator: ",") + "}")
    }
    var out = ""
    for s in samples {
      out += "# HELP sombra_\(s.name) \(s.help)\n# TYPE sombra_\(s.name) \(s.kind.rawValue)\n"
      if let l = s.latency {
        for (q, v) in [("0.5", l.p50), ("0.95", l.p95), ("0.99", l.p99)] {
          out += series(s.name, ["quantile=\"\(q)\""]) + " \(Self.number(v))\n"
        }
        out += series(s.name + "_sum") + " \(Self.number(l.sumSeconds))\n"
        out += series(s.name + "_count") + " \(l.count)\n"
      } else {
        out += series(s.name) + " \(Self.number(s.value))\n"
      }
    }
    return out
  }

  /// The snapshot as one JSON object (names as in ``prometheusText(labels:)``
  /// without the prefix; summaries as `NAME_count`, `NAME_sum`, `NAME_p50`,
  /// `NAME_p95`, `NAME_p99`, `NAME_max`).
  public func jsonText() -> String {
    var members: [String] = []
    for s in samples {
      if let l = s.latency {
        members.append("\"\(s.name)_count\":\(l.count)")
        for (k, v) in [("sum", l.sumSeconds), ("p50", l.p50), ("p95", l.p95), ("p99", l.p99), ("max", l.maxSeconds)] {
          members.append("\"\(s.name)_\(k)\":\(Self.number(v))")
        }
      } else {
        members.append("\"\(s.name)\":\(Self.number(s.value))")
      }
    }
    return "{" + members.joined(separator: ",") + "}"
  }

  /// The snapshot as StatsD lines (`prefix.name:value|c` or `|g`), one per
  /// sample; latency percentiles are gauges in milliseconds. StatsD counters
  /// add up, so pass the snapshot sent last as `since` to send each counter's
  /// increase (without it, counters are sent whole).
  public func statsdLines(prefix: String = "sombra", since previous: MetricsSnapshot? = nil) -> [String] {
    var lines: [String] = []
    let before = Dictionary((previous?.samples ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    for s in samples {
      if s.kind == .counter {
        lines.append("\(prefix).\(s.name):\(Self.number(max(s.value - (before[s.name] ?? 0), 0)))|c")
        continue
      }
      if let l = s.latency {
        let base = s.name.hasSuffix("_seconds") ? String(s.name.dropLast(8)) + "_ms" : s.name
        for (k, v) in [("p50", l.p50), ("p95", l.p95), ("p99", l.p99), ("max", l.maxSeconds)] {
          lines.append("\(prefix).\(base).\(k):\(Self.number(v * 1000))|g")
        }
        lines.append("\(prefix).\(base).count:\(l.count)|g")
      } else {
        lines.append("\(prefix).\(s.name):\(Self.number(s.value))|\(s.kind == .counter ? "c" : "g")")
      }
    }
    return lines
  }

  /// A number as the formats want it: integers without a fraction, others in
  /// Swift's shortest round-tripping form.
  static func number(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), abs(v) < 9e15 { return String(Int64(v)) }
    return "\(v)"
  }

  /// A Prometheus label value: backslash, quote and newline escaped.
  public static func escapeLabelValue(_ value: String) -> String { escapeLabel(value) }

  static func escapeLabel(_ value: String) -> String {
    var out = ""
    for c in value {
      switch c {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.append(c)
      }
    }
    return out
  }
}
