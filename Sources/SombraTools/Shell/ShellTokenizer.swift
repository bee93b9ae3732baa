/// The tokens of one shell command line, each with the column (1-based, in
/// characters) where it starts, so errors can point at it with a caret.
///
/// Lexical rules:
/// 1. A word starts with a letter, `_` or (first token only) `.`, and goes on
///    with letters, digits and `_`; `` `any text` `` is a word too (labels or
///    keys with spaces).
/// 2. A number is `-?digits[.digits][e[+-]digits]`: an integer when it has
///    neither fraction nor exponent and fits `Int64`, a double otherwise.
/// 3. A string is in double (or single) quotes with the JSON escapes.
/// 4. Symbols: `->` `!=` `<=` `>=` `<` `>` `=` `:` `{` `}` `[` `]` `(` `)` `,`
///    `+` `-`; a `-` directly before a digit starts a number.
/// 5. Whitespace separates tokens; anything else is an error at its column.
struct ShellToken: Equatable, Sendable {
  enum Kind: Equatable, Sendable {
    case word(String)
    case integer(Int64)
    case double(Double)
    case string(String)
    case symbol(String)
  }

  var kind: Kind
  /// The 1-based column of the token's first character.
  var column: Int

  /// The token as the user typed it (roughly), for messages.
  var spelling: String {
    switch kind {
    case .word(let w): w
    case .integer(let i): String(i)
    case .double(let d): String(d)
    case .string(let s): "\"" + s + "\""
    case .symbol(let s): s
    }
  }
}

/// Splits a command line into ``ShellToken``s.
enum ShellTokenizer {
  static let twoCharacterSymbols: Set<String> = ["->", "!=", "<=", ">="]
  static let oneCharacterSymbols: Set<Character> = ["<", ">", "=", ":", "{", "}", "[", "]", "(", ")", ",", "+", "-"]

  /// The tokens of `line`, or an error at the column of the first character
  /// that starts no token.
  static func tokenize(_ line: String) throws(ShellError) -> [ShellToken] {
    let characters = Array(line)
    var tokens: [ShellToken] = []
    var index = 0
    while index < characters.count {
      let character = characters[index]
      let column = index + 1
      if character.isWhitespace {
        index += 1
      } else if character == "\"" || character == "'" {
        let text = try string(characters, &index, quote: character)
        tokens.append(ShellToken(kind: .string(text), column: column))
      } else if character == "`" {
        guard let end = characters[(index + 1)...].firstIndex(of: "`") else {
          throw ShellError("unterminated `quoted name`", column: column)
        }
        tokens.append(ShellToken(kind: .word(String(characters[(index + 1)..<end])), column: column))
        index = end + 1
      } else if character.isNumber && character.isASCII
        || (character == "-" && index + 1 < characters.count && characters[index + 1].isASCII
          && characters[index + 1].isNumber)
      {
        tokens.append(ShellToken(kind: try number(characters, &index), column: column))
      } else if isWordStart(character) || (character == "." && tokens.isEmpty) {
        var end = index + 1
        while end < characters.count, isWordPart(characters[end]) { end += 1 }
        tokens.append(ShellToken(kind: .word(String(characters[index..<end])), column: column))
        index = end
      } else if index + 1 < characters.count, twoCharacterSymbols.contains(String(characters[index...(index + 1)])) {
        tokens.append(ShellToken(kind: .symbol(String(characters[index...(index + 1)])), column: column))
        index += 2
      } else if oneCharacterSymbols.contains(character) {
        tokens.append(ShellToken(kind: .symbol(String(character)), column: column))
        index += 1
      } else {
        throw ShellError("unexpected character '\(character)'", column: column)
      }
    }
    return tokens
  }

  static func isWordStart(_ c: Character) -> Bool { c == "_" || c.isLetter }
  static func isWordPart(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }

  /// A number starting at `index` (which it advances past).
  static func number(_ characters: [Character], _ index: inout Int) throws(ShellError) -> ShellToken.Kind {
    let start = index
    var end = index
    if characters[end] == "-" { end += 1 }
    func digits() { while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 } }
    digits()
    var isInteger = true
    if end + 1 < characters.count, characters[end] == ".", characters[end + 1].isASCII, characters[end + 1].isNumber {
      isInteger = false
      end += 1
      digits()
    }
    if end < characters.count, characters[end] == "e" || characters[end] == "E" {
      var probe = end + 1
      if probe < characters.count, characters[probe] == "+" || characters[probe] == "-" { probe += 1 }
      if probe < characters.count, characters[probe].isASCII, characters[probe].isNumber {
        isInteger = false
        end = probe
        digits()
      }
    }
    if end < characters.count, isWordPart(characters[end]) {
      throw ShellError("invalid number '\(String(characters[start...end]))'", column: start + 1)
    }
    index = end
    let text = String(characters[start..<end])
    if isInteger, let value = Int64(text) { return .integer(value) }
    guard let value = Double(text), value.isFinite else {
      throw ShellError("number '\(text)' is out of range", column: start + 1)
    }
    return .double(value)
  }

  /// A quoted string starting at `index` (the quote), with JSON escapes.
  static func string(_ characters: [Character], _ index: inout Int, quote: Character) throws(ShellError) -> String {
    let start = index
    var text = ""
    var position = index + 1
    while position < characters.count {
      let character = characters[position]
      if character == quote {
        index = position + 1
        return text
      }
      if character == "\\" {
        guard position + 1 < characters.count else { break }
        let escaped = characters[position + 1]
        position += 2
        switch escaped {
        case "n": text.append("\n")
        case "t": text.append("\t")
        case "r": text.append("\r")
        case "b": text.append("\u{08}")
        case "f": text.append("\u{0C}")
        case "\\", "/", "\"", "'": text.append(escaped)
        case "u":
          guard position + 4 <= characters.count, let code = UInt32(String(characters[position..<(position + 4)]), radix: 16),
            let scalar = Unicode.Scalar(code)
          else {
            throw ShellError("invalid \\u escape (expected four hex digits of a Unicode scalar)", column: position - 1)
          }
          text.unicodeScalars.append(scalar)
          position += 4
        default:
          throw ShellError("unknown escape '\\\(escaped)'", column: position - 1)
        }
        continue
      }
      text.append(character)
      position += 1
    }
    throw ShellError("unterminated string (add a closing \(quote))", column: start + 1)
  }
}
