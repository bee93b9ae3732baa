import SombraCLI
import SombraCore

/// How every tool turns an engine error into what the operator sees: one
/// `TOOL: error: ...` line on stderr, a hint line where there is something to
/// do, and the exit status of the command-line contract (DESIGN.md §6).
public enum ErrorReport {
  /// The exit status for an engine error: 3 when the database cannot be opened
  /// or read, 4 when another process holds it, 1 for everything else, codes
  /// a later engine adds included.
  public static func exitCode(for error: SombraError) -> ExitCode {
    switch error.code {
    case .io, .notFound, .notASombraFile, .unsupportedVersion, .legacyFormat: .cannotOpen
    case .locked, .busy: .busy
    case .corruption, .poisoned, .limitExceeded, .invalidArgument, .misuse, .timeout: .failure
    default: .failure
    }
  }

  /// What to try next, when the code suggests something.
  public static func hint(for error: SombraError) -> String? {
    switch error.code {
    case .locked, .busy: "another process has the database open for writing; retry later or raise --lock-timeout"
    case .corruption: "run sombra-verify on the database for a full report"
    case .legacyFormat: "the file was written by Sombra 0.x"
    case .poisoned: "a write or sync failed; reopen the database (recovery keeps every durable commit)"
    default: nil
    }
  }

  /// Writes the error (and its hint) and returns the exit status to use.
  @discardableResult
  public static func report(_ error: Error, tool: String, to output: any TextOutput) -> ExitCode {
    guard let error = error as? SombraError else {
      output.write("\(tool): error: \(TerminalText.escapingControlCharacters(String(describing: error)))\n")
      return .failure
    }
    output.write("\(tool): error: \(TerminalText.escapingControlCharacters(error.description))\n")
    if let hint = hint(for: error) { output.write("\(tool): hint: \(hint)\n") }
    return exitCode(for: error)
  }
}
