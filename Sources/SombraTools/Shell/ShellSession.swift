import Glibc
import Logging
import SombraCLI
import SombraCore

/// One shell on one database: the open handle, the explicit transaction and
/// the output settings. ``run(_:)`` parses a line, executes it and writes the
/// result; errors are thrown for the caller (script or interactive loop) to
/// report.
///
/// Transaction states:
/// 1. No explicit transaction: each read runs in its own read transaction,
///    each change in its own write transaction (committed when it succeeds,
///    rolled back when it fails).
/// 2. After `begin`: every command reads and writes through ``transaction``
///    until `commit` or `rollback`; a failed command leaves it open (its own
///    change did not happen); an interrupted command rolls it back.
/// 3. Leaving the shell (or `.open`) with a transaction open rolls it back.
public final class ShellSession {
  /// Streams, environment and terminal; the interactive loop updates the
  /// terminal width before each command (resizes).
  public var context: ToolContext
  /// The open database, or nil after a failed `.open`.
  var database: Database?
  /// The database path as given.
  public internal(set) var path: String
  /// Where the engine's events go (`--log-level`, `SOMBRA_LOG_LEVEL`).
  let logger: Logger
  /// Why changes are refused: `--readonly`, or another process writing the
  /// database when the shell opened it (nil: they are not).
  enum ReadOnlyReason { case requested, locked }
  var readOnlyReason: ReadOnlyReason?
  /// Whether changes are refused.
  public var readOnly: Bool { readOnlyReason != nil }
  /// The explicit transaction (`begin`), if any.
  var transaction: WriteTransaction?
  var mode = ShellRenderer.Mode.table
  var timer = false
  /// `.width N` (nil: the terminal's width).
  var widthOverride: Int?
  /// At most this many rows are printed (`.limit N`).
  var displayLimit = 100
  /// Set by `.quit`.
  public private(set) var quitRequested = false
  /// Polled during long commands; true cancels the command (Ctrl-C).
  public var isInterrupted: () -> Bool = { false }

  /// The tool's name, in messages.
  public static let tool = "sombra"

  /// Opens `path` (created when missing unless `readOnly`).
  /// When another process has the database open for writing, the shell opens
  /// it read-only instead, says so on stderr, and refuses changes saying why:
  /// exploring works next to a running application.
  public init(path: String, readOnly: Bool, context: ToolContext, logger: Logger = ToolLogging.silent) throws {
    self.context = context
    self.path = path
    self.logger = logger
    self.readOnlyReason = readOnly ? .requested : nil
    do {
      self.database = try Self.openDatabase(path, readOnly: readOnly, storage: context.storage, logger: logger)
    } catch let error as SombraError where error.code == .locked && !readOnly {
      self.database = try Self.openDatabase(path, readOnly: true, storage: context.storage, logger: logger)
      self.readOnlyReason = .locked
      context.standardError.writeLine(
        "\(Self.tool): notice: another process has \(TerminalText.escapingControlCharacters(path)) open for writing; opened read-only (changes are refused)"
      )
    }
    if let database { context.warnOfWALDamage(database, tool: Self.tool) }
  }

  /// The error for a change on a read-only session: `requested` for
  /// `--readonly`; another process writing the database otherwise.
  func readOnlyError(_ requested: String) -> ShellError {
    guard readOnlyReason == .locked else { return ShellError(requested) }
    return ShellError(
      "the database is open read-only: another process had it open for writing when the shell started; quit and reopen once it is done to change it"
    )
  }

  static func openDatabase(_ path: String, readOnly: Bool, storage: any StorageSystem, logger: Logger) throws -> Database {
    var options = readOnly ? OpenOptions.readOnly : OpenOptions()
    options.lockTimeout = 0
    options.logger = logger
    return try Database.open(path, options: options, storage: storage)
  }

  /// Whether a `begin` is waiting for `commit` or `rollback` (for the prompt).
  public var inTransaction: Bool { transaction != nil }

  /// The width results are fitted to.
  var width: Int { widthOverride ?? context.terminal.width }

