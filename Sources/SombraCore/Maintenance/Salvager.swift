/// The work behind `Database.salvage` (its header has the steps): collects what
/// the pages hold, accounts for what was lost, writes the new database.
final class Salvager {
  enum Tree: Equatable { case catalog, nodes, edges, adjacency, labels, other }

  struct AdjacencyFact {
    var node: NodeID
    var neighbour: NodeID
    var type: UInt32
  }

  var pageSize = 0
  var pagesScanned = 0
  var badPages: [PageNumber] = []
  var walFrames = 0
  var walNote: String?
  var sourceHeader: DatabaseHeader?
  var catalog: [[UInt8]: [UInt8]] = [:]
  var nodes: [NodeID: StoredNode] = [:]
  var edges: [EdgeID: StoredEdge] = [:]
  /// Records whose value did not decode: id and why.
  var brokenNodes: [NodeID: String] = [:]
  var brokenEdges: [EdgeID: String] = [:]
  var duplicates = 0
  /// Facts from the index trees: labels per node, edges by id.
  var labelsOf: [NodeID: Set<UInt32>] = [:]
  var adjacency: [EdgeID: AdjacencyFact] = [:]
  var names: [NameKind: [UInt32: String]] = [:]
  /// The edges written (both endpoints recovered).
  var kept: [EdgeID] = []

  func reset() {
    pagesScanned = 0
    badPages = []
    catalog = [:]
    nodes = [:]
    edges = [:]
    brokenNodes = [:]
    brokenEdges = [:]
    duplicates = 0
    labelsOf = [:]
    adjacency = [:]
  }

  // MARK: 1-2. Reading pages

  func scan(_ pages: SalvagePages) throws {
    pageSize = pages.pageSize
    walFrames = pages.walFrames
    walNote = pages.walNote
    sourceHeader = pages.header
    let membership = treeMembership(pages)
    var number: PageNumber = 1
    while number < pages.pageCount {
      defer { number += 1 }
      pagesScanned += 1
      let bytes: [UInt8]
      do {
        bytes = try pages.verified(number)
      } catch let error as SombraError where error.code == .corruption {
        badPages.append(number)
        continue
      }
      guard bytes[PageLayout.typeOffset] == PageType.btreeLeaf.rawValue else { continue }
      let entries: [(key: [UInt8], value: Result<[UInt8], any Error>)]
      do {
        entries = try bytes.withUnsafeBytes { raw in
          let node = try NodeView(raw, page: number)
          var result: [(key: [UInt8], value: Result<[UInt8], any Error>)] = []
          for i in 0..<node.count {
            let (key, value) = try node.entry(i)
            switch value {
            case .inline(let v):
              result.append((Array(key), .success(Array(v))))
            case .overflow(let first, let length):
              let chain = Result<[UInt8], any Error> {
                try BTree(root: number).readOverflow(first: first, length: length, owner: number, in: pages)
              }
              result.append((Array(key), chain))
            }
          }
          return result
        }
      } catch {
        badPages.append(number)
        continue
      }
      let tree = membership[number] ?? classify(entries)
      take(entries, as: tree)
    }
  }

  /// Which tree each page reached from the header's roots belongs to.
  private func treeMembership(_ pages: SalvagePages) -> [PageNumber: Tree] {
    guard let header = pages.header else { return [:] }
    var result: [PageNumber: Tree] = [:]
    let trees: [(GraphRoot, Tree)] = [
      (.catalog, .catalog), (.nodes, .nodes), (.edges, .edges), (.adjacency, .adjacency), (.labels, .labels),
      (.properties, .other),
    ]
    for (root, tree) in trees {
      let start = header.roots[root.rawValue]
      guard start != 0, start < pages.pageCount, result[start] == nil else { continue }
      var stack: [(PageNumber, Int)] = [(start, 0)]
      result[start] = tree
      while let (page, depth) = stack.popLast() {
        guard depth < BTree.maxDepth, let bytes = try? pages.verified(page) else { continue }
        let children: [PageNumber] = bytes.withUnsafeBytes { raw in
          guard let node = try? NodeView(raw, page: page), !node.isLeaf else { return [] }
          return (0...node.count).compactMap { try? node.child($0, pageCount: pages.pageCount) }
        }
        for child in children where result[child] == nil {
          result[child] = tree
          stack.append((child, depth + 1))
        }
      }
    }
    return result
  }

  /// The tree a leaf not reached from a root belongs to, judged by its contents.
  private func classify(_ entries: [(key: [UInt8], value: Result<[UInt8], any Error>)]) -> Tree {
    guard !entries.isEmpty else { return .other }
    let keys = entries.map(\.key)
    let values = entries.compactMap { try? $0.value.get() }
    if keys.allSatisfy({ $0.count == 8 }), values.count == entries.count {
      let ids = keys.compactMap { KeyEncoding.readU64($0, at: 0) }
      if zip(ids, values).allSatisfy({ (try? StoredNode.decode($1, id: $0)) != nil }) { return .nodes }
      if zip(ids, values).allSatisfy({ (try? StoredEdge.decode($1, id: $0)) != nil }) { return .edges }
    }
    let empty = values.count == entries.count && values.allSatisfy(\.isEmpty)
    if values.count == entries.count, keys.allSatisfy({ AdjacencyList.parseKey($0) != nil }),
      values.allSatisfy({ (try? AdjacencyList.decode($0)) != nil })
    {
      return .adjacency
    }
    if empty, keys.allSatisfy({ $0.count == 12 }) { return .labels }
    if keys.allSatisfy({ (1...7).contains($0.first ?? 0) }) { return .catalog }
    return .other
  }

