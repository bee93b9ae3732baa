/// Serializes ``JSONValue``s as JSON text (RFC 8259).
///
/// - Strings: `"` and `\` escaped; `\n`, `\r`, `\t` as such; every other
///   control character (U+0000–U+001F and DEL) as `\u00XX` in lowercase hex;
///   everything else, non-ASCII included, as UTF-8.
/// - Doubles: Swift's shortest round-trip `description` (`0.1`, `1e+20`,
///   `-0.0`). JSON has no NaN or infinity: they are written as `null`.
/// - Objects: members in order. Empty containers are `[]` and `{}` in both
///   styles.
/// - Compact: no whitespace. Pretty: one member or element per line,
///   indented, `": "` after keys.
public struct JSONWriter: Sendable {
  /// Spaces per nesting level; `nil` writes compact output.
  public var indent: Int?

  /// `{"a":[1,2]}`.
  public static let compact = JSONWriter(indent: nil)
  /// Two-space indentation.
  public static let pretty = JSONWriter(indent: 2)

  /// A writer indenting by `indent` spaces, or compact when `nil`.
  public init(indent: Int?) {
    self.indent = indent
  }

  /// `value` as JSON text, without a trailing newline.
  public func string(from value: JSONValue) -> String {
    var bytes: [UInt8] = []
    append(value, level: 0, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Writes `value` and a newline to `output` (one JSON Lines record when
  /// compact).
  public func write(_ value: JSONValue, to output: any TextOutput) {
    output.write(string(from: value) + "\n")
  }

  func append(_ value: JSONValue, level: Int, to bytes: inout [UInt8]) {
    switch value {
    case .null: bytes += Array("null".utf8)
    case .bool(let flag): bytes += Array((flag ? "true" : "false").utf8)
    case .integer(let number): bytes += Array(String(number).utf8)
    case .double(let number): bytes += Array((number.isFinite ? number.description : "null").utf8)
    case .string(let text): Self.appendString(text, to: &bytes)
    case .array(let elements):
      appendContainer(elements, open: "[", close: "]", level: level, to: &bytes) { element, bytes in
        append(element, level: level + 1, to: &bytes)
      }
    case .object(let members):
      appendContainer(members, open: "{", close: "}", level: level, to: &bytes) { member, bytes in
        Self.appendString(member.key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if indent != nil { bytes.append(UInt8(ascii: " ")) }
        append(member.value, level: level + 1, to: &bytes)
      }
    }
  }

  func appendContainer<Element>(
    _ items: [Element], open: Unicode.Scalar, close: Unicode.Scalar, level: Int, to bytes: inout [UInt8],
    appendItem: (Element, inout [UInt8]) -> Void
  ) {
    bytes.append(UInt8(ascii: open))
    for (index, item) in items.enumerated() {
      if index > 0 { bytes.append(UInt8(ascii: ",")) }
      newline(level: level + 1, to: &bytes)
      appendItem(item, &bytes)
    }
    if !items.isEmpty { newline(level: level, to: &bytes) }
    bytes.append(UInt8(ascii: close))
  }

  func newline(level: Int, to bytes: inout [UInt8]) {
    guard let indent else { return }
    bytes.append(UInt8(ascii: "\n"))
    bytes += repeatElement(UInt8(ascii: " "), count: max(indent, 0) * level)
  }

  static func appendString(_ text: String, to bytes: inout [UInt8]) {
    let hexDigits = Array("0123456789abcdef".utf8)
    bytes.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
      case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x00..<0x20, 0x7F:
        bytes += Array("\\u00".utf8)
        bytes += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
      default: bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }
}
