/// The catalog as transactions use it: the graph's B-tree roots, name lookups
/// through the catalog and its recent-names cache, and the stored counts with
/// this transaction's pending deltas (the catalog itself: Graph/Catalog.swift).

extension Transaction {
  func tree(_ root: GraphRoot) -> BTree? {
    // Reads the one slot in place rather than copying the header.
    let page = writer?.header.roots[root.rawValue] ?? snapshot.header.roots[root.rawValue]
    return page == 0 ? nil : BTree(root: page)
  }

  /// The id of a name, or nil when the catalog does not have it.
  func nameID(_ kind: NameKind, _ name: String) throws -> UInt32? {
    if let id = recentNames.id(kind, name) { return id }
    if let id = localNames.ids[NameTable.Entry(kind: kind, name: name)] {
      recentNames.remember(kind, name, id)
      return id
    }
    if let id = database.names.id(kind, name) {
      recentNames.remember(kind, name, id)
      return id
    }
    guard let catalog = tree(.catalog), let value = try catalog.get(CatalogKey.name(kind, name), in: self) else { return nil }
    guard value.count == 4 else {
      throw SombraError.corruption("catalog entry of \(kind.noun) '\(name)' is \(value.count) bytes, not 4")
    }
    let id = UInt32(value[0]) | UInt32(value[1]) << 8 | UInt32(value[2]) << 16 | UInt32(value[3]) << 24
    // Confirm long names (their keys are a prefix and a checksum).
    guard try self.name(kind, id) == name else { return nil }
    if writer == nil { database.names.remember(kind, name, id) } else { localNames.add(kind, name, id) }
    recentNames.remember(kind, name, id)
    return id
  }

  /// The name of an id; a missing one is corruption (records point at it).
  func name(_ kind: NameKind, _ id: UInt32) throws -> String {
    if let name = database.names.name(kind, id) { return name }  // committed names never change
    if let name = localNames.names[NameTable.IDKey(kind: kind, id: id)] { return name }
    guard let catalog = tree(.catalog), let bytes = try catalog.get(CatalogKey.nameOfID(kind, id), in: self),
      let name = String(validating: bytes, as: UTF8.self)
    else {
      throw SombraError.corruption("\(kind.noun) id \(id) has no valid name in the catalog")
    }
    if writer == nil {
      database.names.remember(kind, name, id)
    } else {
      localNames.names[NameTable.IDKey(kind: kind, id: id)] = name
    }
    return name
  }

  /// Every name of a kind, in id order.
  func allNames(_ kind: NameKind) throws -> [(id: UInt32, name: String)] {
    guard let catalog = tree(.catalog) else { return [] }
    var result: [(id: UInt32, name: String)] = []
    try catalog.scan(prefix: [2, kind.rawValue], in: self) { key, value in
      guard let id = KeyEncoding.readU32(key, at: 2), let name = String(validating: value, as: UTF8.self) else {
        throw SombraError.corruption("malformed \(kind.noun) entry in the catalog")
      }
      result.append((id, name))
      return true
    }
    return result
  }

  /// A stored count plus this transaction's pending change.
  func count(_ which: CatalogKey.Count) throws -> UInt64 {
    CountDeltas.total(try storedCount(which), (self as? WriteTransaction)?.countDeltas[which] ?? 0)
  }

  /// A count as the catalog holds it, without this transaction's changes.
  func storedCount(_ which: CatalogKey.Count) throws -> UInt64 {
    guard let catalog = tree(.catalog), let value = try catalog.get(which.key, in: self) else { return 0 }
    guard value.count == 8 else { throw SombraError.corruption("catalog count entry is \(value.count) bytes, not 8") }
    return value.withUnsafeBytes { $0.le(0, as: UInt64.self) }
  }

  /// Index definitions (loaded once per transaction).
  func indexDefinitions() throws -> [IndexDefinition] {
    if let indexCache { return indexCache }
    var result: [IndexDefinition] = []
    if let catalog = tree(.catalog) {
      try catalog.scan(prefix: [6], in: self) { key, value in
        guard let id = KeyEncoding.readU32(key, at: 1), value.count == 8 else {
          throw SombraError.corruption("malformed index definition in the catalog")
        }
        let (label, keyID) = value.withUnsafeBytes { ($0.le(0, as: UInt32.self), $0.le(4, as: UInt32.self)) }
        result.append(IndexDefinition(id: id, label: label, key: keyID))
        return true
      }
    }
    indexCache = result
    return result
  }
}

extension WriteTransaction {
  /// The id of a name, creating it when new.
  func internName(_ kind: NameKind, _ name: String) throws -> UInt32 {
    guard !name.isEmpty else { throw SombraError.invalidArgument("a \(kind.noun) name cannot be empty") }
    guard name.utf8.count <= CatalogKey.maximumNameBytes else {
      throw SombraError.invalidArgument(
        "a \(kind.noun) name is \(name.utf8.count) bytes; the limit is \(CatalogKey.maximumNameBytes) (64 KiB)")
    }
    if let id = try nameID(kind, name) { return id }
    let catalog = try ensureGraph()
    let lastKey = CatalogKey.lastID(kind.rawValue)
    let last =
      try catalog.get(lastKey, in: pages).map { v in v.count == 4 ? v.withUnsafeBytes { $0.le(0, as: UInt32.self) } : 0 } ?? 0
    guard last < UInt32.max - 1 else { throw SombraError(.limitExceeded, "no more \(kind.noun) ids") }
    let id = last + 1
    try catalog.insert(lastKey, le(id), in: pages)
    guard try catalog.insert(CatalogKey.name(kind, name), le(id), ifPresent: .fail, in: pages) else {
      throw SombraError.invalidArgument("the \(kind.noun) name collides with another long name in the catalog; choose another")
    }
    try catalog.insert(CatalogKey.nameOfID(kind, id), Array(name.utf8), in: pages)
    localNames.add(kind, name, id)
    recentNames.remember(kind, name, id)
    return id
  }

