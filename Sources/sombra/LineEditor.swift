// The libedit glue of the interactive shell, kept to this file: the
// readline-compatible API (Swift cannot call libedit's variadic el_set), the
// completion callback (a global function, as C requires) and the SIGINT flag.
@preconcurrency import CLibedit
import Glibc
import SombraTools
import Synchronization

/// Set by the SIGINT handler; read by the prompt and by running commands.
let interruptFlag = Atomic<Bool>(false)

/// The session that completion asks for candidates (one shell per process).
nonisolated(unsafe) var completionSession: ShellSession?
/// The candidates of the completion in progress, handed out one by one.
nonisolated(unsafe) var completionCandidates: [String] = []
nonisolated(unsafe) var completionIndex = 0

/// libedit's generator: the next candidate (malloc'd), or nil when done.
func completionGenerator(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
  if state == 0 { completionIndex = 0 }
  guard completionIndex < completionCandidates.count else { return nil }
  defer { completionIndex += 1 }
  return strdup(completionCandidates[completionIndex])
}

/// rl_attempted_completion_function: candidates for the word at `start`.
func attemptCompletion(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<
  UnsafeMutablePointer<CChar>?
>? {
  rl_attempted_completion_over = 1
  guard let session = completionSession, let text, let buffer = rl_line_buffer else { return nil }
  let bytes = Array(
    UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: strlen(buffer)))
  let before = String(decoding: bytes.prefix(max(0, min(Int(start), bytes.count))), as: UTF8.self)
  // Which characters break words depends on libedit's version and locale:
  // find the word (after the last blank) here, and shape the candidates to
  // replace exactly the `text` libedit chose.
  let typed = String(cString: text)
  let line = before + typed
  let wordStart = line.lastIndex { $0 == " " || $0 == "\t" }.map { line.index(after: $0) } ?? line.startIndex
  let word = String(line[wordStart...])
  let candidates = session.completions(before: String(line[..<wordStart]), word: word).map { candidate in
    typed.count >= word.count
      ? String(typed.dropLast(word.count)) + candidate : String(candidate.dropFirst(word.count - typed.count))
  }
  completionCandidates = candidates
  sombra_rl_set_append_character(candidates.count == 1 && candidates[0].hasSuffix("/") ? 0 : 32)
  guard !candidates.isEmpty else { return nil }
  return rl_completion_matches(text, completionGenerator)
}

/// The interactive line editor over libedit: emacs bindings and ~/.editrc
/// (section `sombra`), history in ``ShellHistory/path(_:)`` (mode 0600),
/// completion from the session, and Ctrl-C through a SIGINT handler installed
/// without SA_RESTART so the terminal read returns.
final class LineEditor: ShellLineEditor {
  let historyPath: String?

  init(session: ShellSession) {
    setlocale(LC_CTYPE, "")
    completionSession = session
    sombra_rl_set_name("sombra")
    rl_initialize()
    sombra_rl_set_word_break_characters(" \t\n:(){}[],=+-\"'")
    sombra_rl_set_completion(attemptCompletion)
    using_history()
    stifle_history(1000)
    historyPath = ShellHistory.path { name in getenv(name).map { String(cString: $0) } }
    if let historyPath, ShellHistory.prepare(historyPath) { read_history(historyPath) }
    Self.installInterruptHandler()
    session.isInterrupted = { interruptFlag.load(ordering: .relaxed) }
  }

  static func installInterruptHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in interruptFlag.store(true, ordering: .relaxed) }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
  }

  func readLine(prompt: String) -> ShellLineEvent {
    interruptFlag.store(false, ordering: .relaxed)
    guard let raw = readline(prompt) else {
      if interruptFlag.exchange(false, ordering: .relaxed) {
        FileDescriptorWriter.write("\n")
        return .interrupted
      }
      return .end
    }
    defer { free(raw) }
    var line = String(cString: raw)
    while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
    if interruptFlag.exchange(false, ordering: .relaxed) { return .interrupted }
    return .line(line)
  }

  func remember(_ line: String) {
    add_history(line)
    guard let historyPath, ShellHistory.prepare(historyPath) else { return }
    write_history(historyPath)
    chmod(historyPath, 0o600)
  }

  func clearInterrupt() {
    interruptFlag.store(false, ordering: .relaxed)
  }
}

/// Unbuffered writes to stdout around libedit's own output.
enum FileDescriptorWriter {
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { _ = Glibc.write(1, $0.baseAddress, $0.count) }
  }
}
