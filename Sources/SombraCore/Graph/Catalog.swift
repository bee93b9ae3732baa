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
  case label = 1
  case type = 2
  case key = 3

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
    case label(UInt32)
    case type(UInt32)
    case nodes
    case edges

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
