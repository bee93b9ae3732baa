/// Level `graph`: records against the catalog, edges against nodes, and every
/// derived tree against the records it comes from (layouts in `GraphSchema.swift`).
///
/// Method: the nodes and edges trees are streamed once in id order, keeping
/// compact columns (ids, endpoints, types, label lists, the property-index keys
/// each node should have). The adjacency, label and property trees are then
/// streamed in key order; each entry is looked up by id in those columns, must
/// equal what its record implies, and sets that expectation's seen bit. An
/// entry with no expectation is `*_EXTRA`; an expectation left unseen is
/// `*_MISSING`. Nothing is sorted and no set of keys is built.
///
/// The adjacency check first compares multiset fingerprints of the items the
/// edges call for and the items stored (`AdjacencyFingerprint`), in two
/// sequential passes; only when they differ, or a list is malformed, does it
/// match items to edges one by one (random access into the edge columns) to
/// name each problem.
///
/// Invariants checked:
/// 1. Node and edge keys are 8-byte ids in 1..<next id; records decode; labels
///    ascend; every label, edge type and property key id has a catalog name
///    (`RECORD_INVALID`).
/// 2. Both endpoints of every edge exist (`EDGE_DANGLING`).
/// 3. Adjacency holds, per edge, (source, out, type, target, edge) and (target,
///    in, type, source, edge), and nothing else (`ADJACENCY_*`).
/// 4. The label index holds (label, node) for each label of each node, and
///    nothing else (`LABEL_INDEX_*`).
/// 5. Each property index holds, for each node it covers (its label, or any)
///    that has the key with an indexable (non-list) value, exactly the key
///    `GraphKeys.property` gives, and nothing else (`PROPERTY_INDEX_*`).
/// 6. Stored counts per label, per edge type and the two totals equal the
///    records counted (`COUNT_MISMATCH`).
/// A record that does not decode is reported once; entries that point at it
/// are then neither expected nor reported.
extension Verifier {
  struct NodeColumns {
    var ids: [UInt64] = []
    var broken: [Bool] = []
    /// Labels of node i: labels[labelStart[i]..<labelStart[i + 1]].
    var labelStart: [Int] = [0]
    var labels: [UInt32] = []
    var labelCounts: [UInt32: Int] = [:]
    var indexes: [UInt32: ExpectedIndex] = [:]
    var complete = false
    var lookup = IDLookup([])
  }

  /// The keys one property index should hold, by node (ascending).
  struct ExpectedIndex {
    let definition: IndexDefinition
    var nodes: [UInt64] = []
    /// Key of entry i: blob[ends[i - 1]..<ends[i]] (ends[-1] = 0).
    var ends: [Int] = []
    var blob: [UInt8] = []
    var seen = BitSet(count: 0)

    func key(_ i: Int) -> ArraySlice<UInt8> { blob[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }

    func position(of node: UInt64) -> Int? {
      var low = 0
      var high = nodes.count
      while low < high {
        let mid = (low + high) / 2
        if nodes[mid] < node { low = mid + 1 } else { high = mid }
      }
      return low < nodes.count && nodes[low] == node ? low : nil
    }
  }

  /// One edge's facts, packed so that a lookup by id touches one cache line
  /// (adjacency entries arrive in node order, so edges are hit at random).
  struct EdgeFact {
    var source: UInt64
    var target: UInt64
    var type: UInt32
    var broken: Bool
  }

  struct EdgeColumns {
    var ids: [UInt64] = []
    var facts: [EdgeFact] = []
    var typeCounts: [UInt32: Int] = [:]
    var complete = false
    var lookup = IDLookup([])
    /// The adjacency items the edges call for, as a multiset fingerprint
    /// (`AdjacencyFingerprint`), and whether a record failed to decode.
    var expectedAdjacency = AdjacencyFingerprint()
    var anyBroken = false
  }

