/// A JSON document in memory.
///
/// Objects keep their members in order (insertion order when built, text
/// order when parsed), duplicates included; ``subscript(_:)-(String)``
/// returns the last member with a key, as most JSON readers do. Literals
/// build values directly:
///
/// ```swift
/// let report: JSONValue = ["schema": 1, "ok": true, "problems": []]
/// ```
public enum JSONValue: Sendable, Equatable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number written without fraction or exponent that fits `Int64`.
  case integer(Int64)
  /// Any other number; always finite when parsed.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object's members, in order.
  case object([JSONMember])

  /// The value of the last member named `key`, when this is an object.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  /// The element at `index`, when this is an array and it exists.
  public subscript(index: Int) -> JSONValue? {
    guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
    return elements[index]
  }

  /// The string, when this is one.
  public var stringValue: String? {
    if case .string(let value) = self { value } else { nil }
  }

  /// The integer, when this is one.
  public var integerValue: Int64? {
    if case .integer(let value) = self { value } else { nil }
  }

  /// The number as a `Double`, when this is an integer or double.
  public var doubleValue: Double? {
    switch self {
    case .integer(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }

  /// The Boolean, when this is one.
  public var boolValue: Bool? {
    if case .bool(let value) = self { value } else { nil }
  }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Equatable {
  /// The key.
  public var key: String
  /// The value.
  public var value: JSONValue

  /// A member `key: value`.
  public init(_ key: String, _ value: JSONValue) {
    self.key = key
    self.value = value
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

  /// An object with the members in the order written.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(elements.map { JSONMember($0.0, $0.1) })
  }
}
