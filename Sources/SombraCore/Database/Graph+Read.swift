/// Reading the graph: records, adjacency, labels, counts and the catalog.
/// Available on both read and write transactions.
extension Transaction {
  /// The node with `id`, or nil.
  ///
  /// ```swift
  /// if let node = try tx.node(ada) { print(node.labels, node.properties["name"] ?? .null) }
  /// ```
  public func node(_ id: NodeID) throws -> Node? {
    guard let stored = try storedNode(id) else { return nil }
    return try materialize(id, stored)
  }

  /// The edge with `id`, or nil.
  public func edge(_ id: EdgeID) throws -> Edge? {
    guard let stored = try storedEdge(id) else { return nil }
    return try materialize(id, stored)
  }

  /// Whether a node with `id` exists.
  public func nodeExists(_ id: NodeID) throws -> Bool {
    guard let nodes = tree(.nodes) else { return false }
    return try KeyEncoding.withU64(id) { try nodes.contains(bytes: $0, in: self) }
  }

  /// The edges of a node, optionally of one type, in (direction, type, neighbour,
  /// id) order. Throws `notFound` for a missing node.
  public func edges(of id: NodeID, direction: Direction = .both, type: String? = nil) throws -> [Edge] {
    try adjacency(of: id, direction: direction, type: type).map { entry in
      guard let edge = try self.edge(entry.edge) else {
        throw SombraError.corruption("adjacency of node \(id) names edge \(entry.edge), which does not exist")
      }
      return edge
    }
  }

  /// The neighbours of a node, once per connecting edge (so with repetitions).
  ///
  /// ```swift
  /// let friends = try tx.neighbors(of: ada, direction: .both, type: "KNOWS")
  /// ```
  public func neighbors(of id: NodeID, direction: Direction = .outgoing, type: String? = nil) throws -> [NodeID] {
    var result: [NodeID] = []
    try forEachAdjacency(of: id, direction: direction, type: type) { _, _, neighbour, _ in result.append(neighbour) }
    return result
  }

  /// The number of edges of a node.
  public func degree(of id: NodeID, direction: Direction = .both, type: String? = nil) throws -> Int {
    try adjacency(of: id, direction: direction, type: type).count
  }

  /// Ids of the nodes with a label, ascending.
  ///
  /// ```swift
  /// for id in try tx.nodeIDs(label: "Person") { print(id) }
  /// ```
  public func nodeIDs(label: String) throws -> [NodeID] {
    guard let labels = tree(.labels), let labelID = try nameID(.label, label) else { return [] }
    var ids: [NodeID] = []
    try GraphKeys.label(labelID).withUnsafeBytes { prefix in
      try labels.scanBorrowing(prefix: prefix, in: self) { key, _ in
        guard key.count == 12, let node = KeyEncoding.readU64(raw: key, at: 4) else {
          throw SombraError.corruption("malformed label-index key")
        }
        ids.append(node)
        return true
      }
    }
    return ids
  }

  /// The number of nodes with a label (a stored count: no scan).
  public func count(label: String) throws -> Int {
    guard let id = try nameID(.label, label) else { return 0 }
    return Int(clamping: try count(.label(id)))
  }

  /// The number of edges of a type (a stored count).
  public func count(edgeType: String) throws -> Int {
    guard let id = try nameID(.type, edgeType) else { return 0 }
    return Int(clamping: try count(.type(id)))
  }

  /// Nodes in the graph (a stored count).
  public var nodeCount: Int { get throws { Int(clamping: try count(.nodes)) } }
  /// Edges in the graph (a stored count).
  public var edgeCount: Int { get throws { Int(clamping: try count(.edges)) } }

  /// Labels with their node counts, by name.
  public func labels() throws -> [(name: String, count: Int)] {
    try allNames(.label).map { ($0.name, Int(clamping: try count(.label($0.id)))) }.sorted { $0.name < $1.name }
  }

  /// Edge types with their edge counts, by name.
  public func edgeTypes() throws -> [(name: String, count: Int)] {
    try allNames(.type).map { ($0.name, Int(clamping: try count(.type($0.id)))) }.sorted { $0.name < $1.name }
  }

  /// Every property key name in the catalog, sorted.
  public func propertyKeys() throws -> [String] {
    try allNames(.key).map(\.name).sorted()
  }

  /// Calls `body` with every node in id order until it returns false.
  public func forEachNode(_ body: (Node) throws -> Bool) throws {
    guard let nodes = tree(.nodes) else { return }
    try nodes.scanBorrowing(in: self) { key, value in
      guard let id = KeyEncoding.readU64(raw: key, at: 0), key.count == 8 else {
        throw SombraError.corruption("malformed node key")
      }
      return try body(try materialize(id, try StoredNode.decode(raw: value, id: id)))
    }
  }

