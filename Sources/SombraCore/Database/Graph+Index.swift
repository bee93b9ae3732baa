/// Property indexes on (label, key) or (any label, key), and lookups that use
/// them when they exist and scan otherwise: both give the same answer.
extension Transaction {
  /// The property indexes, by label then key.
  public func indexes() throws -> [PropertyIndex] {
    try indexDefinitions().map { def in
      PropertyIndex(label: def.label == 0 ? nil : try name(.label, def.label), key: try name(.key, def.key))
    }.sorted { ($0.label ?? "", $0.key) < ($1.label ?? "", $1.key) }
  }

  /// Ids of nodes (of `label`, or of any label when nil) whose property `key`
  /// satisfies `predicate`, ascending. Uses a matching index when there is one.
  ///
  /// ```swift
  /// let victorians = try tx.nodeIDs(label: "Person", key: "born", .greaterOrEqual(1837))
  /// ```
  public func nodeIDs(label: String?, key: String, _ predicate: PropertyPredicate) throws -> [NodeID] {
    guard let keyID = try nameID(.key, key) else { return [] }
    var labelID: UInt32 = 0
    if let label {
      guard let id = try nameID(.label, label) else { return [] }
      labelID = id
    }
    if let index = try indexDefinitions().first(where: { $0.label == labelID && $0.key == keyID }), predicate.isIndexable {
      return try lookup(index, keyID: keyID, predicate)
    }
    var result: [NodeID] = []
    let check: (NodeID, StoredNode) -> Void = { id, node in
      if let value = node.properties.first(where: { $0.key == keyID })?.value, predicate.matches(value) { result.append(id) }
    }
    if let label {
      for id in try nodeIDs(label: label) {
        guard let node = try storedNode(id) else {
          throw SombraError.corruption("label index names node \(id), which does not exist")
        }
        check(id, node)
      }
    } else if let nodes = tree(.nodes) {
      try nodes.scanBorrowing(in: self) { k, v in
        guard k.count == 8, let id = KeyEncoding.readU64(raw: k, at: 0) else {
          throw SombraError.corruption("malformed node key")
        }
        check(id, try StoredNode.decode(raw: v, id: id))
        return true
      }
    }
    return result
  }

  /// Whether an index answers this lookup (a scan handles the rest).
  private func lookup(_ index: IndexDefinition, keyID: UInt32, _ predicate: PropertyPredicate) throws -> [NodeID] {
    guard let tree = tree(.properties) else { return [] }
    let value = predicate.operand
    guard let exact = GraphKeys.property(index.id, value, nil) else { return [] }
    let typeStart = Array(exact.prefix(5))
    var typeEnd = typeStart
    typeEnd[4] &+= 1
    let past = exact + [UInt8](repeating: 0xFF, count: 9)
    let (lower, upper): ([UInt8], [UInt8])
    switch predicate {
    case .equals: (lower, upper) = (exact, past)
    case .less: (lower, upper) = (typeStart, exact)
    case .lessOrEqual: (lower, upper) = (typeStart, past)
    case .greater: (lower, upper) = (past, typeEnd)
    case .greaterOrEqual: (lower, upper) = (exact, typeEnd)
    case .notEquals: return []
    }
    // Index keys of long strings and bytes are cut, and doubles fold -0 and NaN:
    // confirm those against the record.
    let confirm: Bool
    switch value {
    case .string, .bytes, .double: confirm = true
    default: confirm = false
    }
    var ids: [NodeID] = []
    try lower.withUnsafeBytes { lower in
      try upper.withUnsafeBytes { upper in
        try tree.scanBorrowing(from: lower, to: upper, in: self) { key, _ in
          guard let id = KeyEncoding.readU64(raw: key, at: key.count - 8) else {
            throw SombraError.corruption("malformed property-index key")
          }
          ids.append(id)
          return true
        }
      }
    }
    if confirm {
      // Records are read after the scan: the scan lends its leaf only while it runs.
      ids = try ids.filter { id in
        guard let node = try storedNode(id), let v = node.properties.first(where: { $0.key == keyID })?.value else {
          throw SombraError.corruption("property index names node \(id) without the indexed property")
        }
        return predicate.matches(v)
      }
    }
    return ids.sorted()
  }

  /// Property-index keys a node contributes under the current definitions.
  func indexKeys(of id: NodeID, _ node: StoredNode) throws -> Set<[UInt8]> {
    var keys: Set<[UInt8]> = []
    for def in try indexDefinitions() where def.label == 0 || node.labels.contains(def.label) {
      if let value = node.properties.first(where: { $0.key == def.key })?.value, let key = GraphKeys.property(def.id, value, id) {
        keys.insert(key)
      }
    }
    return keys
  }
}

