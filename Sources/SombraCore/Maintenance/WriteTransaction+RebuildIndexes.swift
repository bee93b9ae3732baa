/// `rebuildIndexes`: the derived trees made again from the records.
///
/// Everything derived is rebuilt inside one write transaction, so a crash or a
/// failure leaves the database as it was:
/// 1. Page sets of the catalog, nodes and edges trees are collected (every page
///    read and checked). Then the adjacency, labels and properties trees: each is
///    freed page by page when its pages can all be read and none of them also
///    belongs to a record tree or another index tree; otherwise it is abandoned
///    (its pages stay allocated and unreachable: `abandonedTrees`, and a vacuum
///    reclaims them). Freeing a page a record tree still uses would destroy data.
/// 2. Three empty trees are created and their roots put in the header.
/// 3. Nodes are read in id order in batches: label entries, property-index
///    entries (under the index definitions in the catalog, which stay) and label
///    counts. Edges likewise: the out- and in-entry in adjacency and type counts.
///    An edge whose endpoint does not exist keeps its record and entries and is
///    listed in `danglingEdges` (salvage drops such edges; rebuild never deletes).
/// 4. Every count entry of the catalog (0x03, 0x04) is removed and the counted
///    values written: per label and per type when non-zero, the totals always.
/// A record that does not decode fails the rebuild (and rolls it back): the
/// records themselves are damaged, which is salvage's work.
package struct RebuildResult: Sendable, Equatable {
  package var nodes = 0
  package var edges = 0
  package var labelEntries = 0
  package var adjacencyEntries = 0
  package var propertyEntries = 0
  /// Pages of the old index trees returned to the free list.
  package var freedPages = 0
  /// Old index trees that could not be freed safely (left unreachable).
  package var abandonedTrees: [String] = []
  /// Edges whose source or target node does not exist.
  package var danglingEdges: [EdgeID] = []
}

extension Database {
  /// Rebuilds adjacency, label index, property indexes and counts from the node
  /// and edge records in one write transaction (see `RebuildResult`). The whole
  /// index set must fit the handle's `maxTransactionPages`.
  package func rebuildIndexes() throws -> RebuildResult {
    try write { try $0.rebuildIndexes() }
  }
}

extension WriteTransaction {
  package func rebuildIndexes() throws -> RebuildResult {
    var result = RebuildResult()
    guard let catalog = tree(.catalog), let nodes = tree(.nodes), let edges = tree(.edges) else { return result }
    countDeltas.removeAll()
    pendingAdjacency.removeAll()  // rebuilt from the edge records, which have them
    storedNodeCount = nil

    // 1. Free (or abandon) the old derived trees.
    var owned = Set<PageNumber>([0])
    for record in [catalog, nodes, edges] { owned.formUnion(try record.collectPages(in: self)) }
    var toFree: [PageNumber] = []
    for root in [GraphRoot.adjacency, .labels, .properties] {
      let page = header.roots[root.rawValue]
      guard page != 0 else { continue }
      let treePages = try? BTree(root: page).collectPages(in: self)
      let allInUse = try treePages.map { try $0.allSatisfy { try !isFreePage($0) } } ?? false
      if let treePages, allInUse, owned.isDisjoint(with: treePages) {
        owned.formUnion(treePages)
        toFree += treePages
      } else {
        result.abandonedTrees.append(root.treeName)
      }
    }
    for page in toFree { try pages.free(page) }
    result.freedPages = toFree.count

    // 2. New empty trees.
    let adjacency = try BTree.create(in: pages)
    let labels = try BTree.create(in: pages)
    let properties = try BTree.create(in: pages)
    try pages.updateHeader { h in
      h.roots[GraphRoot.adjacency.rawValue] = adjacency.root
      h.roots[GraphRoot.labels.rawValue] = labels.root
      h.roots[GraphRoot.properties.rawValue] = properties.root
    }

    // 3. Entries and counts from the records.
    var labelCounts: [UInt32: UInt64] = [:]
    var typeCounts: [UInt32: UInt64] = [:]
    try nodes.forEachBatch(in: self, limit: 1024) { batch in
      for (key, value) in batch {
        guard key.count == 8, let id = KeyEncoding.readU64(key, at: 0) else {
          throw SombraError.corruption("a node key is \(key.count) bytes, not 8; salvage the database")
        }
        let node = try StoredNode.decode(value, id: id)
        for label in node.labels {
          try labels.insert(GraphKeys.label(label, id), [], in: pages)
          labelCounts[label, default: 0] += 1
          result.labelEntries += 1
        }
        for indexKey in try indexKeys(of: id, node) {
          try properties.insert(indexKey, [], in: pages)
          result.propertyEntries += 1
        }
        result.nodes += 1
      }
    }
    try edges.forEachBatch(in: self, limit: 1024) { batch in
      for (key, value) in batch {
        guard key.count == 8, let id = KeyEncoding.readU64(key, at: 0) else {
          throw SombraError.corruption("an edge key is \(key.count) bytes, not 8; salvage the database")
        }
        let edge = try StoredEdge.decode(value, id: id)
        try addAdjacency(edge.source, outgoing: true, AdjacencyItem(type: edge.type, neighbour: edge.target, edge: id))
        try addAdjacency(edge.target, outgoing: false, AdjacencyItem(type: edge.type, neighbour: edge.source, edge: id))
        result.adjacencyEntries += 2
        typeCounts[edge.type, default: 0] += 1
        if try !nodes.contains(KeyEncoding.u64(edge.source), in: self) || !nodes.contains(KeyEncoding.u64(edge.target), in: self)
        {
          result.danglingEdges.append(id)
        }
        result.edges += 1
      }
    }

    // 4. Counts.
    _ = try catalog.removeAll(prefix: [3], in: pages)
    _ = try catalog.removeAll(prefix: [4], in: pages)
    for (label, n) in labelCounts where n > 0 { try catalog.insert(CatalogKey.Count.label(label).key, le64(n), in: pages) }
    for (type, n) in typeCounts where n > 0 { try catalog.insert(CatalogKey.Count.type(type).key, le64(n), in: pages) }
    try catalog.insert(CatalogKey.Count.nodes.key, le64(UInt64(result.nodes)), in: pages)
    try catalog.insert(CatalogKey.Count.edges.key, le64(UInt64(result.edges)), in: pages)
    return result
  }

  private func isFreePage(_ number: PageNumber) throws -> Bool {
    try withPage(number) { $0[PageLayout.typeOffset] == PageType.free.rawValue }
  }
}
