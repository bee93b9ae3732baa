import Logging
import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The steps every `sombra-repair` command shares (see `SombraRepair`): the
/// read-only look, the plan of a dry run, the confirmation gate, the exclusive
/// open, backups, and the way results and failures are written.
struct RepairRun {
  let path: String
  let command: String
  let output: OutputOptions
  let context: ToolContext
  let dryRun: Bool
  let yes: Bool
  let backup: Bool
  let lockTimeout: Double
  let timestamp: () -> String
  let progress: ProgressLine
  /// Where the engine's events go (`--log-level`, `--log-format`).
  let logger: Logger

  init(
    path: String, command: String, output: OutputOptions, context: ToolContext, dryRun: Bool, yes: Bool, backup: Bool,
    lockTimeout: Double, timestamp: @escaping () -> String, logger: Logger = ToolLogging.silent
  ) {
    self.logger = logger
    self.path = path
    self.command = command
    self.output = output
    self.context = context
    self.dryRun = dryRun
    self.yes = yes
    self.backup = backup
    self.lockTimeout = lockTimeout
    self.timestamp = timestamp
    self.progress = ProgressLine(terminal: context.terminal, output: context.standardError)
  }

  var tool: String { SombraRepair.tool }
  /// Where every file of the command lives (`ToolContext.storage`).
  var storage: any StorageSystem { context.storage }

  // MARK: Looking

  /// What the committed state looks like, read through a read-only open.
  struct Facts {
    var pageSize = 0
    var pages: UInt32 = 0
    var freePages: UInt32 = 0
    var nodes = 0
    var edges = 0
    var fileBytes: UInt64 = 0
    var wal = WALState()
  }

  /// WAL frames and bytes as they are on disk.
  struct WALState: Equatable {
    var frames = 0
    var bytes: UInt64 = 0
  }

  /// The database's facts; exits 3 (or 4) when it cannot be opened read-only.
  func look() throws(ToolExit) -> Facts {
    let database = try context.openReadOnly(path, tool: tool, lockTimeout: lockTimeout, logger: logger)
    defer { try? database.close() }
    do {
      return try database.read { tx in
        Facts(
          pageSize: database.pageSize, pages: tx.header.pageCount, freePages: tx.header.freeListCount, nodes: try tx.nodeCount,
          edges: try tx.edgeCount, fileBytes: storage.size(of: path) ?? 0, wal: walState(pageSize: database.pageSize))
      }
    } catch {
      throw context.exit(for: error, tool: tool)
    }
  }

  /// Committed frames and bytes of the WAL file (no file: zero).
  func walState(pageSize: Int) -> WALState {
    let walPath = path + ".wal"
    guard let bytes = storage.size(of: walPath) else { return WALState() }
    guard let file = try? storage.open(walPath, .readOnly) else { return WALState(frames: 0, bytes: bytes) }
    defer { file.close() }
    let frames = (try? WALScanner.scan(file, pageSize: pageSize).committed.count) ?? 0
    return WALState(frames: frames, bytes: bytes)
  }

  // MARK: Plan and confirmation

  /// Prints the plan of a dry run; returns success.
  func plan(_ steps: [String]) -> ExitCode {
    if output.format == .json {
      context.writeJSON([
        JSONMember("command", .string(command)),
        JSONMember("path", .string(path)),
        JSONMember("dryRun", .bool(true)),
        JSONMember("plan", .array(steps.map { .string($0) })),
      ])
      return .success
    }
    var text = "plan for \(command) of \(TerminalText.escapingControlCharacters(path)):\n"
    for (i, step) in steps.enumerated() { text += "  \(i + 1). \(TerminalText.escapingControlCharacters(step))\n" }
    text += "dry run: nothing was changed\n"
    context.standardOutput.write(text)
    return .success
  }

  /// Proceeds with `--yes` or a yes on a terminal; otherwise throws the exit:
  /// 2 when standard input is not a terminal, 1 when the operator said no.
  func confirm(_ question: String) throws(ToolExit) {
    if yes { return }
    guard context.terminal.standardInputIsTerminal else {
      throw context.fail(
        "\(command) changes \(path) and needs confirmation, but standard input is not a terminal; pass --yes to proceed (or --dry-run to see the plan)",
        tool: tool, exitCode: .usage)
    }
    let answer = Confirmation.ask(question, input: context.standardInput, output: context.standardError)
    try checkInterrupted()
    guard answer else {
      context.standardError.writeLine("\(tool): nothing was changed")
      throw ToolExit(.failure)
    }
  }

  /// A safe point (Ctrl-C): writes `sombra-repair: interrupted` and throws
  /// the exit (130) when it was pressed. Each command calls it only where
  /// stopping leaves the database as it was or as a completed step left it;
  /// its file says where.
  func checkInterrupted() throws(ToolExit) {
    try context.checkInterrupted(tool: tool)
  }

  // MARK: Opening and backups

  /// The database opened read-write: the writer lock, held until close; busy
  /// (another handle or process) exits 4 after `--lock-timeout`.
  func openExclusive() throws(ToolExit) -> Database {
    var options = OpenOptions()
    options.create = false
    options.lockTimeout = lockTimeout
    // Maintenance changes whole trees in one transaction.
    options.maxTransactionPages = 1 << 30
    options.logger = logger
    do {
      return try Database.open(path, options: options, storage: storage)
    } catch {
      throw context.exit(for: error, tool: tool)
    }
  }

  /// `DB.backup-YYYYMMDD-HHMMSS`, with `-2`, `-3`, ... when that name is taken.
  func backupPath() -> String {
    let base = path + ".backup-" + timestamp()
    var candidate = base
    var n = 2
    while storage.exists(candidate) || storage.exists(candidate + ".wal") {
      candidate = base + "-\(n)"
      n += 1
    }
    return candidate
  }

  /// Copies the database (and its WAL when it is not empty) to a new backup;
  /// call while holding the writer lock. Returns the backup's path. The WAL is
  /// copied first: a backup file that exists after a crash has its WAL beside
  /// it (`StorageSystem.copy` makes each whole under its name or absent).
  func copyBackup() throws -> String {
    let target = backupPath()
    if let walBytes = storage.size(of: path + ".wal"), walBytes > 0 {
      try storage.copy(path + ".wal", to: target + ".wal")
    }
    try storage.copy(path, to: target)
    return target
  }

  /// Writes `TOOL: warning: message` to stderr.
  func warn(_ message: String) {
    context.standardError.writeLine("\(tool): warning: " + TerminalText.escapingControlCharacters(message))
  }

  /// Verifies the database at `path` (graph level) through a read-only open.
  func verify(_ path: String) throws -> VerifyReport {
    let database = try Database.open(path, options: .readOnly, storage: storage)
    defer { try? database.close() }
    return try database.verify()
  }

  /// `N thing` / `N things`.
  static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

  /// Aligned `  key  value` lines.
  static func lines(_ pairs: [(String, String)]) -> String {
    let width = pairs.map(\.0.count).max() ?? 0
    return pairs.map {
      "  " + $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + TerminalText.escapingControlCharacters($0.1) + "\n"
    }
    .joined()
  }

  static func json<T: BinaryInteger>(_ value: T) -> JSONValue { .integer(Int64(clamping: value)) }
}

/// The local time as `YYYYMMDD-HHMMSS`, for backup names.
func localTimestamp() -> String {
  var now = time(nil)
  var parts = tm()
  localtime_r(&now, &parts)
  func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
  return
    "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
}
