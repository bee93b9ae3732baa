/// Parses JSON text (RFC 8259) into a ``JSONValue``; built to read
/// untrusted input such as JSON Lines imports.
///
/// Guarantees:
/// 1. It never traps: every malformed input is a ``JSONParseError`` with the
///    line and column of the problem.
/// 2. Nesting deeper than ``maximumDepth`` is an error. Parsing is iterative
///    (an explicit stack of open containers), so depth never touches the
///    call stack.
/// 3. Strings must be valid UTF-8, may not hold raw control characters, and
///    `\u` escapes must pair surrogates correctly.
/// 4. Numbers follow the JSON grammar strictly (no leading zeros, `+`, `.5`,
///    `NaN`). An integer literal that fits `Int64` becomes
///    ``JSONValue/integer(_:)``; one that does not becomes the nearest
///    ``JSONValue/double(_:)`` (precision is lost, as in JavaScript); a
///    number too large for a finite `Double` (`1e400`) is an error.
/// 5. Whitespace may surround the value; a leading UTF-8 byte-order mark is
///    skipped; anything else after the value is an error.
public enum JSONParser {
  /// The deepest nesting of arrays and objects accepted.
  public static let maximumDepth = 512

  /// Parses `text`.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(bytes: Array(text.utf8))
  }

  /// Parses UTF-8 `bytes`.
  public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    var scanner = JSONScanner(bytes: bytes)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
    return try scanner.document()
  }
}

/// An open container while parsing.
private enum OpenContainer {
  case array([JSONValue])
  case object([JSONMember], key: String)
}

extension JSONScanner {
  /// One complete document: a value, then only whitespace.
  mutating func document() throws(JSONParseError) -> JSONValue {
    var stack: [OpenContainer] = []
    while true {
      // Read a value, opening containers until one completes.
      skipWhitespace()
      var value: JSONValue
      switch peek() {
      case UInt8(ascii: "["):
        try open(&stack)
        skipWhitespace()
        if consume(UInt8(ascii: "]")) {
          value = .array([])
        } else {
          stack.append(.array([]))
          continue
        }
      case UInt8(ascii: "{"):
        try open(&stack)
        skipWhitespace()
        if consume(UInt8(ascii: "}")) {
          value = .object([])
        } else {
          stack.append(.object([], key: try memberKey()))
          continue
        }
      default:
        value = try scalar()
      }

      // Hand the value to its container, closing containers as they end.
      while true {
        guard let container = stack.popLast() else {
          skipWhitespace()
          guard position == bytes.count else { throw failure("unexpected \(describeCurrent()) after the JSON value") }
          return value
        }
        skipWhitespace()
        switch container {
        case .array(var elements):
          elements.append(value)
          if consume(UInt8(ascii: ",")) {
            stack.append(.array(elements))
          } else if consume(UInt8(ascii: "]")) {
            value = .array(elements)
            continue
          } else {
            throw failure("expected ',' or ']' in array, found \(describeCurrent())")
          }
        case .object(var members, let key):
          members.append(JSONMember(key, value))
          if consume(UInt8(ascii: ",")) {
            skipWhitespace()
            stack.append(.object(members, key: try memberKey()))
          } else if consume(UInt8(ascii: "}")) {
            value = .object(members)
            continue
          } else {
            throw failure("expected ',' or '}' in object, found \(describeCurrent())")
          }
        }
        break
      }
    }
  }

  /// Consumes `[` or `{`, refusing to nest deeper than the cap.
  private mutating func open(_ stack: inout [OpenContainer]) throws(JSONParseError) {
    guard stack.count < JSONParser.maximumDepth else {
      throw failure("nesting deeper than \(JSONParser.maximumDepth) levels")
    }
    position += 1
  }

  /// `"key" :` at the start of a member.
  private mutating func memberKey() throws(JSONParseError) -> String {
    guard peek() == UInt8(ascii: "\"") else {
      throw failure("expected a string key in object, found \(describeCurrent())")
    }
    let key = try string()
    skipWhitespace()
    guard consume(UInt8(ascii: ":")) else {
      throw failure("expected ':' after object key, found \(describeCurrent())")
    }
    return key
  }

  /// A string, number, `true`, `false` or `null`.
  private mutating func scalar() throws(JSONParseError) -> JSONValue {
    guard let byte = peek() else { throw failure("expected a value, found end of input") }
    switch byte {
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    default: throw failure("expected a value, found \(describeCurrent())")
    }
  }

  private mutating func literal(_ word: String) throws(JSONParseError) {
    let expected = Array(word.utf8)
    guard bytes[position...].starts(with: expected) else {
      throw failure("invalid literal; expected '\(word)'")
    }
    position += expected.count
  }
}
