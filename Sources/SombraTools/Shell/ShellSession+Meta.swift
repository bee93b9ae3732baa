import SombraCLI
import SombraCore

/// Meta-commands (`.name args`): settings, and the operator tools run on the
/// open database (`.info` and `.stats` are `sombra-inspect`, `.verify` is
/// `sombra-verify`, on a read-only handle opened beside this one).
extension ShellSession {
  func meta(_ name: String, _ arguments: [String]) throws -> ShellResult {
    switch name {
    case ".quit":
      try arity(name, arguments, 0)
      requestQuit()
    case ".help":
      try arity(name, arguments, 0...1)
      return .message(try ShellHelp.text(for: arguments.first))
    case ".mode":
      try arity(name, arguments, 0...1)
      guard let value = arguments.first else { return .message("mode \(mode.rawValue)") }
      guard let mode = ShellRenderer.Mode(rawValue: value) else {
        throw ShellError(
          ShellError.withSuggestion(
            "unknown mode '\(value)' (table, json or line)", word: value, among: ShellRenderer.Mode.allCases.map(\.rawValue)))
      }
      self.mode = mode
    case ".timer":
      try arity(name, arguments, 1)
      switch arguments[0] {
      case "on": timer = true
      case "off": timer = false
      default: throw ShellError("expected '.timer on' or '.timer off', not '\(arguments[0])'")
      }
    case ".width":
      try arity(name, arguments, 0...1)
      guard let value = arguments.first else { return .message("width \(width)") }
      guard let columns = Int(value), (0...10_000).contains(columns) else {
        throw ShellError("expected a width from 20 to 10000 columns (0: the terminal's width), not '\(value)'")
      }
      widthOverride = columns == 0 ? nil : max(columns, 20)
    case ".limit":
      try arity(name, arguments, 0...1)
      guard let value = arguments.first else { return .message(displayLimit == .max ? "limit none" : "limit \(displayLimit)") }
      if value == "0" || value == "none" {
        displayLimit = .max
      } else {
        guard let rows = Int(value), (1...1_000_000_000).contains(rows) else {
          throw ShellError("expected a number of rows from 1 to 1000000000, or 0 or 'none' for no limit, not '\(value)'")
        }
        displayLimit = rows
      }
    case ".open":
      try arity(name, arguments, 1)
      try reopen(arguments[0])
    case ".info":
      try arity(name, arguments, 0)
      try runTool(name, SombraInspect.main([path, "info"], context: context))
    case ".stats":
      try arity(name, arguments, 0)
      try runTool(name, SombraInspect.main([path, "stats"], context: context))
      context.standardOutput.write(sessionMetrics(try openDatabase().metrics()))
    case ".verify":
      guard arguments.allSatisfy({ $0 == "--quick" }), arguments.count <= 1 else {
        throw ShellError("usage: .verify [--quick]")
      }
      try runTool(name, SombraVerify.main(arguments + ["--progress", "never", path], context: context))
    case ".checkpoint":
      try arity(name, arguments, 0)
      guard transaction == nil else { throw ShellError("commit or rollback the open transaction before a checkpoint") }
      guard !readOnly else { throw readOnlyError("a read-only shell cannot checkpoint (reopen without --readonly)") }
      let result = try openDatabase().checkpoint(.passive)
      var text =
        "checkpointed \(result.pagesCopied) page\(result.pagesCopied == 1 ? "" : "s") of \(result.framesBefore) WAL frame\(result.framesBefore == 1 ? "" : "s")"
      if result.busy { text += " (a reader in another process kept the WAL from being reset)" }
      return .message(text)
    case ".import":
      try arity(name, arguments, 1)
      return try importFile(arguments[0])
    case ".export":
      try arity(name, arguments, 1...2)
      let force = arguments.count == 2
      if force && arguments[1] != "--force" {
        throw ShellError("unexpected '\(arguments[1])'; usage: .export FILE [--force]")
      }
      return try exportFile(arguments[0], replacing: force)
    default:
      throw ShellError("unknown meta-command '\(name)'")
    }
    return .none
  }

  /// This shell's live metrics (its own handle), after the file's stats.
  func sessionMetrics(_ m: MetricsSnapshot) -> String {
    func latency(_ l: LatencySummary) -> String {
      guard l.count > 0 else { return "none yet" }
      func us(_ seconds: Double) -> String { String(Int((seconds * 1e6).rounded())) }
      return "\(l.count), p50 \(us(l.p50)) µs, p95 \(us(l.p95)) µs, p99 \(us(l.p99)) µs"
    }
    let lookups = m.cacheHits + m.cacheMisses
    let hitRate = lookups == 0 ? "-" : String(Int((Double(m.cacheHits) * 100 / Double(lookups)).rounded())) + "%"
    let list = KeyValueList(
      title: "this session",
      pairs: [
        ("transactions", "\(m.transactionsCommitted) committed, \(m.transactionsRolledBack) rolled back"),
        ("WAL", "\(m.walFramesWritten) frames, \(m.walBytesWritten) bytes written, \(m.walSyncs) syncs"),
        ("checkpoints", "\(m.checkpoints)"),
        ("cache", "\(m.cacheHits) hits, \(m.cacheMisses) misses (\(hitRate)), \(m.cacheEvictions) evictions"),
        ("commit latency", latency(m.commitLatency)),
        ("read latency", latency(m.readLatency)),
      ])
    return list.render(width: width)
  }

  /// Reports a failed tool run (it has written its own message).
  func runTool(_ name: String, _ status: ExitCode) throws {
    guard status == .success else { throw ShellError("\(name) failed (exit status \(status.rawValue))") }
  }

  func arity(_ name: String, _ arguments: [String], _ count: Int) throws {
    try arity(name, arguments, count...count)
  }

  func arity(_ name: String, _ arguments: [String], _ range: ClosedRange<Int>) throws {
    guard !range.contains(arguments.count) else { return }
    throw ShellError("wrong number of arguments to \(name); usage: \(ShellHelp.usage(of: name))")
  }

  /// `.open FILE`: closes this database and opens `file`; when that fails
  /// the previous database is opened again.
  func reopen(_ file: String) throws {
    guard transaction == nil else { throw ShellError("commit or rollback the open transaction before .open") }
    if let database {
      try database.close()
      self.database = nil
    }
    do {
      database = try Self.openDatabase(file, readOnly: readOnly, storage: context.storage, logger: logger)
      path = file
    } catch {
      database = try? Self.openDatabase(path, readOnly: readOnly, storage: context.storage, logger: logger)
      throw error
    }
  }
}
