import Glibc
import SombraTestSupport
import Testing

/// The interactive shell driven through tmux (when tmux and the built
/// `sombra` are there): prompt, completion of a label, Ctrl-C discarding a
/// line, the transaction prompt, history mode 0600, Ctrl-D exiting.
@Suite(.serialized) struct ShellInteractiveTests {
  /// The `sombra` executable beside the test bundle.
  static var binary: String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let exe = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var directory = exe
    while let slash = directory.lastIndex(of: "/") {
      directory = String(directory[..<slash])
      let candidate = directory + "/sombra"
      if access(candidate, X_OK) == 0 { return candidate }
      if directory.hasSuffix("/debug") || directory.hasSuffix("/release") || directory.isEmpty { break }
    }
    return nil
  }

  static var tmuxAvailable: Bool { access("/usr/bin/tmux", X_OK) == 0 || access("/usr/local/bin/tmux", X_OK) == 0 }

  @discardableResult
  static func shell(_ command: String) -> Int32 {
    system(command)
  }

  static func capture(_ session: String, into path: String) -> String {
    shell("tmux capture-pane -p -t \(session) > \(path)")
    return fileBytes(path).map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// Looks at the pane until `done` says yes about it, and returns what it
  /// showed last (the shell runs as fast as the machine lets it: no fixed wait
  /// is long enough, and `hangBound` only ends a shell that never answers).
  static func waitUntilScreen(_ session: String, _ path: String, _ done: (String) -> Bool) -> String {
    var screen = ""
    waitUntil {
      screen = capture(session, into: path)
      return done(screen)
    }
    return screen
  }

  /// Looks at the pane until it contains `text`.
  static func waitFor(_ text: String, _ session: String, _ path: String) -> String {
    waitUntilScreen(session, path) { $0.contains(text) }
  }

  /// The last line of the pane with something on it.
  static func lastLine(_ screen: String) -> Substring {
    screen.split(separator: "\n").last { $0.contains { $0 != " " } } ?? ""
  }

  @Test(.enabled(if: tmuxAvailable && binary != nil)) func promptCompletionInterruptHistoryAndExit() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    guard let binary = Self.binary else { return }
    let database = scratch.file("g.sombra")
    _ = ShellRun.run([database], script: "create node :Person {name: \"Ada\"}\n")
    let name = "sombra-test-\(getpid())"
    let screen = scratch.file("screen.txt")
    let history = scratch.file("state/history")
    Self.shell(
      "tmux new-session -d -s \(name) -x 100 -y 30 'env SOMBRA_HISTORY=\(history) TERM=xterm LANG=C.UTF-8 \(binary) \(database); echo EXITED $?; sleep 30'"
    )
    defer { Self.shell("tmux kill-session -t \(name) 2>/dev/null") }
    #expect(Self.waitFor("sombra>", name, screen).contains("Type .help for commands"))
    Self.shell("tmux send-keys -t \(name) 'count :Per' Tab")
    #expect(Self.waitFor("count :Person", name, screen).contains("count :Person"))
    Self.shell("tmux send-keys -t \(name) Enter")
    #expect(Self.waitFor("\n1\n", name, screen).contains("\n1\n"))
    Self.shell("tmux send-keys -t \(name) 'create node :Discarded'")
    _ = Self.waitFor("create node :Discarded", name, screen)
    Self.shell("tmux send-keys -t \(name) C-c")
    // The line is left behind, and a fresh prompt waits below it.
    let cancelled = Self.waitUntilScreen(name, screen) { Self.lastLine($0) == "sombra>" }
    #expect(Self.lastLine(cancelled) == "sombra>", "\(cancelled)")
    Self.shell("tmux send-keys -t \(name) ' begin' Enter")
    #expect(Self.waitFor("sombra tx>", name, screen).contains("sombra tx>"))
    Self.shell("tmux send-keys -t \(name) 'rollback' Enter")
    // Rolled back: the prompt is the plain one again.
    let rolledBack = Self.waitUntilScreen(name, screen) { $0.contains("sombra tx> rollback") && Self.lastLine($0) == "sombra>" }
    #expect(Self.lastLine(rolledBack) == "sombra>", "\(rolledBack)")
    Self.shell("tmux send-keys -t \(name) C-d")
    let final = Self.waitFor("EXITED", name, screen)
    #expect(final.contains("EXITED 0"))
    #expect(!final.contains("created node"))
    var info = stat()
    #expect(stat(history, &info) == 0)
    #expect(info.st_mode & 0o777 == 0o600)
    let saved = scratch.read("state/history") ?? ""
    #expect(saved.contains("count"))
    #expect(saved.contains("rollback"))
    #expect(!saved.contains("begin"))
    #expect(!saved.contains("Discarded"))
  }
}
