/// Traversals over adjacency: breadth-first, k-hop, shortest path.
extension Transaction {
  /// Nodes reached breadth-first from `start` within `depth` hops, with their
  /// distance, in visiting order (start excluded).
  ///
  /// ```swift
  /// for (node, distance) in try tx.bfs(from: ada, depth: 2) { print(node, distance) }
  /// ```
  public func bfs(from start: NodeID, depth: Int, direction: Direction = .outgoing, type: String? = nil) throws
    -> [(node: NodeID, distance: Int)]
  {
    guard depth >= 0 else { throw SombraError.invalidArgument("depth must be 0 or more, not \(depth)") }
    var seen: Set<NodeID> = [start]
    var frontier = [start]
    var result: [(node: NodeID, distance: Int)] = []
    var distance = 0
    while distance < depth, !frontier.isEmpty {
      distance += 1
      var next: [NodeID] = []
      for node in frontier {
        try forEachAdjacency(of: node, direction: direction, type: type) { _, _, neighbour, _ in
          guard seen.insert(neighbour).inserted else { return }
          next.append(neighbour)
          result.append((neighbour, distance))
        }
      }
      frontier = next
    }
    if depth == 0 { _ = try nodeExists(start) ? () : { throw SombraError(.notFound, "node \(start) does not exist") }() }
    return result
  }

  /// The nodes at exactly `k` hops from `start` (its k-hop ring).
  public func nodes(atDistance k: Int, from start: NodeID, direction: Direction = .outgoing, type: String? = nil) throws -> Set<
    NodeID
  > {
    Set(try bfs(from: start, depth: k, direction: direction, type: type).filter { $0.distance == k }.map(\.node))
  }

  /// A shortest path (fewest edges) from `source` to `target` as its nodes,
  /// both ends included; nil when none exists within `maxDepth` hops.
  ///
  /// ```swift
  /// if let path = try tx.shortestPath(from: ada, to: charles, direction: .both) {
  ///   print("\(path.count - 1) hops: \(path)")
  /// }
  /// ```
  public func shortestPath(from source: NodeID, to target: NodeID, maxDepth: Int = 16, direction: Direction = .outgoing) throws
    -> [NodeID]?
  {
    guard maxDepth >= 0 else { throw SombraError.invalidArgument("maxDepth must be 0 or more, not \(maxDepth)") }
    for end in [source, target] where try !nodeExists(end) { throw SombraError(.notFound, "node \(end) does not exist") }
    if source == target { return [source] }
    var parent: [NodeID: NodeID] = [source: source]
    var frontier = [source]
    var depth = 0
    while depth < maxDepth, !frontier.isEmpty {
      depth += 1
      var next: [NodeID] = []
      for node in frontier {
        for neighbour in try neighbors(of: node, direction: direction) where parent[neighbour] == nil {
          parent[neighbour] = node
          if neighbour == target {
            var path = [target]
            var at = target
            while at != source, let p = parent[at] {
              path.append(p)
              at = p
            }
            return path.reversed()
          }
          next.append(neighbour)
        }
      }
      frontier = next
    }
    return nil
  }
}
