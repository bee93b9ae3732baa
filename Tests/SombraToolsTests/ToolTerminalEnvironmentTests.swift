import Glibc
import SombraTestSupport
import Testing

/// The documented environment variables that only matter on a terminal, read
/// by the real executables inside a tmux pane: `NO_COLOR` and `TERM` for
/// colour, `SOMBRA_HISTORY`, `XDG_STATE_HOME` and `HOME` for the shell's
/// history. Each pane starts from `env -i`, so only the variables named here
/// reach the tool.
@Suite(.serialized) struct ToolTerminalEnvironmentTests {
  static var ready: Bool { ShellInteractiveTests.tmuxAvailable && ShellInteractiveTests.binary != nil }

  /// Runs `command` (a shell command line) in a detached tmux pane with a
  /// clean environment plus `environment`; returns the pane, with escape
  /// sequences when `escapes`, once `EXITED` shows (`hangBound` only ends a
  /// tool that never finishes).
  static func pane(_ command: String, environment: [String], escapes: Bool, scratch: ScratchDirectory) -> String {
    let name = "sombra-env-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let variables = (["PATH=/usr/bin:/bin"] + environment).joined(separator: " ")
    ShellInteractiveTests.shell(
      "tmux new-session -d -s \(name) -x 120 -y 30 'env -i \(variables) \(command); echo EXITED $?; sleep 30'")
    defer { ShellInteractiveTests.shell("tmux kill-session -t \(name) 2>/dev/null") }
    let screen = scratch.file("screen-\(name).txt")
    var text = ""
    waitUntil {
      ShellInteractiveTests.shell("tmux capture-pane -p \(escapes ? "-e" : "") -t \(name) > \(screen)")
      text = scratch.read("screen-\(name).txt") ?? ""
      return text.contains("EXITED")
    }
    return text
  }

  @Test(.enabled(if: ready)) func verifyColoursItsVerdictOnATerminalUnlessNoColorOrADumbTerminal() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-colour")
    let database = scratch.file("g.sombra")
    #expect(try ToolBinary.run("sombra", [database, "-c", "create node :A"]).status == 0)
    let verify = try ToolBinary.path("sombra-verify") + " " + database
    let coloured = Self.pane(verify, environment: ["TERM=xterm-256color"], escapes: true, scratch: scratch)
    #expect(coloured.contains("EXITED 0"), "\(coloured)")
    #expect(coloured.contains(": \u{1B}[32mok\u{1B}[39m") || coloured.contains(": \u{1B}[32mok\u{1B}[0m"), "\(coloured)")
    for variables in [["TERM=xterm-256color", "NO_COLOR=1"], ["TERM=dumb"]] {
      let plain = Self.pane(verify, environment: variables, escapes: true, scratch: scratch)
      #expect(plain.contains(": ok ("), "\(variables): \(plain)")
      #expect(!plain.contains("\u{1B}[32m"), "\(variables) still coloured: \(plain)")
    }
    // Piped output is never coloured, whatever TERM says.
    let piped = try ToolBinary.run("sombra-verify", [database], environment: ["TERM=xterm-256color"])
    #expect(piped.out.hasPrefix("\(database): ok ("), "\(piped.out)")
  }

  /// History goes to `$SOMBRA_HISTORY`, else `$XDG_STATE_HOME/sombra/history`,
  /// else `$HOME/.local/state/sombra/history`, mode 0600, for the real shell.
  @Test(.enabled(if: ready)) func historyFollowsSombraHistoryThenXDGStateHomeThenHome() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-history")
    let database = scratch.file("g.sombra")
    let shell = try ToolBinary.path("sombra") + " " + database
    let cases: [(variables: [String], file: String)] = [
      (
        ["SOMBRA_HISTORY=\(scratch.file("explicit"))", "XDG_STATE_HOME=\(scratch.file("xdg"))", "HOME=\(scratch.file("home"))"],
        "explicit"
      ),
      (["XDG_STATE_HOME=\(scratch.file("xdg"))", "HOME=\(scratch.file("home"))"], "xdg/sombra/history"),
      (["HOME=\(scratch.file("home"))"], "home/.local/state/sombra/history"),
    ]
    for (index, entry) in cases.enumerated() {
      let command = "count :Seen\(index)"
      // A terminal on stdin makes the shell interactive; the here-string
      // would not, so the keys are typed through tmux instead.
      let name = "sombra-hist-\(getpid())-\(index)"
      let variables = (["PATH=/usr/bin:/bin", "TERM=xterm", "LANG=C.UTF-8"] + entry.variables).joined(separator: " ")
      ShellInteractiveTests.shell(
        "tmux new-session -d -s \(name) -x 100 -y 30 'env -i \(variables) \(shell); echo EXITED $?; sleep 30'")
      defer { ShellInteractiveTests.shell("tmux kill-session -t \(name) 2>/dev/null") }
      let screen = scratch.file("screen.txt")
      #expect(ShellInteractiveTests.waitFor("sombra>", name, screen).contains("sombra>"))
      ShellInteractiveTests.shell("tmux send-keys -t \(name) '\(command)' Enter")
      #expect(ShellInteractiveTests.waitFor("\n0\n", name, screen).contains("\n0\n"))
      ShellInteractiveTests.shell("tmux send-keys -t \(name) C-d")
      #expect(ShellInteractiveTests.waitFor("EXITED", name, screen).contains("EXITED 0"))
      var info = stat()
      #expect(stat(scratch.file(entry.file), &info) == 0, "no history at \(entry.file)")
      #expect(info.st_mode & 0o777 == 0o600)
      // libedit's history format writes a space as \040.
      let saved = scratch.read(entry.file) ?? ""
      #expect(saved.contains("count\\040:Seen\(index)"), "\(entry.file) lacks '\(command)': \(saved)")
    }
    #expect(!(scratch.read("xdg/sombra/history") ?? "").contains(":Seen0"), "SOMBRA_HISTORY did not win")
    #expect(!(scratch.read("home/.local/state/sombra/history") ?? "").contains(":Seen1"), "XDG_STATE_HOME did not win")
  }

  /// `COLUMNS` sets the width of piped output in every tool that draws tables.
  @Test func columnsSetsTheWidthOfPipedOutput() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-columns")
    let database = scratch.file("g.sombra")
    let name = String(repeating: "n", count: 150)
    #expect(try ToolBinary.run("sombra", [database, "-c", "create node :Person {name: \"\(name)\"}"]).status == 0)
    for (tool, arguments) in [("sombra-inspect", [database, "info"]), ("sombra", [database, "-c", "nodes :Person"])] {
      var widths: [Int: Int] = [:]
      for columns in [50, 100] {
        let run = try ToolBinary.run(tool, arguments, environment: ["COLUMNS=\(columns)"])
        #expect(run.status == 0, "\(tool): \(run.err)")
        widths[columns] = run.out.split(separator: "\n").map { (line: Substring) in line.count }.max() ?? 0
        #expect(widths[columns] ?? 0 <= columns, "\(tool) with COLUMNS=\(columns)\n\(run.out)")
      }
      #expect((widths[50] ?? 0) >= 45 && (widths[100] ?? 0) > 55, "\(tool) did not widen: \(widths)")
    }
  }
}