  func checkGraph() {
    guard header.roots[GraphRoot.nodes.rawValue] != 0 else { return }
    if !catalogUsable { skip("catalog ids in records: the catalog could not be read") }
    let nodes = scanNodes()
    let edges = scanEdges(nodes)
    if options.checkAdjacency {
      checkAdjacency(edges)
    } else {
      skip("adjacency: turned off (checkAdjacency = false)")
    }
    if options.checkIndexes {
      checkLabelIndex(nodes)
      checkPropertyIndexes(nodes)
    } else {
      skip("label and property indexes: turned off (checkIndexes = false)")
    }
    checkCounts(nodes, edges)
  }

  /// Whether a graph check can read `trees`; records a skip when not.
  private func usable(_ what: String, _ trees: [GraphRoot], also ready: Bool = true) -> Bool {
    if let broken = trees.first(where: { brokenTrees.contains($0) }) {
      skip("\(what): the \(broken.name) tree is damaged")
      return false
    }
    if !ready {
      skip("\(what): the records it is checked against could not all be read")
      return false
    }
    return true
  }

  /// Reports a scan that stopped on an error the structure phase did not see.
  private func scanFailed(_ root: GraphRoot, _ error: Error) {
    let e = error as? SombraError
    problem(.btreeNode, page: e?.page, record: "\(root.name) tree", e?.message ?? "\(error)", hint: root.repair)
    brokenTrees.insert(root)
  }

  private func invalidRecord(_ record: String, _ message: @autoclosure () -> String) {
    problem(.recordInvalid, record: record, message(), hint: VerifyHint.salvage)
  }

  // MARK: Records

  private func scanNodes() -> NodeColumns {
    var columns = NodeColumns()
    guard usable("node records", [.nodes]) else { return columns }
    let checkIDs = catalogUsable
    let definitions = checkIDs ? catalog.indexes : []
    for def in definitions { columns.indexes[def.id] = ExpectedIndex(definition: def) }
    let nextID = header.nextNodeID
    var names = CatalogMemo(catalog)
    var labelCounts = IDCounts()
    beginPhase("nodes", total: treeEntries[.nodes] ?? 0)
    do {
      try BTree(root: header.roots[GraphRoot.nodes.rawValue]).scanBorrowing(in: tx) { key, value in
        guard tick(columns.ids.count) else { return false }
        guard key.count == 8, let id = KeyEncoding.readU64(raw: key, at: 0) else {
          invalidRecord("nodes tree", "a \(key.count)-byte node key (node keys are 8 bytes)")
          return true
        }
        columns.ids.append(id)
        if id == 0 || id >= nextID { invalidRecord("node \(id)", "the id is outside 1..<\(nextID), the header's next node id") }
        do {
          try StoredNode.check(raw: value, id: id)
        } catch {
          invalidRecord("node \(id)", "the record does not decode: \((error as? SombraError)?.message ?? "\(error)")")
          columns.broken.append(true)
          columns.labelStart.append(columns.labels.count)
          return true
        }
        columns.broken.append(false)
        // Read in place (no record built): labels, then properties, in order.
        let firstLabel = columns.labels.count
        var previous: UInt32 = 0
        try StoredNode.walk(raw: value) { label in
          if label <= previous { invalidRecord("node \(id)", "label ids are not ascending (\(label) after \(previous))") }
          previous = label
          if checkIDs && !names.has(.label, label) { invalidRecord("node \(id)", "label id \(label) has no name in the catalog") }
          labelCounts.add(label)
          columns.labels.append(label)
        } property: { keyID, encoded in
          if checkIDs && !names.has(.key, keyID) {
            invalidRecord("node \(id)", "property key id \(keyID) has no name in the catalog")
          }
          for def in definitions where def.key == keyID && (def.label == 0 || columns.labels[firstLabel...].contains(def.label)) {
            var r = ByteReader(encoded)
            columns.indexes[def.id]?.append(node: id, value: try PropertyValue.decode(from: &r))
          }
        }
        columns.labelStart.append(columns.labels.count)
        return true
      }
      columns.complete = true
    } catch {
      scanFailed(.nodes, error)
    }
    columns.labelCounts = labelCounts.dictionary
    report.counts.nodes = columns.ids.count
    columns.lookup = IDLookup(columns.ids)
    endPhase()
    return columns
  }

