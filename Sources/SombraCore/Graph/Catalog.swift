import Synchronization

/// The catalog tree (root slot 1): names of labels, edge types and property keys
/// as small ids, counts kept up to date by every change, and index definitions.
///
/// | key                                   | value                               |
/// |---------------------------------------|-------------------------------------|
/// | 0x01, kind, name key                  | id (u32 LE)                         |
/// | 0x02, kind, id (u32 BE)               | name (UTF-8)                        |
/// | 0x03, kind, id (u32 BE)               | count (u64 LE): nodes per label,    |
/// |                                       | edges per type                      |
/// | 0x04, 0 / 0x04, 1                     | node / edge total (u64 LE)          |
/// | 0x05, kind                            | last id given out (u32 LE)          |
/// | 0x06, index id (u32 BE)               | label id (u32 LE, 0 = any), key id  |
/// | 0x07, label id (u32 BE), key id (BE)  | index id (u32 LE)                   |
///
/// Kinds: 1 label, 2 edge type, 3 property key, 4 index (in 0x05 only). A name
/// key is the name's UTF-8 when it is at most 200 bytes, else its first 192
/// bytes, its CRC-32C (BE) and five 0xFF bytes (201 bytes: never a short name).
package enum NameKind: UInt8, Sendable, CaseIterable {
  case label = 1, type = 2, key = 3

  var noun: String {
    switch self {
    case .label: "label"
    case .type: "edge type"
    case .key: "property key"
    }
  }
}

package enum CatalogKey {
  package enum Count: Hashable, Sendable {
    case label(UInt32), type(UInt32), nodes, edges

    var key: [UInt8] {
      switch self {
      case .label(let id): CatalogKey.make(3, NameKind.label.rawValue, id)
      case .type(let id): CatalogKey.make(3, NameKind.type.rawValue, id)
      case .nodes: [4, 0]
      case .edges: [4, 1]
      }
    }

    /// Whether this count's key sorts before `other`'s, without building
    /// either: (3, label kind, id) < (3, type kind, id) < (4, 0) < (4, 1).
    func precedes(_ other: Count) -> Bool {
      let (a, b) = (rank, other.rank)
      return a.group != b.group ? a.group < b.group : a.id < b.id
    }

    private var rank: (group: Int, id: UInt32) {
      switch self {
      case .label(let id): (0, id)
      case .type(let id): (1, id)
      case .nodes: (2, 0)
      case .edges: (3, 0)
      }
    }

    /// Calls `body` with `key`, built on the stack.
    func withKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
      try withUnsafeTemporaryAllocation(byteCount: 6, alignment: 1) { buffer in
        switch self {
        case .label(let id), .type(let id):
          buffer[0] = 3
          buffer[1] = self.kind
          buffer.storeBytes(of: id.bigEndian, toByteOffset: 2, as: UInt32.self)
          return try body(UnsafeRawBufferPointer(buffer))
        case .nodes, .edges:
          buffer[0] = 4
          buffer[1] = self == .nodes ? 0 : 1
          return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<2]))
        }
      }
    }

    private var kind: UInt8 {
      if case .type = self { return NameKind.type.rawValue }
      return NameKind.label.rawValue
    }
  }

  static func make(_ tag: UInt8, _ kind: UInt8, _ id: UInt32) -> [UInt8] {
    var key: [UInt8] = [tag, kind]
    KeyEncoding.append(id, to: &key)
    return key
  }

  package static let maximumNameBytes = 65536

  static func name(_ kind: NameKind, _ name: String) -> [UInt8] {
    var key: [UInt8] = [1, kind.rawValue]
    let utf8 = Array(name.utf8)
    if utf8.count <= 200 {
      key += utf8
    } else {
      key += utf8[..<192]
      KeyEncoding.append(utf8.withUnsafeBytes { CRC32C.checksum($0) }, to: &key)
      key += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    }
    return key
  }

  static func nameOfID(_ kind: NameKind, _ id: UInt32) -> [UInt8] { make(2, kind.rawValue, id) }
  static func lastID(_ kind: UInt8) -> [UInt8] { [5, kind] }
  static func index(_ id: UInt32) -> [UInt8] {
    var key: [UInt8] = [6]
    KeyEncoding.append(id, to: &key)
    return key
  }
  static func indexByTarget(label: UInt32, key keyID: UInt32) -> [UInt8] {
    var key: [UInt8] = [7]
    KeyEncoding.append(label, to: &key)
    KeyEncoding.append(keyID, to: &key)
    return key
  }
}

/// A property index as stored: its id and what it covers (label 0 = any).
package struct IndexDefinition: Sendable, Hashable {
  package let id: UInt32
  package let label: UInt32
  package let key: UInt32
}

