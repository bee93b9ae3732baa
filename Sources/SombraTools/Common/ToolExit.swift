import Logging
import SombraCLI
import SombraCore

/// A command ended before its normal end: whatever it had to say (help, a
/// usage error, an engine error) has already been written, and `exitCode` is
/// the status to exit with. Commands throw it from deep inside and
/// ``ToolCommandLine/run(_:context:body:)`` turns it into the status.
public struct ToolExit: Error, Sendable, Equatable {
  /// The exit status of the command-line contract.
  public var exitCode: ExitCode

  /// An early exit whose output has been written.
  public init(_ exitCode: ExitCode) {
    self.exitCode = exitCode
  }
}

extension ToolContext {
  /// Writes `TOOL: error: MESSAGE` (control characters escaped) to stderr and
  /// returns the exit to throw; `exitCode` defaults to 1 (the operation failed).
  public func fail(_ message: String, tool: String, exitCode: ExitCode = .failure) -> ToolExit {
    standardError.writeLine("\(tool): error: " + TerminalText.escapingControlCharacters(message))
    return ToolExit(exitCode)
  }

  /// Reports any error through ``ErrorReport`` (engine errors get their exit
  /// status and hint) and returns the exit to throw. A ``ToolExit`` passes
  /// through unchanged: it has been reported already.
  public func exit(for error: any Error, tool: String) -> ToolExit {
    if let exit = error as? ToolExit { return exit }
    return ToolExit(ErrorReport.report(error, tool: tool, to: standardError))
  }

  /// Opens the database at `path` read-only (nothing is created, recovered
  /// into, truncated or written: DESIGN.md §5), reporting a failure the
  /// contract's way: 3 when it cannot be opened (missing, not a Sombra file,
  /// legacy or unsupported format, I/O), 4 when busy.
  public func openReadOnly(
    _ path: String, tool: String, lockTimeout: Double = 0, logger: Logger = ToolLogging.silent
  ) throws(ToolExit) -> Database {
    var options = OpenOptions.readOnly
    options.lockTimeout = lockTimeout
    options.logger = logger
    let database: Database
    do {
      database = try Database.open(path, options: options, storage: storage)
    } catch {
      throw exit(for: error, tool: tool)
    }
    warnOfWALDamage(database, tool: tool)
    return database
  }

  /// A read-only open serves the commits before WAL damage (or none of a stray
  /// WAL): say so on stderr, whatever the log level.
  public func warnOfWALDamage(_ database: Database, tool: String) {
    guard let damage = database.openReport.walDamage else { return }
    standardError.writeLine(
      "\(tool): warning: " + TerminalText.escapingControlCharacters(damage)
        + "; showing the commits before it (sombra-repair DB recover says what can be done)")
  }
}
