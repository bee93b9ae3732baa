/// Meta-commands: a line starting with `.`, its name, then arguments
/// separated by spaces (quote an argument with spaces in `"..."` or `'...'`).
/// Arguments are checked by ``ShellSession`` when it runs the command.
enum ShellMetaCommands {
  /// Every meta-command name, for suggestions, completion and `.help`.
  static let names = [
    ".open", ".info", ".stats", ".verify", ".checkpoint", ".import", ".export", ".mode", ".timer", ".width", ".limit",
    ".help", ".quit",
  ]

  /// Meta-commands whose argument is a file name (completion lists files).
  static let takingFiles: Set<String> = [".open", ".import", ".export"]

  /// Parses a line whose first non-blank character is `.`.
  static func parse(_ line: String) throws(ShellError) -> ShellCommand {
    let words = try split(line)
    guard let (name, column) = words.first else { return .nothing }
    let lowered = name.lowercased()
    let canonical = lowered == ".exit" || lowered == ".q" ? ".quit" : lowered
    guard names.contains(canonical) else {
      throw ShellError(
        ShellError.withSuggestion("unknown meta-command '\(name)'", word: name, among: names + [".exit"])
          + " (.help lists them)", column: column)
    }
    return .meta(canonical, words.dropFirst().map(\.0))
  }

  /// Words with their columns; quotes group, backslash escapes inside quotes.
  static func split(_ line: String) throws(ShellError) -> [(String, Int)] {
    var words: [(String, Int)] = []
    var current: String?
    var start = 0
    var quote: Character?
    var quoteColumn = 0
    var escaped = false
    for (index, character) in line.enumerated() {
      if let open = quote {
        if escaped {
          current?.append(character)
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == open {
          quote = nil
        } else {
          current?.append(character)
        }
      } else if character.isWhitespace {
        if let word = current { words.append((word, start)) }
        current = nil
      } else {
        if current == nil {
          current = ""
          start = index + 1
        }
        if character == "\"" || character == "'" {
          quote = character
          quoteColumn = index + 1
        } else {
          current?.append(character)
        }
      }
    }
    if quote != nil { throw ShellError("unterminated quote", column: quoteColumn) }
    if let word = current { words.append((word, start)) }
    return words
  }
}
