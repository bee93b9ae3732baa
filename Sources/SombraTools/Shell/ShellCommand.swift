import SombraCore

/// One parsed shell command (see ``ShellParser``); ``ShellSession`` runs it.
enum ShellCommand: Equatable, Sendable {
  /// A node or an edge, for commands that work on either.
  enum Target: Equatable, Sendable {
    case node(NodeID)
    case edge(EdgeID)
  }

  /// `key OP value` in a `WHERE` clause.
  struct Condition: Equatable, Sendable {
    var key: String
    var predicate: PropertyPredicate
  }

  // Explore
  case node(NodeID)
  case nodes(label: String?, conditions: [Condition], limit: Int?)
  case edge(EdgeID)
  case edges(NodeID, Direction, type: String?)
  case neighbors(NodeID, Direction, type: String?)
  case hops(NodeID, Int)
  case bfs(NodeID, Int)
  case path(NodeID, NodeID, maxDepth: Int?)
  case labels
  case types
  case keys
  case count(label: String?)
  // Change
  case createNode(labels: [String], properties: [String: PropertyValue])
  case createEdge(from: NodeID, to: NodeID, type: String, properties: [String: PropertyValue])
  case set(Target, [String: PropertyValue])
  case unset(Target, [String])
  case relabel(NodeID, add: [String], remove: [String])
  case deleteNode(NodeID, detach: Bool)
  case deleteEdge(EdgeID)
  case createIndex(label: String?, key: String)
  case dropIndex(label: String?, key: String)
  case indexes
  // Transactions
  case begin
  case commit
  case rollback
  /// A meta-command (`.mode json`): its name with the dot, and its arguments.
  case meta(String, [String])
  /// A blank line or a comment (`-- ...` or `# ...`).
  case nothing

  /// Whether the command changes the graph (refused on a read-only database).
  var isChange: Bool {
    switch self {
    case .createNode, .createEdge, .set, .unset, .relabel, .deleteNode, .deleteEdge, .createIndex, .dropIndex: true
    default: false
    }
  }
}