/// Catalog names known to be committed, shared by every transaction of a
/// database. Facts only accumulate (a committed name never changes id), so a
/// reader on an older snapshot can use them too.
package final class NameTable: Sendable {
  struct Entry: Hashable {
    let kind: NameKind
    let name: String
  }

  struct IDKey: Hashable {
    let kind: NameKind
    let id: UInt32
  }

  /// Names a transaction created or, in a write transaction, found in its
  /// tree: merged into the shared table when the transaction commits (a read
  /// transaction's finds go there at once, its tree being a commit). A write
  /// transaction's tree also holds what it changed, so what it found is only
  /// known to be committed once it has committed.
  struct Local {
    var ids: [Entry: UInt32] = [:]
    var names: [IDKey: String] = [:]

    /// Notes a name and its id.
    mutating func add(_ kind: NameKind, _ name: String, _ id: UInt32) {
      ids[Entry(kind: kind, name: name)] = id
      names[IDKey(kind: kind, id: id)] = name
    }
  }

  /// The shared facts, and the names again in arrays indexed by kind and id
  /// (ids below `arrayLimit`): reads resolve names per record, and an array
  /// index under the lock is several times cheaper than hashing a key.
  private struct Shared {
    var table = Local()
    var byID: [[String?]] = Array(repeating: [], count: 4)
    /// The last committed write transaction's recent names: the next one
    /// starts with them (a small transaction names the same few again).
    var recent = RecentNames()

    mutating func index(_ kind: NameKind, _ id: UInt32, _ name: String) {
      guard id < NameTable.arrayLimit else { return }
      let k = Int(kind.rawValue)
      let i = Int(id)
      if byID[k].count <= i { byID[k].append(contentsOf: repeatElement(nil, count: i + 1 - byID[k].count)) }
      byID[k][i] = name
    }
  }

  /// Ids from here on are found by hashing only.
  static let arrayLimit: UInt32 = 1 << 16

  private let state = Mutex<Shared>(Shared())

  package init() {}

  func id(_ kind: NameKind, _ name: String) -> UInt32? {
    state.withLock { $0.table.ids[Entry(kind: kind, name: name)] }
  }

  func name(_ kind: NameKind, _ id: UInt32) -> String? {
    state.withLock { s in
      let k = Int(kind.rawValue)
      if id < NameTable.arrayLimit {
        let i = Int(id)
        return i < s.byID[k].count ? s.byID[k][i] : nil
      }
      return s.table.names[IDKey(kind: kind, id: id)]
    }
  }

  func remember(_ kind: NameKind, _ name: String, _ id: UInt32) {
    state.withLock {
      $0.table.ids[Entry(kind: kind, name: name)] = id
      $0.table.names[IDKey(kind: kind, id: id)] = name
      $0.index(kind, id, name)
    }
  }

  /// Adds what a committed write transaction learnt: the names it created or
  /// found, and its recent names (all committed now) for the next one.
  func merge(_ local: Local, recent: RecentNames) {
    state.withLock { s in
      s.recent = recent
      guard !local.ids.isEmpty || !local.names.isEmpty else { return }
      s.table.ids.merge(local.ids) { _, new in new }
      s.table.names.merge(local.names) { _, new in new }
      for (key, name) in local.names { s.index(key.kind, key.id, name) }
    }
  }

  /// Recent names to start a write transaction with: committed ones only.
  func committedRecentNames() -> RecentNames {
    state.withLock { $0.recent }
  }
}

/// The last few names a transaction resolved, looked at before any hashing: a
/// bulk load names the same handful of labels and keys in every record, and a
/// few string comparisons cost less than two hashed lookups and a lock. A
/// name's id never changes within a transaction (committed names never change,
/// and the transaction's own names live until it ends), so entries stay true,
/// and only names that passed `internName`'s checks get here. A write
/// transaction that commits hands its entries to the next one (they are all
/// committed names then; a rolled-back one's are dropped with it), so a run of
/// small transactions finds its few names here from the first call on.
///
/// The search starts after the last hit: records tend to name their keys in
/// the same order, so the next name is usually the next entry.
struct RecentNames {
  private var entries: [(kind: NameKind, name: String, id: UInt32)] = []
  private var next = 0
  private var lastHit = 0
  static let capacity = 16

  mutating func id(_ kind: NameKind, _ name: String) -> UInt32? {
    let n = entries.count
    var i = lastHit
    for _ in 0..<n {
      i = i + 1 == n ? 0 : i + 1
      if entries[i].kind == kind && entries[i].name == name {
        lastHit = i
        return entries[i].id
      }
    }
    return nil
  }

  /// Appends each key of `properties` (kind `.key`) with its id and value to
  /// `result`, in the dictionary's order; false, leaving `result` partial,
  /// when a key is not here. One call, so one access to the transaction's cache.
  mutating func appendKeyIDs(
    of properties: [String: PropertyValue], to result: inout [(key: UInt32, value: PropertyValue)],
    where accepted: (PropertyValue) -> Bool
  ) -> Bool {
    for (name, value) in properties {
      guard accepted(value), let id = id(.key, name) else { return false }
      result.append((id, value))
    }
    return true
  }

  /// Adds a name, replacing the oldest entry when full. Names `internName`
  /// would refuse (a damaged catalog can hold them) are not kept.
  mutating func remember(_ kind: NameKind, _ name: String, _ id: UInt32) {
    guard !name.isEmpty, name.utf8.count <= CatalogKey.maximumNameBytes else { return }
    if entries.count < Self.capacity {
      entries.append((kind, name, id))
    } else {
      entries[next] = (kind, name, id)
      next = (next + 1) % Self.capacity
    }
  }
}

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
    guard value.count == 4 else { throw SombraError.corruption("catalog entry of \(kind.noun) '\(name)' is \(value.count) bytes, not 4") }
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
      throw SombraError.invalidArgument("a \(kind.noun) name is \(name.utf8.count) bytes; the limit is \(CatalogKey.maximumNameBytes) (64 KiB)")
    }
    if let id = try nameID(kind, name) { return id }
    let catalog = try ensureGraph()
    let lastKey = CatalogKey.lastID(kind.rawValue)
    let last = try catalog.get(lastKey, in: pages).map { v in v.count == 4 ? v.withUnsafeBytes { $0.le(0, as: UInt32.self) } : 0 } ?? 0
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