  private func scanEdges(_ nodes: NodeColumns) -> EdgeColumns {
    var columns = EdgeColumns()
    guard usable("edge records", [.edges]) else { return columns }
    let checkIDs = catalogUsable
    let checkEnds = usable("edge endpoints", [.nodes], also: nodes.complete)
    let nextID = header.nextEdgeID
    var names = CatalogMemo(catalog)
    var typeCounts = IDCounts()
    beginPhase("edges", total: treeEntries[.edges] ?? 0)
    do {
      try BTree(root: header.roots[GraphRoot.edges.rawValue]).scanBorrowing(in: tx) { key, value in
        guard tick(columns.ids.count) else { return false }
        guard key.count == 8, let id = KeyEncoding.readU64(raw: key, at: 0) else {
          invalidRecord("edges tree", "a \(key.count)-byte edge key (edge keys are 8 bytes)")
          return true
        }
        if id == 0 || id >= nextID { invalidRecord("edge \(id)", "the id is outside 1..<\(nextID), the header's next edge id") }
        let edge: (source: NodeID, target: NodeID, type: UInt32)
        var unnamedKeys: [UInt32] = []  // allocated only for a problem
        do {
          edge = try StoredEdge.check(raw: value, id: id) { keyID in
            if checkIDs && !names.has(.key, keyID) { unnamedKeys.append(keyID) }
          }
        } catch {
          invalidRecord("edge \(id)", "the record does not decode: \((error as? SombraError)?.message ?? "\(error)")")
          columns.ids.append(id)
          columns.facts.append(EdgeFact(source: 0, target: 0, type: 0, broken: true))
          columns.anyBroken = true
          return true
        }
        columns.ids.append(id)
        columns.facts.append(EdgeFact(source: edge.source, target: edge.target, type: edge.type, broken: false))
        columns.expectedAdjacency.add(node: edge.source, outgoing: true, type: edge.type, neighbour: edge.target, edge: id)
        columns.expectedAdjacency.add(node: edge.target, outgoing: false, type: edge.type, neighbour: edge.source, edge: id)
        typeCounts.add(edge.type)
        if checkIDs && !names.has(.type, edge.type) {
          invalidRecord("edge \(id)", "edge type id \(edge.type) has no name in the catalog")
        }
        for keyID in unnamedKeys { invalidRecord("edge \(id)", "property key id \(keyID) has no name in the catalog") }
        if checkEnds {
          if nodes.lookup.position(of: edge.source) == nil {
            problem(
              .edgeDangling, record: "edge \(id)", "its source node \(edge.source) does not exist", hint: VerifyHint.salvage)
          }
          if nodes.lookup.position(of: edge.target) == nil {
            problem(
              .edgeDangling, record: "edge \(id)", "its target node \(edge.target) does not exist", hint: VerifyHint.salvage)
          }
        }
        return true
      }
      columns.complete = true
    } catch {
      scanFailed(.edges, error)
    }
    columns.typeCounts = typeCounts.dictionary
    report.counts.edges = columns.ids.count
    columns.lookup = IDLookup(columns.ids)
    endPhase()
    return columns
  }

  // MARK: Derived trees

  /// One parsed adjacency entry and the position of its edge (-1: none).
  private struct AdjacencyProbe {
    var node: UInt64
    var neighbour: UInt64
    var edge: UInt64
    var position: Int
    var type: UInt32
    var outgoing: Bool
  }