  /// Parses and runs one line, writing its result to stdout.
  public func run(_ line: String) throws {
    // Scripts and imports enforce this as they read; an interactive line
    // (libedit) or a -c argument is checked here.
    guard line.utf8.count <= LineReader.defaultMaximumLineBytes else {
      throw ShellError(LineReadError.tooLong(line: 1, limit: LineReader.defaultMaximumLineBytes).message)
    }
    let command = try ShellParser.parse(line)
    if case .nothing = command { return }
    let started = Self.now()
    do {
      let result = try execute(command)
      write(result)
    } catch let interrupted as ShellInterrupted {
      if let transaction {
        self.transaction = nil
        do {
          try transaction.rollback()
          context.standardError.writeLine("interrupted: the transaction was rolled back")
        } catch {
          context.standardError.writeLine("interrupted: the transaction was rolled back, but what it read may be lost: \(error)")
        }
      } else {
        context.standardError.writeLine("interrupted")
      }
      throw interrupted
    } catch {
      if let transaction, transaction.isFinished { self.transaction = nil }
      throw error
    }
    if timer {
      let micros = max(Self.now() - started, 0)
      let fraction = String(micros % 1000)
      context.standardError.writeLine("time: \(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms")
    }
  }

  /// Writes `result` in the current mode.
  func write(_ result: ShellResult) {
    let renderer = ShellRenderer(mode: mode, style: context.terminal.boxStyle, width: width)
    let (output, note) = renderer.render(result)
    context.standardOutput.write(output)
    if let note { context.standardError.writeLine(note) }
  }

  /// Runs a parsed command.
  func execute(_ command: ShellCommand) throws -> ShellResult {
    if command.isChange, readOnly {
      throw readOnlyError("the database is open read-only (--readonly); reopen it without --readonly to change it")
    }
    switch command {
    case .nothing: return .none
    case .meta(let name, let arguments): return try meta(name, arguments)
    case .begin, .commit, .rollback: return try transactionCommand(command)
    case .createNode, .createEdge, .set, .unset, .relabel, .deleteNode, .deleteEdge, .createIndex, .dropIndex:
      return try change(command)
    default: return try explore(command)
    }
  }

  func transactionCommand(_ command: ShellCommand) throws -> ShellResult {
    switch command {
    case .begin:
      guard transaction == nil else { throw ShellError("a transaction is already open; commit or rollback first") }
      guard !readOnly else { throw readOnlyError("the database is open read-only (--readonly): nothing to begin") }
      transaction = try openDatabase().beginWrite(timeout: 0)
    case .commit:
      guard let transaction else { throw ShellError("no transaction is open (begin starts one)") }
      self.transaction = nil
      do {
        try transaction.commit()
      } catch {
        if !transaction.isFinished { try? transaction.rollback() }
        throw error
      }
    default:
      guard let transaction else { throw ShellError("no transaction is open (begin starts one)") }
      self.transaction = nil
      try transaction.rollback()
    }
    return .none
  }

  /// The open database, or an error saying how to open one.
  func openDatabase() throws -> Database {
    guard let database else { throw ShellError("no database is open; use .open FILE") }
    return database
  }

  /// Runs `body` on the explicit transaction, or in a read transaction.
  func reading<R>(_ body: (Transaction) throws -> R) throws -> R {
    if let transaction { return try body(transaction) }
    return try openDatabase().read { try body($0) }
  }

  /// Runs `body` on the explicit transaction, or in its own write transaction.
  func writing<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
    if let transaction { return try body(transaction) }
    return try openDatabase().write { try body($0) }
  }

  /// Throws ``ShellInterrupted`` when Ctrl-C was pressed.
  func checkInterrupt() throws {
    if isInterrupted() { throw ShellInterrupted() }
  }

  /// Rolls back an open transaction (warning on stderr) and closes the
  /// database.
  public func close() {
    if let transaction {
      self.transaction = nil
      do {
        try transaction.rollback()
        context.standardError.writeLine("warning: the open transaction was rolled back (it was not committed)")
      } catch {
        ErrorReport.report(error, tool: Self.tool, to: context.standardError)
      }
    }
    if let database {
      do {
        try database.close()
      } catch {
        ErrorReport.report(error, tool: Self.tool, to: context.standardError)
      }
    }
    database = nil
  }

  func requestQuit() { quitRequested = true }

  /// Microseconds on the monotonic clock.
  static func now() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
  }
}
