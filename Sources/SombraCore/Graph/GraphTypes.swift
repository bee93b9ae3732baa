/// Engine-assigned node identifier (1, 2, 3, ...; never reused).
public typealias NodeID = UInt64
/// Engine-assigned edge identifier (1, 2, 3, ...; never reused).
public typealias EdgeID = UInt64

/// A node: its labels (sorted) and properties.
public struct Node: Sendable, Hashable {
  public let id: NodeID
  public var labels: [String]
  public var properties: [String: PropertyValue]

  public init(id: NodeID, labels: [String], properties: [String: PropertyValue]) {
    self.id = id
    self.labels = labels
    self.properties = properties
  }
}

/// A directed edge from `source` to `target` with one type.
public struct Edge: Sendable, Hashable {
  public let id: EdgeID
  public let source: NodeID
  public let target: NodeID
  public let type: String
  public var properties: [String: PropertyValue]

  public init(id: EdgeID, source: NodeID, target: NodeID, type: String, properties: [String: PropertyValue]) {
    self.id = id
    self.source = source
    self.target = target
    self.type = type
    self.properties = properties
  }
}

/// Which edges of a node: leaving it, entering it, or both.
public enum Direction: String, Sendable, CaseIterable {
  case outgoing = "out"
  case incoming = "in"
  case both
}

/// A property index on a key, for nodes of one label (or of any label when
/// `label` is nil).
public struct PropertyIndex: Sendable, Hashable, CustomStringConvertible {
  public let label: String?
  public let key: String

  public init(label: String?, key: String) {
    self.label = label
    self.key = key
  }

  public var description: String { "\(label.map { ":" + $0 } ?? "*")(\(key))" }
}

/// A comparison for property lookups.
public enum PropertyPredicate: Sendable, Hashable {
  case equals(PropertyValue)
  case notEquals(PropertyValue)
  case less(PropertyValue)
  case lessOrEqual(PropertyValue)
  case greater(PropertyValue)
  case greaterOrEqual(PropertyValue)

  /// Whether `value` satisfies the predicate. Comparisons are type-strict: an
  /// int never equals or orders against a double or a string (so an index and a
  /// scan always agree); NaN equals nothing and orders against nothing.
  public func matches(_ value: PropertyValue) -> Bool {
    switch self {
    case .equals(let v): return PropertyValue.compare(value, v) == 0
    case .notEquals(let v): return PropertyValue.compare(value, v) != 0
    case .less(let v): return PropertyValue.compare(value, v).map { $0 < 0 } ?? false
    case .lessOrEqual(let v): return PropertyValue.compare(value, v).map { $0 <= 0 } ?? false
    case .greater(let v): return PropertyValue.compare(value, v).map { $0 > 0 } ?? false
    case .greaterOrEqual(let v): return PropertyValue.compare(value, v).map { $0 >= 0 } ?? false
    }
  }

  var operand: PropertyValue {
    switch self {
    case .equals(let v), .notEquals(let v), .less(let v), .lessOrEqual(let v), .greater(let v), .greaterOrEqual(let v): v
    }
  }
}

extension PropertyValue {
  /// Ordering within one type; nil across types, for NaN and for lists.
  static func compare(_ a: PropertyValue, _ b: PropertyValue) -> Int? {
    func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
    switch (a, b) {
    case (.null, .null): return 0
    case (.bool(let x), .bool(let y)): return sign(x ? 1 : 0, y ? 1 : 0)
    case (.int(let x), .int(let y)): return sign(x, y)
    case (.double(let x), .double(let y)): return x.isNaN || y.isNaN ? nil : sign(x, y)
    case (.string(let x), .string(let y)): return compareBytes(Array(x.utf8), Array(y.utf8))
    case (.bytes(let x), .bytes(let y)): return compareBytes(x, y)
    default: return nil
    }
  }

  private static func compareBytes(_ x: [UInt8], _ y: [UInt8]) -> Int {
    x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
  }
}
