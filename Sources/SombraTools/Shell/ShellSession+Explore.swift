import SombraCore

/// Explore commands: records, lists, traversals and the catalog. Each runs in
/// one read transaction (or the explicit one), so it sees one state.
extension ShellSession {
  static let nodeColumns = ["id", "labels", "properties"]
  static let edgeColumns = ["id", "type", "from", "to", "properties"]

  static func nodeRow(_ node: Node) -> [ShellCell] {
    [ShellCell(node.id), .labels(node.labels), .properties(node.properties)]
  }

  static func edgeRow(_ edge: Edge) -> [ShellCell] {
    [
      ShellCell(edge.id), ShellCell(text: edge.type), ShellCell(edge.source), ShellCell(edge.target),
      .properties(edge.properties),
    ]
  }

  func explore(_ command: ShellCommand) throws -> ShellResult {
    try reading { tx in
      switch command {
      case .node(let id):
        guard let node = try tx.node(id) else { throw ShellError("node \(id) does not exist") }
        return .record(ShellRecord(node))
      case .edge(let id):
        guard let edge = try tx.edge(id) else { throw ShellError("edge \(id) does not exist") }
        return .record(ShellRecord(edge))
      case .nodes(let label, let conditions, let limit):
        return .table(try nodes(tx, label: label, conditions: conditions, limit: limit))
      case .edges(let id, let direction, let type):
        var table = ShellTable(Self.edgeColumns)
        for edge in try tx.edges(of: id, direction: direction, type: type) { table.add(Self.edgeRow(edge), limit: displayLimit) }
        return .table(table)
      case .neighbors(let id, let direction, let type):
        var seen: Set<NodeID> = []
        let ids = try tx.neighbors(of: id, direction: direction, type: type).filter { seen.insert($0).inserted }
        return .table(try nodeTable(tx, ids))
      case .hops(let id, let k):
        return .table(try nodeTable(tx, try tx.nodes(atDistance: k, from: id).sorted()))
      case .bfs(let id, let depth):
        var table = ShellTable(["node", "distance", "labels", "properties"])
        for (node, distance) in try tx.bfs(from: id, depth: depth) {
          try checkInterrupt()
          try table.add(try Self.distanceRow(tx, node, distance), limit: displayLimit)
        }
        return .table(table)
      case .path(let from, let to, let maxDepth):
        let depth = maxDepth ?? 16
        guard try tx.nodeExists(from) else { throw ShellError("node \(from) does not exist") }
        guard try tx.nodeExists(to) else { throw ShellError("node \(to) does not exist") }
        guard let path = try tx.shortestPath(from: from, to: to, maxDepth: depth) else {
          return .message("no path from node \(from) to node \(to) within \(depth) hops")
        }
        var table = ShellTable(["step", "node", "labels", "properties"])
        for (step, node) in path.enumerated() {
          try table.add(try Self.distanceRow(tx, node, step).swappingFirstTwo(), limit: displayLimit)
        }
        return .table(table)
      case .labels:
        var table = ShellTable(["label", "nodes"])
        for (name, count) in try tx.labels() { table.add([ShellCell(text: name), ShellCell(count)], limit: displayLimit) }
        return .table(table)
      case .types:
        var table = ShellTable(["type", "edges"])
        for (name, count) in try tx.edgeTypes() { table.add([ShellCell(text: name), ShellCell(count)], limit: displayLimit) }
        return .table(table)
      case .keys:
        var table = ShellTable(["key"])
        for key in try tx.propertyKeys() { table.add([ShellCell(text: key)], limit: displayLimit) }
        return .table(table)
      case .indexes:
        var table = ShellTable(["label", "key"])
        for index in try tx.indexes() {
          table.add(
            [index.label.map { ShellCell(text: $0) } ?? ShellCell("(any)", .null), ShellCell(text: index.key)],
            limit: displayLimit)
        }
        return .table(table)
      case .count(let label):
        return .value("count", ShellCell(try label.map { try tx.count(label: $0) } ?? tx.nodeCount))
      default:
        return .none
      }
    }
  }

  /// `nodes`: by label (the label index), by the first condition (a property
  /// index when one matches, else a scan), or every node; the other conditions
  /// filter; a missing property matches no condition.
  func nodes(_ tx: Transaction, label: String?, conditions: [ShellCommand.Condition], limit: Int?) throws -> ShellTable {
    var table = ShellTable(Self.nodeColumns)
    if limit == 0 { return table }
    func accept(_ node: Node) -> Bool {
      let matches = conditions.allSatisfy { condition in
        node.properties[condition.key].map { condition.predicate.matches($0) } ?? false
      }
      if matches { table.add(Self.nodeRow(node), limit: displayLimit) }
      return limit.map { table.total < $0 } ?? true
    }
    var ids: [NodeID]?
    if let label, let first = conditions.first {
      ids = try tx.nodeIDs(label: label, key: first.key, first.predicate)
    } else if let label {
      ids = try tx.nodeIDs(label: label)
    }
    if let ids {
      for (index, id) in ids.enumerated() {
        if index % 1024 == 0 { try checkInterrupt() }
        guard let node = try tx.node(id) else { continue }
        if !accept(node) { break }
      }
    } else {
      var seen = 0
      try tx.forEachNode { node in
        seen += 1
        if seen % 1024 == 0 { try checkInterrupt() }
        return accept(node)
      }
    }
    return table
  }

  /// Nodes by id, in the given order.
  func nodeTable(_ tx: Transaction, _ ids: [NodeID]) throws -> ShellTable {
    var table = ShellTable(Self.nodeColumns)
    for id in ids {
      try checkInterrupt()
      guard let node = try tx.node(id) else { throw SombraError.corruption("adjacency names node \(id), which does not exist") }
      table.add(Self.nodeRow(node), limit: displayLimit)
    }
    return table
  }

  static func distanceRow(_ tx: Transaction, _ id: NodeID, _ distance: Int) throws -> [ShellCell] {
    guard let node = try tx.node(id) else { throw SombraError.corruption("adjacency names node \(id), which does not exist") }
    return [ShellCell(id), ShellCell(distance), .labels(node.labels), .properties(node.properties)]
  }
}

extension Array {
  /// The array with its first two elements exchanged (path rows: step, node).
  fileprivate func swappingFirstTwo() -> [Element] {
    guard count >= 2 else { return self }
    var copy = self
    copy.swapAt(0, 1)
    return copy
  }
}
