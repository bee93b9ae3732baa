/// Changing the graph. Every operation keeps the records, adjacency, label
/// index, property indexes and counts in step, inside the write transaction.
extension WriteTransaction {
  /// Creates a node and returns its id.
  ///
  /// ```swift
  /// let ada = try tx.createNode(labels: ["Person"], properties: ["name": "Ada", "born": 1815])
  /// ```
  @discardableResult
  public func createNode(labels: [String] = [], properties: [String: PropertyValue] = [:]) throws -> NodeID {
    try ensureGraph()
    // One batch: the id, the record and the label entries take one check of
    // the transaction's state (naming a new label or key nests its own calls).
    return try pages.batch { batch in
      let id = batch.header.nextNodeID
      guard id < UInt64.max else { throw SombraError(.limitExceeded, "no more node ids") }
      batch.updateHeader { $0.nextNodeID = id + 1 }
      let stored = StoredNode(labels: try labelIDs(labels), properties: try storedProperties(properties, merging: []))
      try insertNode(id, stored, in: batch)
      return id
    }
  }

  /// Sets properties of a node (replacing values of keys it already has).
  public func setProperties(_ properties: [String: PropertyValue], onNode id: NodeID) throws {
    try updateNode(id) { $0.properties = try storedProperties(properties, merging: $0.properties) }
  }

  /// Removes properties of a node (keys it does not have are ignored).
  public func removeProperties(_ keys: [String], fromNode id: NodeID) throws {
    let ids = try Set(keys.compactMap { try nameID(.key, $0) })
    try updateNode(id) { $0.properties.removeAll { ids.contains($0.key) } }
  }

  /// Adds labels to a node.
  public func addLabels(_ labels: [String], toNode id: NodeID) throws {
    let added = try labelIDs(labels)
    try updateNode(id) { $0.labels = Array(Set($0.labels).union(added)).sorted() }
  }

  /// Removes labels from a node (labels it does not have are ignored).
  public func removeLabels(_ labels: [String], fromNode id: NodeID) throws {
    let ids = try Set(labels.compactMap { try nameID(.label, $0) })
    try updateNode(id) { $0.labels.removeAll { ids.contains($0) } }
  }

  /// Deletes a node. With `detach`, its edges go too; without, a node that has
  /// edges is refused (`invalidArgument`).
  public func deleteNode(_ id: NodeID, detach: Bool = false) throws {
    guard let stored = try storedNode(id) else { throw SombraError(.notFound, "node \(id) does not exist") }
    let entries = try adjacency(of: id, direction: .both, type: nil)
    if !entries.isEmpty && !detach {
      throw SombraError.invalidArgument("node \(id) has \(entries.count) edge(s); delete them first or delete with detach")
    }
    for edge in Set(entries.map(\.edge)) { try deleteEdge(edge) }
    guard let nodes = tree(.nodes), let labels = tree(.labels) else { return }
    _ = try nodes.remove(KeyEncoding.u64(id), in: pages)
    for label in stored.labels {
      _ = try labels.remove(GraphKeys.label(label, id), in: pages)
      addCount(.label(label), -1)
    }
    try replaceIndexEntries(of: id, old: stored, new: nil)
    addCount(.nodes, -1)
  }

  /// Creates an edge from `source` to `target`; both must exist (`notFound`).
  ///
  /// ```swift
  /// let edge = try tx.createEdge(from: ada, to: charles, type: "KNOWS", properties: ["since": 1833])
  /// ```
  @discardableResult
  public func createEdge(from source: NodeID, to target: NodeID, type: String, properties: [String: PropertyValue] = [:]) throws
    -> EdgeID
  {
    try ensureGraph()
    if let end = try missingEndpoint(source, target) {
      throw SombraError(.notFound, "node \(end) does not exist (edge \(source) -> \(target))")
    }
    let typeID = try internName(.type, type)
    let id = header.nextEdgeID
    guard id < UInt64.max else { throw SombraError(.limitExceeded, "no more edge ids") }
    try pages.updateHeader { $0.nextEdgeID = id + 1 }
    let stored = StoredEdge(
      source: source, target: target, type: typeID, properties: try storedProperties(properties, merging: []))
    guard let edges = tree(.edges) else { throw SombraError.corruption("graph trees missing") }
    try pages.batch { batch in
      try appendRecord(id, to: edges, hint: &edgeAppendHint, in: batch) { stored.encode(into: &$0) }
    }
    try queueAdjacency(source, outgoing: true, AdjacencyItem(type: typeID, neighbour: target, edge: id))
    try queueAdjacency(target, outgoing: false, AdjacencyItem(type: typeID, neighbour: source, edge: id))
    addCount(.type(typeID), 1)
    addCount(.edges, 1)
    return id
  }