  private func checkAdjacency(_ edges: EdgeColumns) {
    guard usable("adjacency", [.adjacency, .edges], also: edges.complete) else { return }
    // A sound tree (the usual case) is confirmed by one sequential pass: its
    // items must form exactly the multiset the edges call for. Anything else
    // (a mismatch, a list that does not parse, a broken record) takes the
    // exact pass below, which names every problem.
    if !edges.anyBroken, let items = adjacencyIfSound(), items.fingerprint == edges.expectedAdjacency {
      report.counts.adjacencyEntries = items.count
      endPhase()
      return
    }
    if stopped { return }
    let hint = VerifyHint.rebuildIndexes
    var outSeen = BitSet(count: edges.ids.count)
    var inSeen = BitSet(count: edges.ids.count)
    var entries = 0
    // Items arrive in node order, so their edges are hit at random (a cache
    // miss each). They are checked in batches whose edge facts are first
    // loaded in one tight loop of independent loads, so the misses overlap
    // instead of following one another. Problems keep the entries' order.
    let batchSize = 512
    var batch: [AdjacencyProbe] = []
    batch.reserveCapacity(batchSize)
    let missing = EdgeFact(source: 0, target: 0, type: 0, broken: true)
    var facts = [EdgeFact](repeating: missing, count: batchSize)
    func flush() {
      let n = batch.count
      edges.facts.withUnsafeBufferPointer { all in
        facts.withUnsafeMutableBufferPointer { gathered in
          // Positions come from `edges.lookup`: each is below all.count.
          for k in 0..<n {
            let position = batch[k].position
            gathered[k] = position >= 0 && position < all.count ? all[position] : missing
          }
        }
      }
      for k in 0..<n {
        let entry = batch[k]
        func record() -> String { "node \(entry.node) \(entry.outgoing ? "out" : "in") edge \(entry.edge)" }
        guard entry.position >= 0 else {
          problem(.adjacencyExtra, record: record(), "the entry names edge \(entry.edge), which does not exist", hint: hint)
          continue
        }
        let edge = facts[k]
        if edge.broken { continue }
        let (node, neighbour) = entry.outgoing ? (edge.source, edge.target) : (edge.target, edge.source)
        guard entry.node == node, entry.neighbour == neighbour, entry.type == edge.type else {
          problem(
            .adjacencyExtra, record: record(),
            "the entry says \(entry.node) -> \(entry.neighbour) of type id \(entry.type), but edge \(entry.edge) is "
              + "\(edge.source) -> \(edge.target) of type id \(edge.type)", hint: hint)
          continue
        }
        // A second match means the list repeats the edge (items out of order across chunks).
        guard !(entry.outgoing ? outSeen.insert(entry.position) : inSeen.insert(entry.position)) else {
          problem(.adjacencyExtra, record: record(), "the adjacency list holds edge \(entry.edge) twice", hint: hint)
          continue
        }
      }
      batch.removeAll(keepingCapacity: true)
    }
    beginPhase("adjacency", total: treeEntries[.adjacency] ?? 0)
    do {
      try walkAdjacency { flaw in
        flush()  // problems stay in entry order
        problem(.adjacencyExtra, record: flaw.record, flaw.message, hint: hint)
        return true
      } item: { node, outgoing, item in
        entries += 1
        batch.append(
          AdjacencyProbe(
            node: node, neighbour: item.neighbour, edge: item.edge,
            position: edges.lookup.position(of: item.edge) ?? -1, type: item.type, outgoing: outgoing))
        if batch.count >= batchSize { flush() }
      }
      flush()
    } catch {
      flush()
      scanFailed(.adjacency, error)
      endPhase()
      return
    }
    report.counts.adjacencyEntries = entries
    for i in edges.ids.indices where !edges.facts[i].broken {
      if !outSeen.contains(i) {
        problem(
          .adjacencyMissing, record: "edge \(edges.ids[i])",
          "no out-entry at its source node \(edges.facts[i].source) in the adjacency tree", hint: hint)
      }
      if !inSeen.contains(i) {
        problem(
          .adjacencyMissing, record: "edge \(edges.ids[i])",
          "no in-entry at its target node \(edges.facts[i].target) in the adjacency tree", hint: hint)
      }
    }
    endPhase()
  }

