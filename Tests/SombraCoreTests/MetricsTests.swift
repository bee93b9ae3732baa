import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct MetricsTests {
  let disk = SimulatedDisk()
  let path = "/db/metrics.sombra"

  func open(_ configure: (inout OpenOptions) -> Void = { _ in }) throws -> Database {
    var options = OpenOptions()
    configure(&options)
    return try Database.open(path, options: options, storage: disk)
  }

  @Test func countersFollowCommitsRollbacksAndCheckpoints() throws {
    let db = try open()
    let before = db.metrics()
    try db.write { try PageStore.apply([(1, 10), (2, 20)], in: $0) }
    try db.write { try PageStore.apply([(3, 30)], in: $0) }
    let tx = try db.beginWrite()
    try PageStore.apply([(4, 40)], in: tx)
    try tx.rollback()
    _ = try db.read { try PageStore.read($0) }
    try db.checkpoint(.full)
    let m = db.metrics()
    #expect(m.transactionsCommitted - before.transactionsCommitted == 2)
    #expect(m.transactionsRolledBack - before.transactionsRolledBack == 1)
    #expect(m.walSyncs - before.walSyncs == 2)
    #expect(m.walFramesWritten > before.walFramesWritten)
    #expect(m.walBytesWritten > before.walBytesWritten)
    #expect(m.checkpoints - before.checkpoints == 1)
    #expect(m.pagesWritten > 0)
    #expect(m.cacheHits > 0)
    #expect(m.walBytes == 0, "a full checkpoint with no reader resets the WAL")
    #expect(m.commitLatency.count == m.transactionsCommitted)
    #expect(m.readLatency.count == 1)
    #expect(m.commitLatency.p50 > 0 && m.commitLatency.p50 <= m.commitLatency.p99)
    #expect(m.lifetime.commits == m.transactionsCommitted, "the open's commit counts too")
    #expect(m.lifetime.checkpoints == 1)
    try db.close()
  }

  @Test func latenciesAreNotMeasuredWhenMetricsAreOff() throws {
    let db = try open { $0.metricsEnabled = false }
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    _ = try db.read { try PageStore.read($0) }
    let m = db.metrics()
    #expect(m.commitLatency.count == 0 && m.readLatency.count == 0)
    #expect(m.transactionsCommitted >= 1, "counters are kept either way")
  }

  @Test func prometheusOutputParsesBackLineByLine() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 10)], in: $0) }
    _ = try db.read { try PageStore.read($0) }
    let m = db.metrics()
    let text = m.prometheusText(labels: [("db", "a\"b\\c")])
    #expect(text.hasSuffix("\n"))
    var helped: [String: String] = [:]
    var typed: [String: String] = [:]
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      if line.hasPrefix("# HELP ") {
        let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
        #expect(parts.count == 2)
        helped[String(parts[0])] = String(parts[1])
      } else if line.hasPrefix("# TYPE ") {
        let parts = line.dropFirst(7).split(separator: " ")
        #expect(parts.count == 2)
        #expect(["counter", "gauge", "summary"].contains(String(parts[1])))
        typed[String(parts[0])] = String(parts[1])
      } else {
        // name{labels} value
        guard let space = line.lastIndex(of: " ") else {
          Issue.record("no value in \(line)")
          continue
        }
        let series = String(line[..<space])
        let value = Double(line[line.index(after: space)...])
        #expect(value != nil, "value of \(line)")
        let name = String(series.prefix { $0 != "{" })
        #expect(name.hasPrefix("sombra_"))
        #expect(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" })
        #expect(series.contains("{db=\"a\\\"b\\\\c\""), "labels on \(line)")
        let family = typed[name] != nil ? name : String(String(name.replacingSuffix("_sum")).replacingSuffix("_count"))
        #expect(typed[family] != nil && helped[family] != nil, "HELP and TYPE precede \(name)")
        if series.contains("quantile=") {
          values[name + series.drop { $0 != "q" }] = value ?? 0
        } else {
          values[name] = value ?? 0
        }
      }
    }
    #expect(typed["sombra_transactions_committed_total"] == "counter")
    #expect(values["sombra_transactions_committed_total"] == Double(m.transactionsCommitted))
    #expect(typed["sombra_commit_latency_seconds"] == "summary")
    #expect(values["sombra_commit_latency_seconds_count"] == Double(m.commitLatency.count))
    #expect(values["sombra_wal_bytes"] == Double(m.walBytes))
    #expect(values.keys.contains { $0.hasPrefix("sombra_read_latency_seconds") && $0.contains("0.99") })
    #expect(helped.count == typed.count)
    #expect(typed.count == m.samples.count)
  }

  @Test func jsonAndStatsdCarryTheSameMetrics() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 10)], in: $0) }
    let m = db.metrics()
    let json = m.jsonText()
    #expect(json.hasPrefix("{\"transactions_committed_total\":\(m.transactionsCommitted),"))
    #expect(json.contains("\"commit_latency_seconds_count\":\(m.commitLatency.count)"))
    #expect(json.hasSuffix("}"))
    let lines = m.statsdLines(prefix: "app.db")
    #expect(lines.contains("app.db.transactions_committed_total:\(m.transactionsCommitted)|c"))
    #expect(lines.contains("app.db.wal_bytes:\(m.walBytes)|g"))
    #expect(lines.contains { $0.hasPrefix("app.db.commit_latency_ms.p99:") && $0.hasSuffix("|g") })
    for line in lines {
      #expect(line.hasSuffix("|c") || line.hasSuffix("|g"))
      #expect(line.split(separator: ":").count == 2)
    }
    // Counters as deltas since an earlier snapshot.
    try db.write { try PageStore.apply([(2, 20)], in: $0) }
    let delta = db.metrics().statsdLines(prefix: "s", since: m)
    #expect(delta.contains("s.transactions_committed_total:1|c"))
  }
}

extension String {
  func replacingSuffix(_ suffix: String) -> Substring {
    hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
  }
}