  /// The first of an edge's two ends that is not a node, or nil.
  ///
  /// Ids are handed out in order from 1, so when the node count is one less
  /// than the header's next node id, every id below it is a live node (the
  /// tree holds that many distinct ids, all in 1 ..< next: the verifier checks
  /// both) and a range check answers without reading the nodes tree, whose
  /// random leaves were a fifth of a bulk edge load. Otherwise (nodes were
  /// deleted, salvage kept ids with gaps, or a failed createNode used up an
  /// id) each end is looked up. The count is taken afresh each time (the
  /// catalog's, read once per transaction, plus this transaction's changes).
  func missingEndpoint(_ source: NodeID, _ target: NodeID) throws -> NodeID? {
    let next = header.nextNodeID
    if storedNodeCount == nil { storedNodeCount = try storedCount(.nodes) }
    let (live, overflow) = Int64(clamping: storedNodeCount ?? 0).addingReportingOverflow(countDeltas[.nodes] ?? 0)
    if !overflow && live == Int64(clamping: next) - 1 {
      if source == 0 || source >= next { return source }
      return target == 0 || target >= next ? target : nil
    }
    guard let nodes = tree(.nodes) else { throw SombraError.corruption("graph trees missing") }
    return try pages.batch { batch in
      for end in [source, target] where try !KeyEncoding.withU64(end, { try nodes.contains(bytes: $0, in: batch) }) { return end }
      return nil
    }
  }

  /// Sets properties of an edge.
  public func setProperties(_ properties: [String: PropertyValue], onEdge id: EdgeID) throws {
    try updateEdge(id) { $0.properties = try storedProperties(properties, merging: $0.properties) }
  }

  /// Removes properties of an edge.
  public func removeProperties(_ keys: [String], fromEdge id: EdgeID) throws {
    let ids = try Set(keys.compactMap { try nameID(.key, $0) })
    try updateEdge(id) { $0.properties.removeAll { ids.contains($0.key) } }
  }

  /// Deletes an edge.
  public func deleteEdge(_ id: EdgeID) throws {
    try flushAdjacency()
    guard let stored = try storedEdge(id), let edges = tree(.edges), let adjacency = tree(.adjacency) else {
      throw SombraError(.notFound, "edge \(id) does not exist")
    }
    let out = AdjacencyItem(type: stored.type, neighbour: stored.target, edge: id)
    let into = AdjacencyItem(type: stored.type, neighbour: stored.source, edge: id)
    try pages.batch { batch in
      _ = try edges.remove(KeyEncoding.u64(id), in: batch)
      _ = try removeAdjacency(stored.source, outgoing: true, out, tree: adjacency, in: batch)
      _ = try removeAdjacency(stored.target, outgoing: false, into, tree: adjacency, in: batch)
    }
    addCount(.type(stored.type), -1)
    addCount(.edges, -1)
  }

  // MARK: Internals

  /// Label ids, ascending, without repeats.
  func labelIDs(_ labels: [String]) throws -> [UInt32] {
    if labels.count == 1 {  // the common case, without a set
      if let id = recentNames.id(.label, labels[0]) { return [id] }  // a name internName accepted before
      return [try internName(.label, labels[0])]
    }
    var ids = try labels.map { try internName(.label, $0) }
    sortAndDropRepeats(&ids)
    return ids
  }

  /// Sorts label ids ascending and keeps one of each.
  func sortAndDropRepeats(_ ids: inout [UInt32]) {
    ids.sort()
    var kept = 0
    for id in ids where kept == 0 || ids[kept - 1] != id {
      ids[kept] = id
      kept += 1
    }
    ids.removeLast(ids.count - kept)
  }

