import SombraCore

/// Parses one command line into a ``ShellCommand``.
///
/// Grammar (keywords lower case; `WHERE`, `AND`, `LIMIT` any case):
///
/// ```
/// node ID | edge ID | labels | types | keys | indexes | begin | commit | rollback
/// nodes [:Label] [WHERE key OP value [AND key OP value]...] [LIMIT n]
/// edges ID [out|in|both] [:TYPE]       neighbors ID [out|in|both] [:TYPE]
/// hops ID K | bfs ID DEPTH | path A B [MAXDEPTH] | count [:Label]
/// create node [:L1[:L2...]] [{key: value, ...}]
/// create edge A -[:TYPE [{key: value, ...}]]-> B
/// set node|edge ID key=value ...       unset node|edge ID key ...
/// label node ID +L -L ...              delete node ID [detach] | delete edge ID
/// index create|drop [:Label](key)
/// .meta [argument ...]
/// ```
package struct ShellParser {
  /// Every command word, for suggestions, completion and `.help`.
  static let commandWords = [
    "node", "nodes", "edge", "edges", "neighbors", "hops", "bfs", "path", "labels", "types", "keys", "count",
    "create", "set", "unset", "label", "delete", "index", "indexes", "begin", "commit", "rollback",
  ]

  var tokens: [ShellToken]
  var position = 0
  /// The column just past the end of the line, for "expected ..." at the end.
  let endColumn: Int

  /// Parses `line`; blank lines and comments (`--`, `#`) give `.nothing`.
  static func parse(_ line: String) throws(ShellError) -> ShellCommand {
    let trimmed = line.drop { $0.isWhitespace }
    if trimmed.isEmpty || trimmed.hasPrefix("--") || trimmed.hasPrefix("#") { return .nothing }
    if trimmed.hasPrefix(".") { return try ShellMetaCommands.parse(line) }
    var parser = ShellParser(tokens: try ShellTokenizer.tokenize(line), endColumn: line.count + 1)
    let command = try parser.command()
    try parser.expectEnd()
    return command
  }

  mutating func command() throws(ShellError) -> ShellCommand {
    let (word, column) = try anyWord("a command")
    switch word {
    case "node": return .node(try id("a node id"))
    case "edge": return .edge(try id("an edge id"))
    case "nodes": return try nodes()
    case "edges":
      let node = try id("a node id")
      return .edges(node, try direction(), type: try optionalLabel())
    case "neighbors":
      let node = try id("a node id")
      return .neighbors(node, try direction(), type: try optionalLabel())
    case "hops": return .hops(try id("a node id"), try count("the number of hops K"))
    case "bfs": return .bfs(try id("a node id"), try count("a depth"))
    case "path":
      let from = try id("the start node id")
      let to = try id("the end node id")
      return .path(from, to, maxDepth: atEnd ? nil : try count("a maximum depth"))
    case "labels": return .labels
    case "types": return .types
    case "keys": return .keys
    case "indexes": return .indexes
    case "count": return .count(label: try optionalLabel())
    case "begin": return .begin
    case "commit": return .commit
    case "rollback": return .rollback
    case "create": return try create()
    case "set", "unset": return try setOrUnset(word)
    case "label": return try relabel()
    case "delete": return try delete()
    case "index": return try index()
    default:
      throw ShellError(
        ShellError.withSuggestion("unknown command '\(word)'", word: word, among: Self.commandWords + ShellMetaCommands.names),
        column: column)
    }
  }

  mutating func nodes() throws(ShellError) -> ShellCommand {
    let label = try optionalLabel()
    var conditions: [ShellCommand.Condition] = []
    var limit: Int?
    if keyword("where") {
      repeat {
        let (key, _) = try name("a property key")
        let predicate = try comparison()
        conditions.append(ShellCommand.Condition(key: key, predicate: predicate))
      } while keyword("and")
    }
    if keyword("limit") { limit = try count("a row limit") }
    return .nodes(label: label, conditions: conditions, limit: limit)
  }

  mutating func comparison() throws(ShellError) -> PropertyPredicate {
    let column = currentColumn
    guard case .symbol(let op)? = peek?.kind else { throw ShellError("expected an operator (= != < <= > >=)", column: column) }
    position += 1
    let value = try value()
    switch op {
    case "=": return .equals(value)
    case "!=": return .notEquals(value)
    case "<": return .less(value)
    case "<=": return .lessOrEqual(value)
    case ">": return .greater(value)
    case ">=": return .greaterOrEqual(value)
    default: throw ShellError("expected an operator (= != < <= > >=), found '\(op)'", column: column)
    }
  }

  mutating func create() throws(ShellError) -> ShellCommand {
    let (kind, column) = try anyWord("'node' or 'edge'")
    switch kind {
    case "node":
      var labels: [String] = []
      while symbol(":") { labels.append(try name("a label").text) }
      let properties = isSymbol("{") ? try map() : [:]
      return .createNode(labels: labels, properties: properties)
    case "edge":
      let from = try id("the start node id")
      try expect("-")
      try expect("[")
      try expect(":")
      let type = try name("an edge type").text
      let properties = isSymbol("{") ? try map() : [:]
      try expect("]")
      try expect("->")
      return .createEdge(from: from, to: try id("the end node id"), type: type, properties: properties)
    default:
      throw ShellError(
        ShellError.withSuggestion("expected 'node' or 'edge', found '\(kind)'", word: kind, among: ["node", "edge"]),
        column: column)
    }
  }

  mutating func setOrUnset(_ verb: String) throws(ShellError) -> ShellCommand {
    let target = try target()
    if verb == "set" {
      var properties: [String: PropertyValue] = [:]
      repeat {
        let key = try name("key=value").text
        try expect("=")
        properties[key] = try value()
      } while !atEnd
      return .set(target, properties)
    }
    var keys: [String] = []
    repeat { keys.append(try name("a property key").text) } while !atEnd
    return .unset(target, keys)
  }

  mutating func relabel() throws(ShellError) -> ShellCommand {
    let column = currentColumn
    guard case .node(let node) = try target() else {
      throw ShellError("an edge has exactly one type, which cannot change; delete the edge and create it again", column: column)
    }
    var add: [String] = []
    var remove: [String] = []
    repeat {
      if symbol("+") {
        add.append(try name("a label").text)
      } else if symbol("-") {
        remove.append(try name("a label").text)
      } else {
        throw ShellError("expected +Label or -Label", column: currentColumn)
      }
    } while !atEnd
    return .relabel(node, add: add, remove: remove)
  }

  mutating func delete() throws(ShellError) -> ShellCommand {
    switch try target() {
    case .node(let node): return .deleteNode(node, detach: keyword("detach"))
    case .edge(let edge): return .deleteEdge(edge)
    }
  }

  mutating func index() throws(ShellError) -> ShellCommand {
    let (verb, column) = try anyWord("'create' or 'drop'")
    guard verb == "create" || verb == "drop" else {
      throw ShellError(
        ShellError.withSuggestion("expected 'create' or 'drop', found '\(verb)'", word: verb, among: ["create", "drop"]),
        column: column)
    }
    let label = try optionalLabel()
    try expect("(")
    let key = try name("a property key").text
    try expect(")")
    return verb == "create" ? .createIndex(label: label, key: key) : .dropIndex(label: label, key: key)
  }

  mutating func target() throws(ShellError) -> ShellCommand.Target {
    let (kind, column) = try anyWord("'node' or 'edge'")
    switch kind {
    case "node": return .node(try id("a node id"))
    case "edge": return .edge(try id("an edge id"))
    default:
      throw ShellError(
        ShellError.withSuggestion("expected 'node' or 'edge', found '\(kind)'", word: kind, among: ["node", "edge"]),
        column: column)
    }
  }

  mutating func direction() throws(ShellError) -> Direction {
    guard case .word(let word)? = peek?.kind, let direction = Direction(rawValue: word) else { return .both }
    position += 1
    return direction
  }

  mutating func optionalLabel() throws(ShellError) -> String? {
    symbol(":") ? try name("a name after ':'").text : nil
  }
}

extension ShellParser {
  /// Whether `line` parses as a shell command or meta-command (for the fuzz
  /// target `fuzz-text`): every error is a value, never a trap.
  package static func accepts(_ line: String) -> Bool {
    (try? parse(line)) != nil
  }
}
