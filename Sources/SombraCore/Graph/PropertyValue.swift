/// A property value: a scalar, or a list of scalars.
///
/// ```swift
/// let born: PropertyValue = 1815
/// let name: PropertyValue = "Ada"
/// let tags: PropertyValue = ["math", "poetry"]
/// ```
public enum PropertyValue: Sendable, Hashable, CustomStringConvertible {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case bytes([UInt8])
  /// A list of scalars (a list inside a list is `invalidArgument`).
  case list([PropertyValue])

  /// Largest encoded size of one value (strings, bytes, lists): 16 MiB.
  public static let maximumEncodedSize = 16 << 20

  public var description: String {
    switch self {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int(let i): String(i)
    case .double(let d): d.description
    case .string(let s): "\"" + s + "\""
    case .bytes(let b): "<\(b.count) bytes>"
    case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
    }
  }

  /// The name of the value's type, for messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "bool"
    case .int: "int"
    case .double: "double"
    case .string: "string"
    case .bytes: "bytes"
    case .list: "list"
    }
  }

  var isScalar: Bool {
    if case .list = self { return false }
    return true
  }
}

extension PropertyValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: PropertyValue...) { self = .list(elements) }
}

/// Encoding of values inside records: a tag byte, then the payload.
///
/// | tag | value  | payload                                   |
/// |-----|--------|-------------------------------------------|
/// | 0   | null   | none                                      |
/// | 1   | false  | none                                      |
/// | 2   | true   | none                                      |
/// | 3   | int    | zigzag varint                             |
/// | 4   | double | 8 bytes, IEEE 754 bit pattern, LE         |
/// | 5   | string | varint length, UTF-8 bytes                |
/// | 6   | bytes  | varint length, bytes                      |
/// | 7   | list   | varint count, that many scalar values     |
extension PropertyValue {
  package func encode(into w: inout ByteWriter) {
    switch self {
    case .null: w.u8(0)
    case .bool(let b): w.u8(b ? 2 : 1)
    case .int(let i):
      w.u8(3)
      w.varint(UInt64(bitPattern: (i << 1) ^ (i >> 63)))
    case .double(let d):
      w.u8(4)
      w.u64(d.bitPattern)
    case .string(let s):
      w.u8(5)
      w.varint(UInt64(s.utf8.count))
      w.raw(s.utf8)
    case .bytes(let b):
      w.u8(6)
      w.varint(UInt64(b.count))
      w.raw(b)
    case .list(let items):
      w.u8(7)
      w.varint(UInt64(items.count))
      for item in items { item.encode(into: &w) }
    }
  }

  package static func decode(from r: inout ByteReader, nested: Bool = false) throws -> PropertyValue {
    let tagOffset = r.offset
    switch try r.u8() {
    case 0: return .null
    case 1: return .bool(false)
    case 2: return .bool(true)
    case 3:
      let z = try r.varint()
      return .int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
    case 4: return .double(Double(bitPattern: try r.u64()))
    case 5: return .string(try r.string(try length(&r)))
    case 6: return .bytes(try r.bytes(try length(&r)))
    case 7:
      guard !nested else { throw r.error("a list inside a list", at: tagOffset) }
      let count = try length(&r)
      var items: [PropertyValue] = []
      items.reserveCapacity(min(count, 1024))
      for _ in 0..<count { items.append(try decode(from: &r, nested: true)) }
      return .list(items)
    case let tag: throw r.error("unknown value tag \(tag)", at: tagOffset)
    }
  }

  /// Reads past one encoded value, checking it exactly as `decode` does (tags,
  /// lengths, UTF-8, no nested lists), without building it: the verifier's
  /// pass over every record allocates nothing for values it only checks.
  package static func skip(from r: inout ByteReader, nested: Bool = false) throws {
    let tagOffset = r.offset
    switch try r.u8() {
    case 0, 1, 2: return
    case 3: _ = try r.varint()
    case 4: try r.skip(8)
    case 5:
      let start = r.offset
      let count = try length(&r)
      let raw = try r.slice(count)
      guard isValidUTF8(raw) else { throw r.error("invalid UTF-8 in a \(count)-byte string", at: start) }
    case 6: try r.skip(try length(&r))
    case 7:
      guard !nested else { throw r.error("a list inside a list", at: tagOffset) }
      let count = try length(&r)
      for _ in 0..<count { try skip(from: &r, nested: true) }
    case let tag: throw r.error("unknown value tag \(tag)", at: tagOffset)
    }
  }

  /// Whether `bytes` are well-formed UTF-8 (what `String(validating:)` accepts).
  static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
      let b0 = bytes[i]
      if b0 < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch b0 {
      case 0xC2...0xDF: length = 2
      case 0xE0: (length, low) = (3, 0xA0)
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: (length, high) = (3, 0x9F)
      case 0xF0: (length, low) = (4, 0x90)
      case 0xF1...0xF3: length = 4
      case 0xF4: (length, high) = (4, 0x8F)
      default: return false
      }
      guard n - i >= length, (low...high).contains(bytes[i + 1]) else { return false }
      for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return false }
      i += length
    }
    return true
  }

  /// A length that must fit in what remains of the buffer.
  private static func length(_ r: inout ByteReader) throws -> Int {
    let start = r.offset
    let n = try r.varint()
    guard n <= UInt64(r.remaining) else { throw r.error("length \(n) exceeds the \(r.remaining) bytes that remain", at: start) }
    return Int(n)
  }

  /// Whether `validate` would pass, known without encoding: a scalar whose
  /// encoding (tag, length of at most 10 bytes, payload) is surely under the
  /// limit. False means "not known", not "invalid".
  var isClearlyValid: Bool {
    switch self {
    case .null, .bool, .int, .double: true
    case .string(let s): s.utf8.count <= Self.maximumEncodedSize - 11
    case .bytes(let b): b.count <= Self.maximumEncodedSize - 11
    case .list: false
    }
  }

  /// Checks the value can be stored: lists hold scalars only, and the encoded size
  /// stays within `maximumEncodedSize`.
  package func validate(key: String) throws {
    if case .list(let items) = self, items.contains(where: { !$0.isScalar }) {
      throw SombraError.invalidArgument("property '\(key)': a list may hold only scalars, not lists")
    }
    var w = ByteWriter()
    encode(into: &w)
    guard w.count <= Self.maximumEncodedSize else {
      throw SombraError.invalidArgument(
        "property '\(key)': the value is \(w.count) bytes encoded; the limit is \(Self.maximumEncodedSize) bytes (16 MiB)")
    }
  }
}
