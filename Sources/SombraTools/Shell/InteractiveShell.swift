import SombraCLI
import SombraCore

/// What a line editor returned.
public enum ShellLineEvent: Equatable, Sendable {
  /// A line, without its newline.
  case line(String)
  /// Ctrl-C at the prompt: the line is discarded.
  case interrupted
  /// Ctrl-D on an empty line, or end of input.
  case end
}

/// The line editor the interactive loop reads from (libedit in the `sombra`
/// executable; a scripted one in tests).
public protocol ShellLineEditor: AnyObject {
  /// Reads one line after showing `prompt`.
  func readLine(prompt: String) -> ShellLineEvent
  /// Adds a line to the history (and saves it).
  func remember(_ line: String)
  /// Forgets an earlier Ctrl-C, before a command runs.
  func clearInterrupt()
}

/// The interactive loop: a banner, a prompt that shows an open transaction
/// (`sombra tx> `), continuation lines (`   ...> `) while brackets or quotes are
/// open or a line ends in `\`, history (lines starting with a space are not
/// saved; a multi-line command is one entry), and the terminal width re-read
/// before each command.
public enum InteractiveShell {
  public static func run(_ session: ShellSession, editor: any ShellLineEditor) -> ExitCode {
    let out = session.context.standardOutput
    out.writeLine(
      "sombra: \(session.path)\(session.readOnly ? " (read-only)" : ""). Type .help for commands, .quit or Ctrl-D to leave.")
    while !session.quitRequested {
      guard let line = readCommand(session, editor) else { break }
      if line.allSatisfy(\.isWhitespace) { continue }
      if !line.hasPrefix(" ") { editor.remember(line) }
      if session.context.terminal.standardOutputIsTerminal, let width = Terminal.windowWidth(of: 1) {
        session.context.terminal.width = width
      }
      editor.clearInterrupt()
      SombraShell.run(line, number: nil, in: session)
    }
    return .success
  }

  /// The prompt: `sombra> `, or `sombra tx> ` inside `begin`.
  public static func prompt(_ session: ShellSession) -> String {
    session.inTransaction ? "sombra tx> " : "sombra> "
  }

  /// One command, possibly over several lines; nil at end of input.
  static func readCommand(_ session: ShellSession, _ editor: any ShellLineEditor) -> String? {
    var parts: [String] = []
    while true {
      let prompt = parts.isEmpty ? prompt(session) : String(repeating: " ", count: max(prompt(session).count - 5, 0)) + "...> "
      switch editor.readLine(prompt: prompt) {
      case .end:
        session.context.standardOutput.writeLine()
        return parts.isEmpty ? nil : parts.joined(separator: " ")
      case .interrupted:
        parts = []
        continue
      case .line(let line):
        if line.hasSuffix("\\") {
          parts.append(String(line.dropLast()))
          continue
        }
        parts.append(line)
        let joined = parts.joined(separator: " ")
        if isIncomplete(joined) { continue }
        return joined
      }
    }
  }

  /// Whether `line` has an open string, `{`, `[` or `(` (continue on the
  /// next line).
  static func isIncomplete(_ line: String) -> Bool {
    if line.drop(while: { $0 == " " }).hasPrefix(".") { return false }
    var depth = 0
    var quote: Character?
    var escaped = false
    for character in line {
      if let open = quote {
        if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
        continue
      }
      switch character {
      case "\"", "'": quote = character
      case "{", "[", "(": depth += 1
      case "}", "]", ")": depth -= 1
      default: break
      }
    }
    return quote != nil || depth > 0
  }
}
