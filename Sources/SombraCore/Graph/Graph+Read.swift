/// Reading the graph: records, adjacency, labels, counts and the catalog.
/// Available on both read and write transactions.
extension Transaction {
  /// The node with `id`, or nil.
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
    return try nodes.contains(KeyEncoding.u64(id), in: self)
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
  public func neighbors(of id: NodeID, direction: Direction = .outgoing, type: String? = nil) throws -> [NodeID] {
    try adjacency(of: id, direction: direction, type: type).map(\.neighbour)
  }

  /// The number of edges of a node.
  public func degree(of id: NodeID, direction: Direction = .both, type: String? = nil) throws -> Int {
    try adjacency(of: id, direction: direction, type: type).count
  }

  /// Ids of the nodes with a label, ascending.
  public func nodeIDs(label: String) throws -> [NodeID] {
    guard let labels = tree(.labels), let labelID = try nameID(.label, label) else { return [] }
    var ids: [NodeID] = []
    try labels.scan(prefix: GraphKeys.label(labelID), in: self) { key, _ in
      guard let node = KeyEncoding.readU64(key, at: 4) else { throw SombraError.corruption("malformed label-index key") }
      ids.append(node)
      return true
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
    try nodes.scan(in: self) { key, value in
      guard let id = KeyEncoding.readU64(key, at: 0), key.count == 8 else { throw SombraError.corruption("malformed node key") }
      return try body(try materialize(id, try StoredNode.decode(value, id: id)))
    }
  }

  /// Calls `body` with every edge in id order until it returns false.
  public func forEachEdge(_ body: (Edge) throws -> Bool) throws {
    guard let edges = tree(.edges) else { return }
    try edges.scan(in: self) { key, value in
      guard let id = KeyEncoding.readU64(key, at: 0), key.count == 8 else { throw SombraError.corruption("malformed edge key") }
      return try body(try materialize(id, try StoredEdge.decode(value, id: id)))
    }
  }

  // MARK: Internals shared with writes and traversals

  func storedNode(_ id: NodeID) throws -> StoredNode? {
    guard let nodes = tree(.nodes), let bytes = try nodes.get(KeyEncoding.u64(id), in: self) else { return nil }
    return try StoredNode.decode(bytes, id: id)
  }

  func storedEdge(_ id: EdgeID) throws -> StoredEdge? {
    guard let edges = tree(.edges), let bytes = try edges.get(KeyEncoding.u64(id), in: self) else { return nil }
    return try StoredEdge.decode(bytes, id: id)
  }

  func materialize(_ id: NodeID, _ stored: StoredNode) throws -> Node {
    Node(
      id: id, labels: try stored.labels.map { try name(.label, $0) }.sorted(),
      properties: try properties(stored.properties))
  }

  func materialize(_ id: EdgeID, _ stored: StoredEdge) throws -> Edge {
    Edge(
      id: id, source: stored.source, target: stored.target, type: try name(.type, stored.type),
      properties: try properties(stored.properties))
  }

  func properties(_ stored: [(key: UInt32, value: PropertyValue)]) throws -> [String: PropertyValue] {
    var result: [String: PropertyValue] = [:]
    result.reserveCapacity(stored.count)
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
    guard let adjacency = tree(.adjacency) else { throw SombraError(.notFound, "node \(id) does not exist") }
    var typeID: UInt32?
    if let type {
      guard let t = try nameID(.type, type) else {
        guard try nodeExists(id) else { throw SombraError(.notFound, "node \(id) does not exist") }
        return []
      }
      typeID = t
    }
    // A node with edges exists; only an empty answer needs the existence check.
    var result: [AdjacencyEntry] = []
    for outgoing in [true, false] {
      if outgoing && direction == .incoming || !outgoing && direction == .outgoing { continue }
      try adjacency.scan(prefix: GraphKeys.adjacency(id, outgoing: outgoing, type: typeID), in: self) { key, _ in
        guard let parsed = GraphKeys.parseAdjacency(key) else { throw SombraError.corruption("malformed adjacency key of node \(id)") }
        result.append(AdjacencyEntry(outgoing: outgoing, type: parsed.type, neighbour: parsed.neighbour, edge: parsed.edge))
        return true
      }
    }
    if result.isEmpty, try !nodeExists(id) { throw SombraError(.notFound, "node \(id) does not exist") }
    return result
  }
}