  private func take(_ entries: [(key: [UInt8], value: Result<[UInt8], any Error>)], as tree: Tree) {
    for (key, value) in entries {
      switch tree {
      case .catalog:
        if let v = try? value.get(), catalog[key] == nil { catalog[key] = v }
      case .nodes:
        guard key.count == 8, let id = KeyEncoding.readU64(key, at: 0) else { continue }
        do {
          let node = try StoredNode.decode(try value.get(), id: id)
          if nodes[id] == nil { nodes[id] = node } else { duplicates += 1 }
          brokenNodes[id] = nil
        } catch {
          if nodes[id] == nil { brokenNodes[id] = (error as? SombraError)?.message ?? "\(error)" }
        }
      case .edges:
        guard key.count == 8, let id = KeyEncoding.readU64(key, at: 0) else { continue }
        do {
          let edge = try StoredEdge.decode(try value.get(), id: id)
          if edges[id] == nil { edges[id] = edge } else { duplicates += 1 }
          brokenEdges[id] = nil
        } catch {
          if edges[id] == nil { brokenEdges[id] = (error as? SombraError)?.message ?? "\(error)" }
        }
      case .adjacency:
        guard let group = AdjacencyList.parseKey(key), let items = try? AdjacencyList.decode(try value.get()) else { continue }
        for item in items {
          let (source, target) = group.outgoing ? (group.node, item.neighbour) : (item.neighbour, group.node)
          adjacency[item.edge] = AdjacencyFact(node: source, neighbour: target, type: item.type)
        }
      case .labels:
        guard key.count == 12, let label = KeyEncoding.readU32(key, at: 0), let node = KeyEncoding.readU64(key, at: 4) else {
          continue
        }
        labelsOf[node, default: []].insert(label)
      case .other:
        continue
      }
    }
  }

  // MARK: 3-4. Accounting

  func account(into report: inout SalvageReport) {
    report.pageSize = pageSize
    report.pagesScanned = pagesScanned
    report.badPages = badPages
    report.walFrames = walFrames
    report.walNote = walNote
    report.duplicateRecords = duplicates
    for kind in NameKind.allCases { names[kind] = [:] }
    for (key, value) in catalog where key.count == 6 && key[0] == 2 {
      guard let kind = NameKind(rawValue: key[1]), let id = KeyEncoding.readU32(key, at: 2), id != 0,
        let name = String(validating: value, as: UTF8.self), !name.isEmpty
      else { continue }
      names[kind, default: [:]][id] = name
    }
    func name(_ kind: NameKind, _ id: UInt32) -> String {
      names[kind]?[id] ?? "salvaged-\(kind == .label ? "label" : kind == .type ? "type" : "key")-\(id)"
    }

    kept = edges.keys.sorted().filter { id in
      guard let edge = edges[id] else { return false }
      return nodes[edge.source] != nil && nodes[edge.target] != nil
    }
    report.recoveredNodes = nodes.count
    report.recoveredEdges = kept.count

    var knownNodes = Set(labelsOf.keys)
    for fact in adjacency.values {
      knownNodes.insert(fact.node)
      knownNodes.insert(fact.neighbour)
    }
    for edge in edges.values {
      knownNodes.insert(edge.source)
      knownNodes.insert(edge.target)
    }
    knownNodes.formUnion(brokenNodes.keys)
    for id in knownNodes.sorted() where nodes[id] == nil {
      let labels = (labelsOf[id] ?? []).sorted().map { name(.label, $0) }
      let reason = brokenNodes[id].map { "record unreadable: \($0)" } ?? "record on an unreadable page"
      report.lostNodes.append(.init(id: id, names: labels, reason: reason))
    }
    var lostEdges: [EdgeID: SalvageReport.Lost] = [:]
    for (id, edge) in edges where nodes[edge.source] == nil || nodes[edge.target] == nil {
      let missing = nodes[edge.source] == nil ? edge.source : edge.target
      lostEdges[id] = .init(id: id, names: [name(.type, edge.type)], reason: "dropped: node \(missing) was lost")
    }
    for (id, why) in brokenEdges where edges[id] == nil {
      lostEdges[id] = .init(
        id: id, names: adjacency[id].map { [name(.type, $0.type)] } ?? [], reason: "record unreadable: \(why)")
    }
    for (id, fact) in adjacency where edges[id] == nil && lostEdges[id] == nil {
      lostEdges[id] = .init(id: id, names: [name(.type, fact.type)], reason: "record on an unreadable page")
    }
    report.lostEdges = lostEdges.keys.sorted().compactMap { lostEdges[$0] }
  }

  // MARK: 5. Writing

