import SombraCLI
import SombraCore

/// What a command produced, before rendering in the current `.mode`.
enum ShellResult {
  /// Nothing to print (`begin`, a blank line).
  case none
  /// One line of text for people (`created node 7`).
  case message(String)
  /// One named value (`count`): the bare value in table mode.
  case value(String, ShellCell)
  /// Rows; rendered as a table, JSON Lines or `key = value` blocks.
  case table(ShellTable)
  /// One node or edge: a key/value box.
  case record(ShellRecord)
}

/// A cell: its text for tables and line mode, its JSON for `.mode json`.
struct ShellCell {
  var text: String
  var json: JSONValue

  init(_ text: String, _ json: JSONValue) {
    self.text = text
    self.json = json
  }

  /// A whole number.
  init(_ number: UInt64) {
    self.init(String(number), .integer(Int64(clamping: number)))
  }

  /// A whole number.
  init(_ number: Int) {
    self.init(String(number), .integer(Int64(number)))
  }

  /// Plain text.
  init(text: String) {
    self.init(text, .string(text))
  }

  /// Labels as `:A:B`; JSON `["A", "B"]`.
  static func labels(_ labels: [String]) -> ShellCell {
    ShellCell(ShellValues.labels(labels), .array(labels.map { .string($0) }))
  }

  /// Properties as a map literal; JSON an object.
  static func properties(_ properties: [String: PropertyValue]) -> ShellCell {
    ShellCell(ShellValues.map(properties), ShellValues.json(properties))
  }
}

/// Rows of cells under column names; `total` counts the rows that matched,
/// which may exceed the rows kept (the display limit).
struct ShellTable {
  var columns: [String]
  var rows: [[ShellCell]] = []
  var total = 0

  init(_ columns: [String]) {
    self.columns = columns
  }

  /// Counts a row and keeps it while fewer than `limit` rows are kept.
  mutating func add(_ row: @autoclosure () throws -> [ShellCell], limit: Int) rethrows {
    total += 1
    if rows.count < limit { rows.append(try row()) }
  }

  /// `(3 rows)`, or `(250 rows, 100 shown)` when the display limit cut it.
  var footer: String {
    let count = total == 1 ? "1 row" : "\(total) rows"
    return rows.count < total ? "(\(count), \(rows.count) shown)" : "(\(count))"
  }
}

/// One node or edge: a title (`node 7`), its fields (labels, or type and
/// ends) and its properties.
struct ShellRecord {
  var title: String
  var fields: [(String, ShellCell)]
  var properties: [String: PropertyValue]
  var json: JSONValue

  init(_ node: Node) {
    title = "node \(node.id)"
    fields = [("id", ShellCell(node.id)), ("labels", .labels(node.labels))]
    properties = node.properties
    json = ShellValues.json(node)
  }

  init(_ edge: Edge) {
    title = "edge \(edge.id)"
    fields = [
      ("id", ShellCell(edge.id)), ("type", ShellCell(text: edge.type)), ("from", ShellCell(edge.source)),
      ("to", ShellCell(edge.target)),
    ]
    properties = edge.properties
    json = ShellValues.json(edge)
  }
}
