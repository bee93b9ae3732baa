import SombraCore

/// Token-level helpers and JSON-style literals for ``ShellParser``.
///
/// Values: `"text"`, `42`, `-4.2e3`, `true`, `false`, `null`, lists of scalars
/// `[1, 2]`, and `bytes("AAEC")` (base64). Maps: `{key: value, "any key": value}`.
extension ShellParser {
  var peek: ShellToken? { position < tokens.count ? tokens[position] : nil }
  var atEnd: Bool { position >= tokens.count }
  var currentColumn: Int { peek?.column ?? endColumn }

  /// "found 'x'" or "found the end of the line", for messages.
  var found: String { peek.map { "found '\($0.spelling)'" } ?? "found the end of the line" }

  mutating func expectEnd() throws(ShellError) {
    guard let token = peek else { return }
    throw ShellError("unexpected '\(token.spelling)' after the end of the command", column: token.column)
  }

  /// Any word (a command or keyword position).
  mutating func anyWord(_ what: String) throws(ShellError) -> (String, Int) {
    guard let token = peek, case .word(let word) = token.kind else {
      throw ShellError("expected \(what), \(found)", column: currentColumn)
    }
    position += 1
    return (word, token.column)
  }

  /// A name: a word or a quoted string (labels, types, keys).
  mutating func name(_ what: String) throws(ShellError) -> (text: String, column: Int) {
    guard let token = peek else { throw ShellError("expected \(what), \(found)", column: currentColumn) }
    switch token.kind {
    case .word(let word), .string(let word):
      guard !word.isEmpty else { throw ShellError("\(what) cannot be empty", column: token.column) }
      position += 1
      return (word, token.column)
    default: throw ShellError("expected \(what), \(found)", column: token.column)
    }
  }

  /// A positive id.
  mutating func id(_ what: String) throws(ShellError) -> UInt64 {
    guard let token = peek, case .integer(let value) = token.kind else {
      throw ShellError("expected \(what), \(found)", column: currentColumn)
    }
    guard value > 0 else { throw ShellError("ids start at 1, not \(value)", column: token.column) }
    position += 1
    return UInt64(value)
  }

  /// A count: a whole number from 0 to 1,000,000,000.
  mutating func count(_ what: String) throws(ShellError) -> Int {
    guard let token = peek, case .integer(let value) = token.kind else {
      throw ShellError("expected \(what), \(found)", column: currentColumn)
    }
    guard (0...1_000_000_000).contains(value) else {
      throw ShellError("\(what) must be from 0 to 1000000000, not \(value)", column: token.column)
    }
    position += 1
    return Int(value)
  }

  /// Consumes a case-insensitive keyword when it is next.
  mutating func keyword(_ word: String) -> Bool {
    guard case .word(let next)? = peek?.kind, next.lowercased() == word else { return false }
    position += 1
    return true
  }

  func isSymbol(_ symbol: String) -> Bool { peek?.kind == .symbol(symbol) }

  /// Consumes `symbol` when it is next.
  mutating func symbol(_ symbol: String) -> Bool {
    guard isSymbol(symbol) else { return false }
    position += 1
    return true
  }

  mutating func expect(_ symbol: String) throws(ShellError) {
    guard self.symbol(symbol) else { throw ShellError("expected '\(symbol)', \(found)", column: currentColumn) }
  }

  /// A JSON-style literal.
  mutating func value() throws(ShellError) -> PropertyValue {
    guard let token = peek else { throw ShellError("expected a value, found the end of the line", column: endColumn) }
    position += 1
    switch token.kind {
    case .integer(let i): return .int(i)
    case .double(let d): return .double(d)
    case .string(let s): return .string(s)
    case .word("true"): return .bool(true)
    case .word("false"): return .bool(false)
    case .word("null"): return .null
    case .word("bytes"):
      try expect("(")
      let column = currentColumn
      guard case .string(let text)? = peek?.kind else { throw ShellError("expected a base64 string, \(found)", column: column) }
      position += 1
      guard let bytes = Base64.decode(text) else { throw ShellError("invalid base64 in bytes(...)", column: column) }
      try expect(")")
      return .bytes(bytes)
    case .symbol("["):
      var items: [PropertyValue] = []
      if symbol("]") { return .list(items) }
      repeat {
        let column = currentColumn
        // Checked before parsing the item: a value never recurses more than
        // one list deep, however many brackets a line holds.
        if isSymbol("[") { throw ShellError("a list holds scalars only, not lists", column: column) }
        let item = try value()
        items.append(item)
      } while symbol(",")
      try expect("]")
      return .list(items)
    case .word(let word):
      throw ShellError(
        ShellError.withSuggestion(
          "expected a value, found '\(word)'; text needs quotes: \"\(word)\"", word: word,
          among: ["true", "false", "null"]), column: token.column)
    default:
      throw ShellError("expected a value (\"text\", 42, 4.2, true, null, [1,2]), found '\(token.spelling)'", column: token.column)
    }
  }

  /// `{key: value, ...}`.
  mutating func map() throws(ShellError) -> [String: PropertyValue] {
    try expect("{")
    var result: [String: PropertyValue] = [:]
    if symbol("}") { return result }
    repeat {
      let (key, column) = try name("a property key")
      guard result[key] == nil else { throw ShellError("property '\(key)' is given twice", column: column) }
      try expect(":")
      result[key] = try value()
    } while symbol(",")
    try expect("}")
    return result
  }
}
