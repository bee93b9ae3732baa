import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// `sombra-verify --metrics-file FILE`: the result of a run as a Prometheus
/// textfile for node_exporter's textfile collector. Every sample carries a
/// `database` label with the path as given.
///
/// ```
/// # HELP sombra_verify_success 1 when the last verification found no problems, else 0.
/// # TYPE sombra_verify_success gauge
/// sombra_verify_success{database="graph.sombra"} 1
/// ...
/// ```
/// Written atomically: a temporary file beside FILE (`FILE.tmp-PID`), synced,
/// then renamed over FILE, so the collector never reads half a file. The
/// timestamp of the last clean run is carried over from the previous FILE when
/// this run is not clean (0 when there never was one).
enum VerifyMetricsFile {
  struct Run {
    var clean: Bool
    var problems: Int
    var durationSeconds: Double
    var databaseBytes: UInt64
    var walBytes: UInt64
    var now: Double
  }

  /// The textfile's contents for `run` of the database at `path`; `previous`
  /// is the old file's text, if any.
  static func text(_ run: Run, path: String, previous: String?) -> String {
    let lastClean = run.clean ? run.now : previous.flatMap(lastCleanTimestamp) ?? 0
    let label = "{database=\"\(MetricsSnapshot.escapeLabelValue(path))\"}"
    let rows: [(String, String, String)] = [
      ("success", "1 when the last verification found no problems, else 0.", run.clean ? "1" : "0"),
      ("problems", "Problems the last verification found.", "\(run.problems)"),
      ("duration_seconds", "How long the last verification took.", format(run.durationSeconds)),
      ("database_bytes", "Size of the database file.", "\(run.databaseBytes)"),
      ("wal_bytes", "Size of the WAL file.", "\(run.walBytes)"),
      ("last_run_timestamp_seconds", "Unix time of the last verification.", format(run.now)),
      (
        "last_clean_timestamp_seconds", "Unix time of the last verification that found no problems (0: never).", format(lastClean)
      ),
    ]
    var out = ""
    for (name, help, value) in rows {
      out += "# HELP sombra_verify_\(name) \(help)\n# TYPE sombra_verify_\(name) gauge\nsombra_verify_\(name)\(label) \(value)\n"
    }
    return out
  }

  /// The value of `sombra_verify_last_clean_timestamp_seconds` in an earlier file.
  static func lastCleanTimestamp(_ text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix("sombra_verify_last_clean_timestamp_seconds") {
      if let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) { return value }
    }
    return nil
  }

  static func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 9e15 ? String(Int64(value)) : "\((value * 1000).rounded() / 1000)"
  }

  /// Writes `text` to `file` atomically (temporary file, fsync, rename,
  /// directory sync), through `storage`.
  static func writeAtomically(_ text: String, to file: String, storage: any StorageSystem) throws {
    let temp = file + ".tmp-\(getpid())"
    // A file of that name can only be left by a crashed run of this process id.
    try storage.remove(temp)
    var renamed = false
    defer { if !renamed { _ = try? storage.remove(temp) } }
    let output = try storage.open(temp, .createNew)
    do {
      defer { output.close() }
      try Array(text.utf8).withUnsafeBytes { try output.write($0, at: 0) }
      try output.sync()
    }
    try storage.rename(temp, over: file)
    renamed = true
    try? storage.syncDirectory(of: file)
  }

  /// The old file's text, nil when there is none (or it cannot be read).
  static func read(_ file: String, storage: any StorageSystem) -> String? {
    guard let input = try? storage.open(file, .readOnly) else { return nil }
    defer { input.close() }
    guard let size = try? input.size(), size <= 1 << 20 else { return nil }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    guard let n = try? bytes.withUnsafeMutableBytes({ try input.read(into: $0, at: 0) }) else { return nil }
    return String(decoding: bytes[0..<n], as: UTF8.self)
  }

  /// Wall-clock seconds since the Unix epoch.
  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}