  /// Writes the new database under a temporary name beside `newPath` and
  /// renames it into place once it is complete (see `Database.salvage`).
  func write(_ newPath: String, storage: any StorageSystem, report: inout SalvageReport) throws {
    var options = OpenOptions()
    options.pageSize = pageSize
    options.sync = .off
    let temp = newPath + ".salvage-tmp"
    // Left by a salvage into the same path that crashed: only that writes it.
    try storage.remove(temp)
    try storage.remove(temp + ".wal")
    let target = try Database.open(temp, options: options, storage: storage)
    var done = false
    defer {
      if !done {
        try? target.close()
        _ = try? storage.remove(temp)
        _ = try? storage.remove(temp + ".wal")
      }
    }

    // Names in use that the catalog lost get placeholders.
    var used: [NameKind: Set<UInt32>] = [.label: [], .type: [], .key: []]
    for node in nodes.values {
      used[.label, default: []].formUnion(node.labels)
      used[.key, default: []].formUnion(node.properties.map(\.key))
    }
    for id in kept {
      guard let edge = edges[id] else { continue }
      used[.type, default: []].insert(edge.type)
      used[.key, default: []].formUnion(edge.properties.map(\.key))
    }
    for kind in NameKind.allCases {
      for id in (used[kind] ?? []).sorted() where names[kind]?[id] == nil {
        let placeholder = "salvaged-\(kind == .label ? "label" : kind == .type ? "type" : "key")-\(id)"
        names[kind, default: [:]][id] = placeholder
        report.placeholderNames.append(placeholder)
      }
    }

    try target.write { tx in
      let catalogTree = try tx.ensureGraph()
      for kind in NameKind.allCases {
        var last: UInt32 = 0
        if let v = catalog[CatalogKey.lastID(kind.rawValue)], v.count == 4 {
          last = v.withUnsafeBytes { $0.le(0, as: UInt32.self) }
        }
        var taken: Set<String> = []
        for (id, name) in (names[kind] ?? [:]).sorted(by: { $0.key < $1.key }) {
          // Two ids claiming one name (damage): the later id's name is made unique.
          let unique = taken.contains(name) ? "\(name)~\(id)" : name
          taken.insert(unique)
          try catalogTree.insert(CatalogKey.name(kind, unique), le(id), in: tx.pages)
          try catalogTree.insert(CatalogKey.nameOfID(kind, id), Array(unique.utf8), in: tx.pages)
          last = max(last, id)
        }
        try catalogTree.insert(CatalogKey.lastID(kind.rawValue), le(last), in: tx.pages)
      }
      var lastIndex: UInt32 = 0
      if let v = catalog[CatalogKey.lastID(4)], v.count == 4 { lastIndex = v.withUnsafeBytes { $0.le(0, as: UInt32.self) } }
      for (key, value) in catalog.sorted(by: { BTree.compare($0.key, $1.key) < 0 })
      where key.count == 5 && key[0] == 6 && value.count == 8 {
        guard let id = KeyEncoding.readU32(key, at: 1) else { continue }
        let (label, keyID) = value.withUnsafeBytes { ($0.le(0, as: UInt32.self), $0.le(4, as: UInt32.self)) }
        guard label == 0 || names[.label]?[label] != nil, names[.key]?[keyID] != nil else { continue }
        try catalogTree.insert(key, value, in: tx.pages)
        try catalogTree.insert(CatalogKey.indexByTarget(label: label, key: keyID), le(id), in: tx.pages)
        lastIndex = max(lastIndex, id)
      }
      if lastIndex > 0 { try catalogTree.insert(CatalogKey.lastID(4), le(lastIndex), in: tx.pages) }
      let next = (node: sourceHeader?.nextNodeID ?? 1, edge: sourceHeader?.nextEdgeID ?? 1)
      try tx.pages.updateHeader { h in
        h.nextNodeID = max(h.nextNodeID, next.node)
        h.nextEdgeID = max(h.nextEdgeID, next.edge)
      }
      // The source's history (when its page 0 was readable) goes with its data.
      if let earlier = sourceHeader?.lifetime { tx.pages.carryLifetime(earlier) }
    }
    let nodeIDs = nodes.keys.sorted()
    var start = 0
    while start < nodeIDs.count {
      let end = min(start + 1024, nodeIDs.count)
      try target.write { tx in
        for id in nodeIDs[start..<end] {
          if let node = nodes[id] { try tx.insertStoredNode(id, node) }
        }
      }
      start = end
    }
    start = 0
    while start < kept.count {
      let end = min(start + 1024, kept.count)
      try target.write { tx in
        for id in kept[start..<end] {
          if let edge = edges[id] { try tx.insertStoredEdge(id, edge) }
        }
      }
      start = end
    }
    try target.close()
    try storage.remove(temp + ".wal")
    guard !storage.exists(newPath), !storage.exists(newPath + ".wal") else {
      throw SombraError.invalidArgument("\(newPath) appeared while salvage ran; salvage never overwrites a file")
    }
    try storage.rename(temp, over: newPath)
    done = true
    try storage.syncDirectory(of: newPath)
  }
}