  /// One pass over the adjacency tree that checks its layout as the exact
  /// pass does and fingerprints its items; nil at the first flaw (or when
  /// told to stop), without reporting: the exact pass then reports it.
  private func adjacencyIfSound() -> (fingerprint: AdjacencyFingerprint, count: Int)? {
    var fingerprint = AdjacencyFingerprint()
    var sound = true
    beginPhase("adjacency", total: treeEntries[.adjacency] ?? 0)
    do {
      try walkAdjacency { _ in
        sound = false
        return false
      } item: { node, outgoing, item in
        fingerprint.add(node: node, outgoing: outgoing, type: item.type, neighbour: item.neighbour, edge: item.edge)
      }
    } catch {
      return nil
    }
    return sound && !stopped ? (fingerprint, fingerprint.count) : nil
  }

  /// A flaw in the adjacency tree's layout, with the record it concerns.
  private struct AdjacencyFlaw {
    var record: String
    var message: String
  }

  /// Walks the adjacency tree in key order, checking its layout (keys, lists
  /// that decode, each chunk's items at or above its lower bound and above
  /// the previous chunk's): calls `item` with each item and `flaw` with each
  /// flaw (false stops the walk). Progress ticks per chunk; a stop request
  /// ends the walk. Throws what the scan throws (a tree it cannot read).
  private func walkAdjacency(
    flaw: (AdjacencyFlaw) -> Bool, item: (_ node: UInt64, _ outgoing: Bool, AdjacencyItem) -> Void
  ) throws {
    var chunks = 0
    // The group (node, direction) of the previous chunk and its last item.
    var previousGroup: (node: UInt64, outgoing: Bool)?
    var previousLast = AdjacencyItem(type: 0, neighbour: 0, edge: 0)
    try BTree(root: header.roots[GraphRoot.adjacency.rawValue]).scanBorrowing(in: tx) { key, value in
      chunks += 1
      guard tick(chunks) else { return false }
      guard let chunk = AdjacencyList.parseKey(raw: key) else {
        previousGroup = nil
        return flaw(AdjacencyFlaw(record: "adjacency", message: "a malformed \(key.count)-byte key (keys are 9 or 29 bytes)"))
      }
      // Built only for a flaw: a string per chunk would be a tenth of the walk.
      func record() -> String { "node \(chunk.node) \(chunk.outgoing ? "out" : "in")" }
      let sameGroup = previousGroup.map { $0.node == chunk.node && $0.outgoing == chunk.outgoing } ?? false
      if let bound = chunk.lowerBound, sameGroup, !(previousLast < bound) {
        let message =
          "a chunk of the adjacency list starts at edge \(bound.edge) but the chunk before it holds edge \(previousLast.edge) "
          + "at or past that point (items out of order)"
        guard flaw(AdjacencyFlaw(record: record(), message: message)) else { return false }
      }
      var first = true
      var going = true
      do {
        try AdjacencyList.forEach(raw: value) { next in
          if first, let bound = chunk.lowerBound, next < bound {
            let message = "edge \(next.edge) lies below the lower bound of its chunk (edge \(bound.edge)); lookups cannot find it"
            going = flaw(AdjacencyFlaw(record: record(), message: message))
            guard going else { return false }
          }
          first = false
          previousLast = next
          item(chunk.node, chunk.outgoing, next)
          return true
        }
      } catch {
        let message = "the adjacency list does not decode: \((error as? SombraError)?.message ?? "\(error)")"
        going = flaw(AdjacencyFlaw(record: record(), message: message))
      }
      previousGroup = (chunk.node, chunk.outgoing)
      return going
    }
  }

