import SombraCLI
import SombraCore

/// How property values look in the shell and in JSON.
///
/// Text uses the shell's own literal syntax, so a value can be copied back into
/// a command: `"Ada"`, `1815`, `4.2`, `true`, `null`, `[1, 2]`,
/// `bytes("AAEC")`. JSON maps bytes to `{"$base64": "AAEC"}` (an object, which
/// no other property value is, so the encoding round-trips); a NaN or infinite
/// double becomes `null`.
enum ShellValues {
  /// A value in literal syntax.
  static func literal(_ value: PropertyValue) -> String {
    switch value {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int(let i): String(i)
    case .double(let d): d.isFinite ? d.description : (d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
    case .string(let s): JSONWriter.compact.string(from: .string(s))
    case .bytes(let b): "bytes(\"\(Base64.encode(b))\")"
    case .list(let items): "[" + items.map(literal).joined(separator: ", ") + "]"
    }
  }

  /// A key as written in a map: bare when it is a word, quoted otherwise.
  static func key(_ key: String) -> String {
    guard let first = key.first, ShellTokenizer.isWordStart(first), key.allSatisfy(ShellTokenizer.isWordPart),
      !["true", "false", "null", "bytes"].contains(key)
    else { return JSONWriter.compact.string(from: .string(key)) }
    return key
  }

  /// Properties as a map literal with keys sorted: `{born: 1815, name: "Ada"}`.
  static func map(_ properties: [String: PropertyValue]) -> String {
    "{" + properties.sorted { $0.key < $1.key }.map { key($0.key) + ": " + literal($0.value) }.joined(separator: ", ")
      + "}"
  }

  /// Labels as `:A:B` (empty for none).
  static func labels(_ labels: [String]) -> String {
    labels.map { ":" + key($0) }.joined()
  }

  /// A value as JSON.
  static func json(_ value: PropertyValue) -> JSONValue {
    switch value {
    case .null: .null
    case .bool(let b): .bool(b)
    case .int(let i): .integer(i)
    case .double(let d): d.isFinite ? .double(d) : .null
    case .string(let s): .string(s)
    case .bytes(let b): .object([JSONMember("$base64", .string(Base64.encode(b)))])
    case .list(let items): .array(items.map(json))
    }
  }

  /// Properties as a JSON object, keys sorted.
  static func json(_ properties: [String: PropertyValue]) -> JSONValue {
    .object(properties.sorted { $0.key < $1.key }.map { JSONMember($0.key, json($0.value)) })
  }

  /// A JSON value as a property value; nil (with `problem` set) when it has
  /// no property equivalent (an object other than `{"$base64": ...}`, a list
  /// inside a list).
  static func property(_ json: JSONValue, nested: Bool = false) -> Result<PropertyValue, ShellError> {
    switch json {
    case .null: return .success(.null)
    case .bool(let b): return .success(.bool(b))
    case .integer(let i): return .success(.int(i))
    case .double(let d): return .success(.double(d))
    case .string(let s): return .success(.string(s))
    case .object(let members):
      guard members.count == 1, members[0].key == "$base64", case .string(let text) = members[0].value else {
        return .failure(ShellError("a property value cannot be an object (bytes are {\"$base64\": \"...\"})"))
      }
      guard let bytes = Base64.decode(text) else { return .failure(ShellError("invalid base64 in {\"$base64\": ...}")) }
      return .success(.bytes(bytes))
    case .array(let items):
      guard !nested else { return .failure(ShellError("a list property holds scalars only, not lists")) }
      var values: [PropertyValue] = []
      for item in items {
        switch property(item, nested: true) {
        case .success(let value): values.append(value)
        case .failure(let error): return .failure(error)
        }
      }
      return .success(.list(values))
    }
  }

  /// A node as JSON: `{"id": 1, "labels": [...], "properties": {...}}`.
  static func json(_ node: Node) -> JSONValue {
    .object([
      JSONMember("id", .integer(Int64(clamping: node.id))), JSONMember("labels", .array(node.labels.map { .string($0) })),
      JSONMember("properties", json(node.properties)),
    ])
  }

  /// An edge as JSON: `{"id", "type", "from", "to", "properties"}`.
  static func json(_ edge: Edge) -> JSONValue {
    .object([
      JSONMember("id", .integer(Int64(clamping: edge.id))), JSONMember("type", .string(edge.type)),
      JSONMember("from", .integer(Int64(clamping: edge.source))), JSONMember("to", .integer(Int64(clamping: edge.target))),
      JSONMember("properties", json(edge.properties)),
    ])
  }
}