  /// Creates the graph's trees on first use; returns the catalog.
  @discardableResult
  func ensureGraph() throws -> BTree {
    if let catalog = tree(.catalog) { return catalog }
    var roots: [(GraphRoot, PageNumber)] = []
    for root in GraphRoot.allCases { roots.append((root, try BTree.create(in: pages).root)) }
    try pages.updateHeader { h in for (slot, page) in roots { h.roots[slot.rawValue] = page } }
    return BTree(root: header.roots[GraphRoot.catalog.rawValue])
  }

  func addCount(_ which: CatalogKey.Count, _ delta: Int64) {
    countDeltas.add(which, delta)
  }

  /// Writes pending counts into the catalog (called by `commit`).
  ///
  /// A count already stored is changed where it is (one descent, no copy of
  /// the entry); a new one (a label's or type's first) is inserted.
  func flushGraphState() throws {
    try flushAdjacency()
    guard !countDeltas.isEmpty, let catalog = tree(.catalog) else { return }
    // In key order: the same changes give the same bytes in every process.
    var changes = countDeltas.entries
    changes.sort { $0.key.precedes($1.key) }
    try pages.batch { batch in
      for (which, delta) in changes where delta != 0 {
        try which.withKey { key in
          let changed = try catalog.withMutableValue(bytes: key, in: batch) { value -> Bool in
            guard value.count == 8 else { return false }
            let stored = UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
            value.storeBytes(of: CountDeltas.total(stored, delta).littleEndian, as: UInt64.self)
            return true
          }
          guard changed != true else { return }
          let stored = try catalog.get(bytes: key, in: batch)
          guard stored == nil || stored?.count == 8 else {
            throw SombraError.corruption("catalog count entry is \(stored?.count ?? 0) bytes, not 8")
          }
          let total = CountDeltas.total(stored.map { $0.withUnsafeBytes { $0.le(0, as: UInt64.self) } } ?? 0, delta)
          try le64(total).withUnsafeBytes { _ = try catalog.insert(bytes: key, $0, in: batch) }
        }
      }
    }
    countDeltas.removeAll()
  }
}

/// A write transaction's pending count changes. Every node and edge changes
/// a total and a label or type count, so the totals and the counts of small
/// label and type ids sit in plain fields and arrays; other ids are hashed.
struct CountDeltas {
  private var nodes: Int64?
  private var edges: Int64?
  /// By id, for ids below `arrayLimit`.
  private var labels: [Int64?] = []
  private var types: [Int64?] = []
  private var others: [CatalogKey.Count: Int64] = [:]
  static let arrayLimit: UInt32 = 1024

  /// Whether no count was changed (even to a net change of zero).
  private(set) var isEmpty = true

  subscript(which: CatalogKey.Count) -> Int64? {
    switch which {
    case .nodes: return nodes
    case .edges: return edges
    case .label(let id) where id < Self.arrayLimit: return Int(id) < labels.count ? labels[Int(id)] : nil
    case .type(let id) where id < Self.arrayLimit: return Int(id) < types.count ? types[Int(id)] : nil
    case .label, .type: return others[which]
    }
  }

  mutating func add(_ which: CatalogKey.Count, _ delta: Int64) {
    isEmpty = false
    switch which {
    case .nodes: nodes = (nodes ?? 0) + delta
    case .edges: edges = (edges ?? 0) + delta
    case .label(let id) where id < Self.arrayLimit: Self.add(delta, at: Int(id), in: &labels)
    case .type(let id) where id < Self.arrayLimit: Self.add(delta, at: Int(id), in: &types)
    case .label, .type: others[which, default: 0] += delta
    }
  }

  private static func add(_ delta: Int64, at i: Int, in array: inout [Int64?]) {
    if i >= array.count { array.append(contentsOf: repeatElement(nil, count: i + 1 - array.count)) }
    array[i] = (array[i] ?? 0) + delta
  }

  /// Every changed count, in no particular order.
  var entries: [(key: CatalogKey.Count, value: Int64)] {
    var result: [(key: CatalogKey.Count, value: Int64)] = others.map { ($0.key, $0.value) }
    for (id, delta) in labels.enumerated() { if let delta { result.append((.label(UInt32(id)), delta)) } }
    for (id, delta) in types.enumerated() { if let delta { result.append((.type(UInt32(id)), delta)) } }
    if let nodes { result.append((.nodes, nodes)) }
    if let edges { result.append((.edges, edges)) }
    return result
  }

  mutating func removeAll() { self = CountDeltas() }

  /// A stored count with a change applied: never below 0, and Int64.max at
  /// most (a damaged count cannot make the sum wrap).
  static func total(_ stored: UInt64, _ delta: Int64) -> UInt64 {
    let (total, overflow) = Int64(clamping: stored).addingReportingOverflow(delta)
    return overflow ? UInt64(Int64.max) : UInt64(max(0, total))
  }
}

func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