  /// Stored properties: `existing` with `changes` applied, sorted by key id.
  func storedProperties(_ changes: [String: PropertyValue], merging existing: [(key: UInt32, value: PropertyValue)]) throws
    -> [(key: UInt32, value: PropertyValue)]
  {
    if existing.isEmpty, let known = knownProperties(changes) { return known }
    var byKey = Dictionary(existing.map { ($0.key, $0.value) }, uniquingKeysWith: { _, new in new })
    // In name order, so new keys get the same ids whatever the dictionary's order.
    for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
      try value.validate(key: name)
      byKey[try internName(.key, name)] = value
    }
    return byKey.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
  }

  /// New properties whose keys all have ids already and whose values are
  /// clearly valid, sorted by key id; nil sends the caller the long way, which
  /// interns new keys in name order and reports the first problem in that order.
  private func knownProperties(_ changes: [String: PropertyValue]) -> [(key: UInt32, value: PropertyValue)]? {
    var result: [(key: UInt32, value: PropertyValue)] = []
    result.reserveCapacity(changes.count)
    // Names in the recent-names cache passed internName's checks.
    if !recentNames.appendKeyIDs(of: changes, to: &result, where: { $0.isClearlyValid }) {
      result.removeAll(keepingCapacity: true)
      for (name, value) in changes {
        guard !name.isEmpty, name.utf8.count <= CatalogKey.maximumNameBytes, value.isClearlyValid,
          let id = try? nameID(.key, name)
        else { return nil }
        result.append((id, value))
      }
    }
    result.sort { $0.key < $1.key }
    return result
  }

  /// Inserts the record `encode` writes under `id` into `tree`, whose ids
  /// grow, so it appends at the right edge, continuing from `hint`. The record
  /// goes into the transaction's reused writer (taken out and put back, so no
  /// access to that property is held while the tree changes).
  private func appendRecord(
    _ id: UInt64, to tree: BTree, hint: inout BTree.AppendHint?, in batch: PageWriter.Batch, _ encode: (inout ByteWriter) -> Void
  ) throws {
    var record = ByteWriter(capacity: 0)
    swap(&record, &recordWriter)
    defer { swap(&record, &recordWriter) }
    record.removeAll()
    encode(&record)
    _ = try KeyEncoding.withU64(id) { key in
      try record.bytes.withUnsafeBytes { try tree.insert(appending: key, $0, ifPresent: .fail, hint: &hint, in: batch) }
    }
  }

  func insertNode(_ id: NodeID, _ stored: StoredNode, in batch: PageWriter.Batch) throws {
    guard let nodes = tree(.nodes), let labels = tree(.labels) else { throw SombraError.corruption("graph trees missing") }
    try appendRecord(id, to: nodes, hint: &nodeAppendHint, in: batch) { stored.encode(into: &$0) }
    for label in stored.labels {
      try GraphKeys.withLabel(label, id) { try insertLabelEntry($0, label: label, into: labels, in: batch) }
      addCount(.label(label), 1)
    }
    try replaceIndexEntries(of: id, old: nil, new: stored)
    addCount(.nodes, 1)
  }

  /// Ids grow, so each label's entries form an ascending run in the label
  /// index, continued with a hint of its own (labels with small ids).
  private func insertLabelEntry(_ key: UnsafeRawBufferPointer, label: UInt32, into labels: BTree, in batch: PageWriter.Batch)
    throws
  {
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    guard label < WriteTransaction.hintedLabels else {
      try labels.insert(bytes: key, empty, in: batch)
      return
    }
    let i = Int(label)
    if labelAppendHints.count <= i {
      labelAppendHints.append(contentsOf: repeatElement(nil, count: i + 1 - labelAppendHints.count))
    }
    var hint: BTree.AppendHint? = nil
    swap(&hint, &labelAppendHints[i])
    defer { swap(&hint, &labelAppendHints[i]) }
    try labels.insert(appending: key, empty, hint: &hint, in: batch)
  }

  func updateNode(_ id: NodeID, _ change: (inout StoredNode) throws -> Void) throws {
    guard let old = try storedNode(id), let nodes = tree(.nodes), let labels = tree(.labels) else {
      throw SombraError(.notFound, "node \(id) does not exist")
    }
    var new = old
    try change(&new)
    guard new != old else { return }
    try nodes.insert(KeyEncoding.u64(id), new.encode(), in: pages)
    for label in Set(old.labels).subtracting(new.labels) {
      _ = try labels.remove(GraphKeys.label(label, id), in: pages)
      addCount(.label(label), -1)
    }
    for label in Set(new.labels).subtracting(old.labels) {
      try labels.insert(GraphKeys.label(label, id), [], in: pages)
      addCount(.label(label), 1)
    }
    try replaceIndexEntries(of: id, old: old, new: new)
  }

  func updateEdge(_ id: EdgeID, _ change: (inout StoredEdge) throws -> Void) throws {
    guard let old = try storedEdge(id), let edges = tree(.edges) else {
      throw SombraError(.notFound, "edge \(id) does not exist")
    }
    var new = old
    try change(&new)
    if new != old { try edges.insert(KeyEncoding.u64(id), new.encode(), in: pages) }
  }
}
