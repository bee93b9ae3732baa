/// A shell command that could not be parsed or run: a message for the user,
/// the column it points at (parse errors) and an optional suggestion.
///
/// Rendered by ``render(line:)`` as
///
/// ```
/// error: unknown command 'nods'; did you mean 'nodes'?
///   nods :Person
///   ^
/// ```
public struct ShellError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What was wrong and, where possible, what to type instead.
  public var message: String
  /// The 1-based column in the command line, when the error has one.
  public var column: Int?

  init(_ message: String, column: Int? = nil) {
    self.message = message
    self.column = column
  }

  public var description: String { message }

  /// Characters of a long line shown on each side of the caret.
  static let caretWindow = 60

  /// The lines after the `error:` line: the command and a caret under the
  /// column (none when there is no column). Tabs are kept so the caret lines
  /// up. A line longer than two windows is shown from `caretWindow` characters
  /// before the column to as many after it, with `...` where it is cut.
  func caretLines(line: String) -> [String] {
    guard let column, column >= 1 else { return [] }
    let characters = Array(line)
    let at = min(column - 1, characters.count)
    let cut = characters.count > 2 * Self.caretWindow
    let start = cut ? max(0, at - Self.caretWindow) : 0
    let end = cut ? min(characters.count, at + Self.caretWindow) : characters.count
    let lead = start > 0 ? "..." : ""
    let shown = lead + String(characters[start..<end]) + (end < characters.count ? "..." : "")
    let prefix = (lead + String(characters[start..<at])).map { $0 == "\t" ? "\t" : " " }.joined()
    return ["  " + shown, "  " + prefix + "^"]
  }

  /// The closest of `candidates` to `word` by edit distance, when it is close
  /// enough to be a likely typo (at most a third of the word's length, min 1,
  /// max 3 edits).
  static func closest(to word: String, among candidates: [String]) -> String? {
    let target = Array(word.lowercased())
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(target, Array(candidate.lowercased()))
      if best.map({ distance < $0.distance }) ?? true { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let allowed = min(max(target.count / 3, 1), 3)
    return best.distance <= allowed ? best.candidate : nil
  }

  /// Levenshtein distance (insertions, deletions, substitutions).
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }

  /// `message` with `; did you mean 'X'?` when a candidate is close.
  static func withSuggestion(_ message: String, word: String, among candidates: [String]) -> String {
    guard let suggestion = closest(to: word, among: candidates) else { return message }
    return message + "; did you mean '\(suggestion)'?"
  }
}

/// A running command was interrupted (Ctrl-C); its transaction was rolled back.
public struct ShellInterrupted: Error {}