  private func checkLabelIndex(_ nodes: NodeColumns) {
    guard usable("label index", [.labels, .nodes], also: nodes.complete) else { return }
    let hint = VerifyHint.rebuildIndexes
    var seen = BitSet(count: nodes.labels.count)
    var entries = 0
    beginPhase("labels", total: treeEntries[.labels] ?? 0)
    do {
      try BTree(root: header.roots[GraphRoot.labels.rawValue]).scanBorrowing(in: tx) { key, _ in
        entries += 1
        guard tick(entries) else { return false }
        guard key.count == 12, let label = KeyEncoding.readU32(raw: key, at: 0), let node = KeyEncoding.readU64(raw: key, at: 4)
        else {
          problem(
            .labelIndexExtra, record: "label index", "a malformed \(key.count)-byte entry (entries are 12 bytes)", hint: hint)
          return true
        }
        func name() -> String { catalog.describe(.label, label) }
        guard let i = nodes.lookup.position(of: node) else {
          problem(
            .labelIndexExtra, record: "node \(node)", "the \(name()) index names node \(node), which does not exist", hint: hint)
          return true
        }
        if nodes.broken[i] { return true }
        let range = nodes.labelStart[i]..<nodes.labelStart[i + 1]
        guard let at = nodes.labels[range].firstIndex(of: label) else {
          problem(
            .labelIndexExtra, record: "node \(node)", "the \(name()) index names node \(node), which does not have that label",
            hint: hint)
          return true
        }
        _ = seen.insert(at)
        return true
      }
    } catch {
      scanFailed(.labels, error)
      endPhase()
      return
    }
    report.counts.labelIndexEntries = entries
    for i in nodes.ids.indices where !nodes.broken[i] {
      for at in nodes.labelStart[i]..<nodes.labelStart[i + 1] where !seen.contains(at) {
        problem(
          .labelIndexMissing, record: "node \(nodes.ids[i])",
          "the node has \(catalog.describe(.label, nodes.labels[at])) but the label index has no entry for it", hint: hint)
      }
    }
    endPhase()
  }

  private func checkPropertyIndexes(_ nodes: NodeColumns) {
    guard usable("property indexes", [.properties, .nodes, .catalog], also: nodes.complete && catalogUsable) else { return }
    let hint = VerifyHint.rebuildIndexes
    var indexes = nodes.indexes
    for id in Array(indexes.keys) {
      let count = indexes[id]?.nodes.count ?? 0
      indexes[id]?.seen = BitSet(count: count)
    }
    var entries = 0
    beginPhase("properties", total: treeEntries[.properties] ?? 0)
    do {
      try BTree(root: header.roots[GraphRoot.properties.rawValue]).scanBorrowing(in: tx) { key, _ in
        entries += 1
        guard tick(entries) else { return false }
        guard key.count >= 13, let id = KeyEncoding.readU32(raw: key, at: 0),
          let node = KeyEncoding.readU64(raw: key, at: key.count - 8)
        else {
          problem(.propertyIndexExtra, record: "property index", "a malformed \(key.count)-byte entry", hint: hint)
          return true
        }
        guard let expected = indexes[id] else {
          problem(
            .propertyIndexExtra, record: "node \(node)", "an entry of index \(id), which the catalog does not define", hint: hint)
          return true
        }
        if let i = nodes.lookup.position(of: node), nodes.broken[i] { return true }
        func name() -> String { describe(expected.definition) }
        guard let at = expected.position(of: node) else {
          problem(
            .propertyIndexExtra, record: "node \(node)",
            nodes.lookup.position(of: node) == nil
              ? "the \(name()) index names node \(node), which does not exist"
              : "the \(name()) index has an entry for node \(node), which it does not cover (label or property absent)",
            hint: hint)
          return true
        }
        let matches = expected.key(at).withUnsafeBytes { compareKeys($0, key) == 0 }
        guard matches else {
          problem(
            .propertyIndexExtra, record: "node \(node)",
            "the \(name()) index holds a value for node \(node) that its record does not have", hint: hint)
          return true
        }
        _ = indexes[id]?.seen.insert(at)
        return true
      }
    } catch {
      scanFailed(.properties, error)
      endPhase()
      return
    }
    report.counts.propertyIndexEntries = entries
    for id in indexes.keys.sorted() {
      guard let expected = indexes[id] else { continue }
      for at in expected.nodes.indices where !expected.seen.contains(at) {
        problem(
          .propertyIndexMissing, record: "node \(expected.nodes[at])",
          "the \(describe(expected.definition)) index has no entry with the node's value", hint: hint)
      }
    }
    endPhase()
  }

  private func describe(_ def: IndexDefinition) -> String {
    let key = catalog.names[.key]?[def.key] ?? "key id \(def.key)"
    let label = def.label == 0 ? "*" : ":" + (catalog.names[.label]?[def.label] ?? "label id \(def.label)")
    return "\(label)(\(key))"
  }

