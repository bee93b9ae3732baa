import Glibc
import SombraCLI
import SombraCore
import SombraTools

/// One in-process run of `sombra` in script mode (stdin not a terminal).
struct ShellRun {
  var status: ExitCode
  var standardOutput: String
  var standardError: String

  static let environment = ["COLUMNS": "80", "NO_COLOR": "1"]

  /// Runs `sombra ARGUMENTS` with `script` (one command per line) on stdin.
  static func run(_ arguments: [String], script: String = "") -> ShellRun {
    var lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let (context, out, err) = ToolContext.capturing(environment, input: lines)
    let status = SombraShell.main(arguments, context: context)
    return ShellRun(status: status, standardOutput: out.text, standardError: err.text)
  }
}
