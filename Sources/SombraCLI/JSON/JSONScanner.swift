/// A JSON syntax error with its location.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong.
  public var message: String
  /// The 1-based line of the problem.
  public var line: Int
  /// The 1-based column of the problem, counted in Unicode scalars.
  public var column: Int
  /// The 0-based byte offset of the problem.
  public var offset: Int

  /// Creates an error.
  public init(message: String, line: Int, column: Int, offset: Int) {
    self.message = message
    self.line = line
    self.column = column
    self.offset = offset
  }

  /// `line 2, column 7: expected ':' after object key, found '1'`.
  public var description: String { "line \(line), column \(column): \(message)" }
}

/// A cursor over the input bytes with the token readers. Every access goes
/// through `peek()` or a bounds-checked slice, so no input can index past
/// the end.
struct JSONScanner {
  let bytes: [UInt8]
  var position = 0

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  func peek() -> UInt8? {
    position < bytes.count ? bytes[position] : nil
  }

  mutating func consume(_ byte: UInt8) -> Bool {
    guard peek() == byte else { return false }
    position += 1
    return true
  }

  mutating func skipWhitespace() {
    while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
      position += 1
    }
  }

  /// An error at `offset` (default: the current position).
  func failure(_ message: String, at offset: Int? = nil) -> JSONParseError {
    let offset = min(offset ?? position, bytes.count)
    var line = 1
    var column = 1
    for byte in bytes[..<offset] {
      if byte == 0x0A {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        column += 1
      }
    }
    return JSONParseError(message: message, line: line, column: column, offset: offset)
  }

  /// `end of input`, `'x'` or `byte 0xFF`, for messages.
  func describeCurrent() -> String {
    guard let byte = peek() else { return "end of input" }
    if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
    let hex = String(byte, radix: 16, uppercase: true)
    return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
  }

  // MARK: Numbers

  mutating func number() throws(JSONParseError) -> JSONValue {
    let start = position
    _ = consume(UInt8(ascii: "-"))
    if consume(UInt8(ascii: "0")) {
      if let byte = peek(), isDigit(byte) { throw failure("leading zeros are not allowed in numbers") }
    } else if digits() == 0 {
      throw failure("expected a digit, found \(describeCurrent())")
    }
    var isInteger = true
    if consume(UInt8(ascii: ".")) {
      isInteger = false
      guard digits() > 0 else { throw failure("expected a digit after '.', found \(describeCurrent())") }
    }
    if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
      isInteger = false
      if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
      guard digits() > 0 else { throw failure("expected a digit in exponent, found \(describeCurrent())") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let integer = Int64(text) { return .integer(integer) }
    guard let double = Double(text), double.isFinite else {
      throw failure("number \(text.count > 40 ? String(text.prefix(40)) + "…" : text) is out of range", at: start)
    }
    return .double(double)
  }

  private mutating func digits() -> Int {
    let start = position
    while let byte = peek(), isDigit(byte) { position += 1 }
    return position - start
  }

  private func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }

  // MARK: Strings

  /// A string starting at the opening quote.
  mutating func string() throws(JSONParseError) -> String {
    let start = position
    position += 1
    var buffer: [UInt8] = []
    while true {
      guard let byte = peek() else { throw failure("unterminated string", at: start) }
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        guard let text = String(validating: buffer, as: UTF8.self) else {
          throw failure("invalid UTF-8 in string", at: start)
        }
        return text
      case UInt8(ascii: "\\"):
        position += 1
        try escape(into: &buffer)
      case 0x00..<0x20:
        throw failure("control character in string must be escaped")
      default:
        buffer.append(byte)
        position += 1
      }
    }
  }

  /// The escape after a backslash, appended as UTF-8.
  private mutating func escape(into buffer: inout [UInt8]) throws(JSONParseError) {
    guard let byte = peek() else { throw failure("unterminated string") }
    position += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
    case UInt8(ascii: "b"): buffer.append(0x08)
    case UInt8(ascii: "f"): buffer.append(0x0C)
    case UInt8(ascii: "n"): buffer.append(0x0A)
    case UInt8(ascii: "r"): buffer.append(0x0D)
    case UInt8(ascii: "t"): buffer.append(0x09)
    case UInt8(ascii: "u"):
      let escapeStart = position - 2
      var code = UInt32(try hexQuad())
      if (0xD800...0xDBFF).contains(code) {
        guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else {
          throw failure("unpaired surrogate in \\u escape", at: escapeStart)
        }
        let low = UInt32(try hexQuad())
        guard (0xDC00...0xDFFF).contains(low) else {
          throw failure("unpaired surrogate in \\u escape", at: escapeStart)
        }
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
      }
      guard let scalar = Unicode.Scalar(code) else {
        throw failure("unpaired surrogate in \\u escape", at: escapeStart)
      }
      UTF8.encode(scalar) { buffer.append($0) }
    default:
      position -= 1
      let shown = (0x21...0x7E).contains(byte) ? "'\\\(Character(Unicode.Scalar(byte)))'" : describeCurrent()
      throw failure("invalid escape \(shown) in string")
    }
  }

  /// Four hex digits.
  private mutating func hexQuad() throws(JSONParseError) -> UInt16 {
    var value: UInt16 = 0
    for _ in 0..<4 {
      guard let byte = peek(), let digit = hexValue(byte) else {
        throw failure("expected four hex digits after \\u, found \(describeCurrent())")
      }
      value = value << 4 | UInt16(digit)
      position += 1
    }
    return value
  }

  private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
