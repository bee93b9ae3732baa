/// Inserting records under ids chosen by the caller (salvage keeps the ids of
/// what it recovers). Like `createNode`/`createEdge`, each keeps the record,
/// adjacency, label index, property indexes and counts in step; the header's
/// next id moves past the given id so it is never handed out again.
extension WriteTransaction {
  /// Creates node `id` (1 ..< UInt64.max); `invalidArgument` when it exists.
  package func insertNode(id: NodeID, labels: [String], properties: [String: PropertyValue]) throws {
    try ensureGraph()
    try insertStoredNode(id, StoredNode(labels: try labelIDs(labels), properties: try storedProperties(properties, merging: [])))
  }

  /// Creates edge `id` from `source` to `target` (both must exist, `notFound`);
  /// `invalidArgument` when the id exists.
  package func insertEdge(id: EdgeID, from source: NodeID, to target: NodeID, type: String, properties: [String: PropertyValue])
    throws
  {
    try ensureGraph()
    for end in [source, target] where try !nodeExists(end) {
      throw SombraError(.notFound, "node \(end) does not exist (edge \(id): \(source) -> \(target))")
    }
    let stored = StoredEdge(
      source: source, target: target, type: try internName(.type, type), properties: try storedProperties(properties, merging: [])
    )
    try insertStoredEdge(id, stored)
  }

  /// A node record in stored form (catalog ids must exist) under `id`.
  func insertStoredNode(_ id: NodeID, _ stored: StoredNode) throws {
    guard id != 0, id < UInt64.max else { throw SombraError.invalidArgument("node id \(id) is out of range") }
    guard try !nodeExists(id) else { throw SombraError.invalidArgument("node \(id) already exists") }
    if id >= header.nextNodeID { try pages.updateHeader { $0.nextNodeID = id + 1 } }
    try pages.batch { try insertNode(id, stored, in: $0) }
  }

  /// An edge record in stored form under `id`, with its two adjacency entries.
  func insertStoredEdge(_ id: EdgeID, _ stored: StoredEdge) throws {
    guard id != 0, id < UInt64.max else { throw SombraError.invalidArgument("edge id \(id) is out of range") }
    guard let edges = tree(.edges) else { throw SombraError.corruption("graph trees missing") }
    guard try edges.insert(KeyEncoding.u64(id), stored.encode(), ifPresent: .keep, in: pages) else {
      throw SombraError.invalidArgument("edge \(id) already exists")
    }
    if id >= header.nextEdgeID { try pages.updateHeader { $0.nextEdgeID = id + 1 } }
    try addAdjacency(stored.source, outgoing: true, AdjacencyItem(type: stored.type, neighbour: stored.target, edge: id))
    try addAdjacency(stored.target, outgoing: false, AdjacencyItem(type: stored.type, neighbour: stored.source, edge: id))
    addCount(.type(stored.type), 1)
    addCount(.edges, 1)
  }
}