  // MARK: Counts

  private func checkCounts(_ nodes: NodeColumns, _ edges: EdgeColumns) {
    guard usable("counts", [.catalog], also: catalogUsable && nodes.complete && edges.complete) else { return }
    guard !brokenTrees.contains(.nodes), !brokenTrees.contains(.edges) else { return }
    beginPhase("counts", total: 1)
    let hint = VerifyHint.rebuildIndexes
    func compare(_ which: CatalogKey.Count, _ actual: Int, _ record: String) {
      let stored = catalog.counts[which] ?? 0
      guard stored != UInt64(actual) else { return }
      problem(.countMismatch, record: record, "the stored count is \(stored) but \(actual) were counted", hint: hint)
    }
    compare(.nodes, nodes.ids.count, "node total")
    compare(.edges, edges.ids.count, "edge total")
    // A record that does not decode hides its labels or type: those counts
    // cannot be told exactly then.
    if nodes.broken.contains(true) {
      skip("counts per label: some node records do not decode")
    } else {
      let labels = Set(nodes.labelCounts.keys).union(catalog.names[.label].map { Array($0.keys) } ?? [])
      for label in labels.sorted() {
        compare(.label(label), nodes.labelCounts[label] ?? 0, catalog.describe(.label, label))
      }
    }
    if edges.facts.contains(where: \.broken) {
      skip("counts per edge type: some edge records do not decode")
    } else {
      let types = Set(edges.typeCounts.keys).union(catalog.names[.type].map { Array($0.keys) } ?? [])
      for type in types.sorted() {
        compare(.type(type), edges.typeCounts[type] ?? 0, catalog.describe(.type, type))
      }
    }
    endPhase()
  }
}

extension Verifier.ExpectedIndex {
  /// Adds node `id`'s expected key (none for a list value, which is not indexed).
  mutating func append(node id: UInt64, value: PropertyValue) {
    let start = blob.count
    KeyEncoding.append(definition.id, to: &blob)
    var cut = false
    guard KeyEncoding.append(value, to: &blob, truncated: &cut) else {
      blob.removeSubrange(start...)
      return
    }
    KeyEncoding.append(id, to: &blob)
    nodes.append(id)
    ends.append(blob.count)
  }
}

/// Answers of `CatalogFacts.has` for small ids, kept in flat tables so a
/// record's ids cost an array read instead of two hash lookups.
struct CatalogMemo {
  private static let limit: UInt32 = 4096
  private let catalog: CatalogFacts
  /// Per kind: 0 = not asked yet, 1 = named, 2 = not named.
  private var answers: [[UInt8]]

  init(_ catalog: CatalogFacts) {
    self.catalog = catalog
    answers = [[UInt8]](repeating: [], count: NameKind.allCases.count + 1)
  }

  @inline(__always)
  mutating func has(_ kind: NameKind, _ id: UInt32) -> Bool {
    guard id < Self.limit else { return catalog.has(kind, id) }
    let k = Int(kind.rawValue)
    if answers[k].isEmpty { answers[k] = [UInt8](repeating: 0, count: Int(Self.limit)) }
    let known = answers[k][Int(id)]
    if known != 0 { return known == 1 }
    let named = catalog.has(kind, id)
    answers[k][Int(id)] = named ? 1 : 2
    return named
  }
}

/// Occurrences per id: a flat table for small ids, a dictionary for the rest.
struct IDCounts {
  private static let limit: UInt32 = 4096
  private var small: [Int] = []
  private var large: [UInt32: Int] = [:]

  @inline(__always)
  mutating func add(_ id: UInt32) {
    guard id < Self.limit else {
      large[id, default: 0] += 1
      return
    }
    if small.isEmpty { small = [Int](repeating: 0, count: Int(Self.limit)) }
    small[Int(id)] += 1
  }

  /// The ids counted at least once and their counts.
  var dictionary: [UInt32: Int] {
    var all = large
    for (id, n) in small.enumerated() where n > 0 { all[UInt32(id)] = n }
    return all
  }
}