  /// Calls `body` with every edge in id order until it returns false.
  public func forEachEdge(_ body: (Edge) throws -> Bool) throws {
    guard let edges = tree(.edges) else { return }
    try edges.scanBorrowing(in: self) { key, value in
      guard let id = KeyEncoding.readU64(raw: key, at: 0), key.count == 8 else {
        throw SombraError.corruption("malformed edge key")
      }
      return try body(try materialize(id, try StoredEdge.decode(raw: value, id: id)))
    }
  }

  // MARK: Internals shared with writes and traversals

  func storedNode(_ id: NodeID) throws -> StoredNode? {
    guard let nodes = tree(.nodes) else { return nil }
    return try KeyEncoding.withU64(id) { key in
      try nodes.withValue(bytes: key, in: self) { try StoredNode.decode(raw: $0, id: id) }
    }
  }

  func storedEdge(_ id: EdgeID) throws -> StoredEdge? {
    guard let edges = tree(.edges) else { return nil }
    return try KeyEncoding.withU64(id) { key in
      try edges.withValue(bytes: key, in: self) { try StoredEdge.decode(raw: $0, id: id) }
    }
  }

  func materialize(_ id: NodeID, _ stored: StoredNode) throws -> Node {
    let labels: [String]
    switch stored.labels.count {
    case 0: labels = []
    case 1: labels = [try name(.label, stored.labels[0])]
    default: labels = try stored.labels.map { try name(.label, $0) }.sorted()
    }
    return Node(id: id, labels: labels, properties: try properties(stored.properties))
  }

  func materialize(_ id: EdgeID, _ stored: StoredEdge) throws -> Edge {
    Edge(
      id: id, source: stored.source, target: stored.target, type: try name(.type, stored.type),
      properties: try properties(stored.properties))
  }

  func properties(_ stored: [(key: UInt32, value: PropertyValue)]) throws -> [String: PropertyValue] {
    var result = [String: PropertyValue](minimumCapacity: stored.count)
    for (key, value) in stored { result[try name(.key, key)] = value }
    return result
  }

  struct AdjacencyEntry {
    var outgoing: Bool
    var type: UInt32
    var neighbour: NodeID
    var edge: EdgeID
  }

  /// Adjacency entries of a node; `notFound` when the node does not exist.
  func adjacency(of id: NodeID, direction: Direction, type: String?) throws -> [AdjacencyEntry] {
    var result: [AdjacencyEntry] = []
    try forEachAdjacency(of: id, direction: direction, type: type) { outgoing, type, neighbour, edge in
      result.append(AdjacencyEntry(outgoing: outgoing, type: type, neighbour: neighbour, edge: edge))
    }
    return result
  }

  /// Calls `body` with each adjacency entry of a node (outgoing first), parsed
  /// straight from the leaf bytes; `notFound` when the node does not exist.
  func forEachAdjacency(
    of id: NodeID, direction: Direction, type: String?,
    _ body: (_ outgoing: Bool, _ type: UInt32, _ neighbour: NodeID, _ edge: EdgeID) throws -> Void
  ) throws {
    try (self as? WriteTransaction)?.flushAdjacency()
    guard let adjacency = tree(.adjacency) else { throw SombraError(.notFound, "node \(id) does not exist") }
    var typeID: UInt32?
    if let type {
      guard let t = try nameID(.type, type) else {
        guard try nodeExists(id) else { throw SombraError(.notFound, "node \(id) does not exist") }
        return
      }
      typeID = t
    }
    // A node with edges exists; only an empty answer needs the existence check.
    var any = false
    func scan(outgoing: Bool) throws {
      try AdjacencyList.groupKey(id, outgoing: outgoing).withUnsafeBytes { prefix in
        try adjacency.scanBorrowing(prefix: prefix, in: self) { _, value in
          var more = true
          try AdjacencyList.forEach(raw: value) { item in
            if let typeID, item.type != typeID {
              // Items ascend by type: past the wanted type, nothing more matches.
              more = item.type < typeID
              return more
            }
            try body(outgoing, item.type, item.neighbour, item.edge)
            any = true
            return true
          }
          return more
        }
      }
    }
    if direction != .incoming { try scan(outgoing: true) }
    if direction != .outgoing { try scan(outgoing: false) }
    if !any, try !nodeExists(id) { throw SombraError(.notFound, "node \(id) does not exist") }
  }
}
