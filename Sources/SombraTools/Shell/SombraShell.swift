import SombraCLI
import SombraCore

/// `sombra [options] DB`: the graph shell. With stdin a terminal (and no
/// `-c`) it runs the interactive loop the executable supplies (libedit);
/// otherwise each line of stdin is a command (script mode): no banner, no
/// prompt, and the first error prints `line N: error: ...` to stderr and exits
/// 1 (`--keep-going` runs on and still exits 1). A line may hold at most
/// 16 MiB (``LineReader/defaultMaximumLineBytes``): a longer one stops the
/// script with exit 1, whatever `--keep-going` says.
///
/// Exit status: 0 success; 1 a command failed; 2 usage error; 3 the database
/// cannot be opened; 4 it is locked by another process.
public enum SombraShell {
  public static let tool = ShellSession.tool

  /// The declaration behind `--help` and the man page.
  public static let spec = CommandSpec(
    name: tool,
    overview: "Explore and edit a Sombra graph database interactively or from a script.",
    positionals: [PositionalSpec("database", help: "The database file; created when missing unless --readonly.")],
    options: [
      .flag("readonly", help: "Open the database read-only: nothing is created or changed."),
      .option(
        "command", short: "c", valueName: "command", isRepeating: true,
        help:
          "Run this command and exit; given more than once, run each in order, stopping at the first that fails unless --keep-going."
      ),
      .flag("keep-going", help: "In a script, go on after a failed command (the exit status is still 1)."),
      .flag("ascii", help: "Draw tables and boxes with ASCII characters only."),
    ] + ToolLogging.specs)

  /// Runs the shell with `arguments` (without the program name). `interactive`
  /// is called when stdin is a terminal and no `-c` was given; without it, the
  /// shell runs stdin as a script.
  public static func main(
    _ arguments: [String], context: ToolContext, interactive: ((ShellSession) -> ExitCode)? = nil
  ) -> ExitCode {
    ToolCommandLine(spec).run(arguments, context: context) { parsed in
      let path = parsed.positional("database") ?? ""
      var context = context
      if parsed.flag("ascii") { context.terminal.forcesASCII = true }
      let session: ShellSession
      do {
        session = try ShellSession(
          path: path, readOnly: parsed.flag("readonly"), context: context,
          logger: ToolLogging(parsed, environment: context.environment).logger(to: context.standardError))
      } catch {
        throw context.exit(for: error, tool: tool)
      }
      defer { session.close() }
      let commands = parsed.values("command")
      if !commands.isEmpty {
        return runScript(session, lines: commands, keepGoing: parsed.flag("keep-going"))
      }
      if let interactive, context.terminal.standardInputIsTerminal {
        return interactive(session)
      }
      return runScript(session, input: context.standardInput, keepGoing: parsed.flag("keep-going"))
    }
  }

  /// Runs every line of `input`; returns 1 when a line failed.
  public static func runScript(_ session: ShellSession, input: any TextInput, keepGoing: Bool) -> ExitCode {
    var number = 0
    var failed = false
    while !session.quitRequested {
      let line: String
      do {
        guard let next = try input.readLine() else { break }
        line = next
      } catch {
        // The rest of an over-long line cannot be trusted to be a command
        // boundary, so a script stops here even with --keep-going.
        session.context.standardError.writeLine("line \(error.line): error: \(error.message); the rest of the input is not read")
        return .failure
      }
      number += 1
      if !run(line, number: number, in: session) {
        failed = true
        if !keepGoing { break }
      }
    }
    return failed ? .failure : .success
  }

  static func runScript(_ session: ShellSession, lines: [String], keepGoing: Bool) -> ExitCode {
    runScript(session, input: MemoryInput(lines: lines), keepGoing: keepGoing)
  }

  /// Runs one line, reporting an error (prefixed `line N: ` when `number` is
  /// given); returns whether it succeeded.
  @discardableResult
  public static func run(_ line: String, number: Int?, in session: ShellSession) -> Bool {
    do {
      try session.run(line)
      return true
    } catch {
      report(error, line: line, number: number, to: session.context.standardError)
      return false
    }
  }

  /// `line N: error: MESSAGE`, then for parse errors the line and a caret.
  static func report(_ error: any Error, line: String, number: Int?, to output: any TextOutput) {
    let prefix = number.map { "line \($0): " } ?? ""
    switch error {
    case let error as ShellError:
      output.writeLine(prefix + "error: " + TerminalText.escapingControlCharacters(error.message))
      for caretLine in error.caretLines(line: TerminalText.escapingControlCharacters(line)) { output.writeLine(caretLine) }
    case is ShellInterrupted:
      break
    case let error as SombraError:
      output.writeLine(prefix + "error: " + TerminalText.escapingControlCharacters(error.description))
      if let hint = ErrorReport.hint(for: error) { output.writeLine(prefix + "hint: " + hint) }
    default:
      output.writeLine(prefix + "error: " + TerminalText.escapingControlCharacters(String(describing: error)))
    }
  }
}
