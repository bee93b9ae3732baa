/// A command-line mistake, reported to the user with exit status 2.
///
/// The message names the offending token and, where it can, says what to
/// type instead (`unknown option '--verbos'; did you mean '--verbose'?`).
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The message without the `error: ` prefix.
  public var message: String
  /// The command names from the tool down to the command being parsed when
  /// the mistake was found; selects the usage line shown with the error.
  public var commandPath: [String]

  /// Creates a usage error.
  public init(_ message: String, commandPath: [String]) {
    self.message = message
    self.commandPath = commandPath
  }

  /// The message.
  public var description: String { message }
}

/// What a successful parse asks the tool to do.
public enum ParseOutcome: Sendable, Equatable {
  /// Run the command with these arguments.
  case run(ParsedArguments)
  /// Print help for the command at this path (tool name first) and exit 0.
  case help(commandPath: [String])
  /// Print the version line (``HelpFormatter/versionLine``) and exit 0.
  case version
}

/// Suggestions for mistyped names, by Damerau–Levenshtein distance
/// (optimal string alignment: insert, delete, substitute, swap neighbours).
enum Suggestion {
  /// The candidate closest to `word`, when it is close enough to be a
  /// plausible typo: one edit for short names, two from six characters on.
  static func closest(to word: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(Array(word), Array(candidate))
      let allowed = candidate.count >= 6 ? 2 : 1
      guard distance <= allowed, distance < candidate.count else { continue }
      if best.map({ distance < $0.distance }) ?? true {
        best = (candidate, distance)
      }
    }
    return best?.name
  }

  /// The optimal-string-alignment distance between `a` and `b`.
  static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    let width = b.count + 1
    // Rows i-2, i-1 and i of the dynamic-programming matrix.
    var previous2 = [Int](repeating: 0, count: width)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: width)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previous2[j - 2] + 1)
        }
        current[j] = value
      }
      (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
  }
}