extension PropertyPredicate {
  var isIndexable: Bool {
    if case .notEquals = self { return false }
    if case .list = operand { return false }
    return true
  }
}

extension WriteTransaction {
  /// Creates a property index and fills it from the existing nodes. Creating one
  /// that exists is `invalidArgument`.
  ///
  /// ```swift
  /// try db.write { tx in try tx.createIndex(label: "Person", key: "born") }
  /// ```
  public func createIndex(label: String?, key: String) throws {
    try ensureGraph()
    let labelID = try label.map { try internName(.label, $0) } ?? 0
    let keyID = try internName(.key, key)
    guard let catalog = tree(.catalog), let tree = tree(.properties) else { throw SombraError.corruption("graph trees missing") }
    let byTarget = CatalogKey.indexByTarget(label: labelID, key: keyID)
    guard try catalog.get(byTarget, in: pages) == nil else {
      throw SombraError.invalidArgument("an index on \(PropertyIndex(label: label, key: key)) already exists")
    }
    let lastKey = CatalogKey.lastID(4)
    let last =
      try catalog.get(lastKey, in: pages).map { v in v.count == 4 ? v.withUnsafeBytes { $0.le(0, as: UInt32.self) } : 0 } ?? 0
    let id = last + 1
    try catalog.insert(lastKey, le(id), in: pages)
    try catalog.insert(CatalogKey.index(id), le(labelID) + le(keyID), in: pages)
    try catalog.insert(byTarget, le(id), in: pages)
    let def = IndexDefinition(id: id, label: labelID, key: keyID)
    indexCache = try indexDefinitions() + [def]
    // The keys are collected and inserted in ascending order, so the new index
    // fills its pages (each insert lands at the end of a leaf) instead of
    // leaving them two-thirds full the way inserts in node order would.
    var keys: [[UInt8]] = []
    let collect: (NodeID, StoredNode) -> Void = { nodeID, node in
      if let value = node.properties.first(where: { $0.key == keyID })?.value, let k = GraphKeys.property(id, value, nodeID) {
        keys.append(k)
      }
    }
    if labelID != 0, let label {
      for nodeID in try nodeIDs(label: label) {
        guard let node = try storedNode(nodeID) else { throw SombraError.corruption("label index names missing node \(nodeID)") }
        collect(nodeID, node)
      }
    } else if let nodes = self.tree(.nodes) {
      try nodes.scanBorrowing(in: self) { k, v in
        guard k.count == 8, let nodeID = KeyEncoding.readU64(raw: k, at: 0) else {
          throw SombraError.corruption("malformed node key")
        }
        collect(nodeID, try StoredNode.decode(raw: v, id: nodeID))
        return true
      }
    }
    keys.sort { BTree.compare($0, $1) < 0 }
    for k in keys { try tree.insert(k, [], in: pages) }
  }

  /// Drops a property index (`notFound` when there is none).
  public func dropIndex(label: String?, key: String) throws {
    guard let keyID = try nameID(.key, key), let labelID = try label.map({ try nameID(.label, $0) }) ?? 0,
      let catalog = tree(.catalog), let tree = tree(.properties),
      let def = try indexDefinitions().first(where: { $0.label == labelID && $0.key == keyID })
    else {
      throw SombraError(.notFound, "there is no index on \(PropertyIndex(label: label, key: key))")
    }
    var prefix: [UInt8] = []
    KeyEncoding.append(def.id, to: &prefix)
    _ = try tree.removeAll(prefix: prefix, in: pages)
    _ = try catalog.remove(CatalogKey.index(def.id), in: pages)
    _ = try catalog.remove(CatalogKey.indexByTarget(label: labelID, key: keyID), in: pages)
    indexCache = try indexDefinitions().filter { $0.id != def.id }
  }

  /// Brings a node's property-index entries from `old` to `new` (nil: absent).
  func replaceIndexEntries(of id: NodeID, old: StoredNode?, new: StoredNode?) throws {
    if indexCache?.isEmpty == true { return }  // no index: the usual case, decided without copying the list
    guard let tree = tree(.properties), !(try indexDefinitions().isEmpty) else { return }
    let before = try old.map { try indexKeys(of: id, $0) } ?? []
    let after = try new.map { try indexKeys(of: id, $0) } ?? []
    for key in before.subtracting(after) { _ = try tree.remove(key, in: pages) }
    for key in after.subtracting(before) { try tree.insert(key, [], in: pages) }
  }
}
