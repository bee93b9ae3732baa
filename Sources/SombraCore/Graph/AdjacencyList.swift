/// Adjacency lists: a node's edges in one direction, stored as a few packed
/// chunks in the adjacency tree instead of one B-tree entry per edge.
///
/// An adjacency item is (type id, neighbour, edge id); a node's items in one
/// direction are kept in ascending (type, neighbour, edge) order and cut into
/// chunks of at most `chunkLimit` encoded bytes. Chunk keys:
///
/// | offset | size | meaning                                                      |
/// |--------|------|--------------------------------------------------------------|
/// | 0      | 8    | node id, u64 big-endian                                      |
/// | 8      | 1    | direction: 0 out, 1 in                                       |
/// | 9      | 20   | absent (9-byte key) for the group's first chunk; else the    |
/// |        |      | chunk's lower bound: type u32 BE, neighbour u64 BE, edge u64 BE |
///
/// Chunk value: varint item count n ≥ 1, then n items, each three varints
/// relative to the item before it (the first item is relative to (0, 0, 0)):
/// - type delta d = type − previous type;
/// - if d > 0: the neighbour, else neighbour − previous neighbour (e);
/// - if d > 0 or e > 0: the edge id, else edge − previous edge (> 0).
/// So items strictly ascend by construction and a duplicate cannot be encoded.
///
/// Invariants (checked by `decode` and by the verifier):
/// 1. Every chunk holds at least one item; type ids are ≥ 1.
/// 2. A chunk's items are ≥ its key's lower bound (if any) and below the lower
///    bound of the group's next chunk, so the chunk holding an item is the one
///    with the greatest key ≤ the item's 29-byte key (`floor`).
/// 3. A chunk is split in two when an insert makes it longer than
///    `chunkLimit`; an emptied chunk is deleted; chunks are never merged
///    (`rebuild-indexes` writes every list anew from the edge records, and a
///    vacuum writes every list packed by `pack`).
package struct AdjacencyItem: Comparable, Hashable, Sendable {
  package var type: UInt32
  package var neighbour: NodeID
  package var edge: EdgeID

  package init(type: UInt32, neighbour: NodeID, edge: EdgeID) {
    self.type = type
    self.neighbour = neighbour
    self.edge = edge
  }

  package static func < (a: AdjacencyItem, b: AdjacencyItem) -> Bool {
    (a.type, a.neighbour, a.edge) < (b.type, b.neighbour, b.edge)
  }
}

package enum AdjacencyList {
  /// Encoded bytes above which a chunk is split. Small enough that an update
  /// rewrites little, large enough that a typical node has one chunk; with the
  /// 29-byte key and one more item it stays inline on the smallest (4096) pages.
  package static let chunkLimit = 512
  /// Bytes of a group key (node, direction).
  package static let groupKeySize = 9
  /// Bytes of a chunk key with a lower bound.
  package static let boundedKeySize = 29

  // MARK: Keys

  /// The key of a group's first chunk, which is also the prefix of all its chunks.
  package static func groupKey(_ node: NodeID, outgoing: Bool) -> [UInt8] {
    var key: [UInt8] = []
    key.reserveCapacity(boundedKeySize)
    KeyEncoding.append(node, to: &key)
    key.append(outgoing ? 0 : 1)
    return key
  }

  /// The key of a chunk whose lower bound is `item`.
  package static func chunkKey(_ node: NodeID, outgoing: Bool, from item: AdjacencyItem) -> [UInt8] {
    var key = groupKey(node, outgoing: outgoing)
    KeyEncoding.append(item.type, to: &key)
    KeyEncoding.append(item.neighbour, to: &key)
    KeyEncoding.append(item.edge, to: &key)
    return key
  }

  /// A chunk key's parts, or nil when it is malformed.
  package static func parseKey(raw key: UnsafeRawBufferPointer) -> (node: NodeID, outgoing: Bool, lowerBound: AdjacencyItem?)? {
    guard key.count == groupKeySize || key.count == boundedKeySize, key[8] <= 1,
      let node = KeyEncoding.readU64(raw: key, at: 0)
    else { return nil }
    guard key.count == boundedKeySize else { return (node, key[8] == 0, nil) }
    guard let type = KeyEncoding.readU32(raw: key, at: 9), let neighbour = KeyEncoding.readU64(raw: key, at: 13),
      let edge = KeyEncoding.readU64(raw: key, at: 21)
    else { return nil }
    return (node, key[8] == 0, AdjacencyItem(type: type, neighbour: neighbour, edge: edge))
  }

  package static func parseKey(_ key: [UInt8]) -> (node: NodeID, outgoing: Bool, lowerBound: AdjacencyItem?)? {
    key.withUnsafeBytes { parseKey(raw: $0) }
  }

  // MARK: Values

  package static func encode(_ items: some Collection<AdjacencyItem>) -> [UInt8] {
    var w = ByteWriter(capacity: 1 + 7 * items.count)
    w.varint(UInt64(items.count))
    var previous = AdjacencyItem(type: 0, neighbour: 0, edge: 0)
    for item in items {
      // Items ascend (the callers keep them sorted), so the deltas are not negative.
      let typeDelta = item.type - previous.type
      w.varint(UInt64(typeDelta))
      if typeDelta > 0 {
        w.varint(item.neighbour)
        w.varint(item.edge)
      } else {
        let neighbourDelta = item.neighbour - previous.neighbour
        w.varint(neighbourDelta)
        w.varint(neighbourDelta > 0 ? item.edge : item.edge - previous.edge)
      }
      previous = item
    }
    return w.bytes
  }

  /// Calls `body` with each item of a chunk value, in order, until it returns
  /// false. Malformed bytes (including items that do not ascend) are `corruption`.
  @inline(__always)
  package static func forEach(raw value: UnsafeRawBufferPointer, _ body: (AdjacencyItem) throws -> Bool) throws {
    var r = ByteReader(value)
    let count = try r.varint()
    // Each item takes at least three bytes.
    guard count >= 1, count <= UInt64(r.remaining / 3) else {
      throw r.error("an adjacency chunk of \(value.count) bytes claims \(count) items")
    }
    var previous = AdjacencyItem(type: 0, neighbour: 0, edge: 0)
    for _ in 0..<count {
      let start = r.offset
      let typeDelta = try r.varint()
      let second = try r.varint()
      let third = try r.varint()
      var item = previous
      if typeDelta > 0 {
        // Both terms are below 2^32, so the sum cannot wrap.
        guard typeDelta <= UInt64(UInt32.max), let type = UInt32(exactly: UInt64(previous.type) + typeDelta) else {
          throw r.error("an adjacency item's type id is out of range", at: start)
        }
        item = AdjacencyItem(type: type, neighbour: second, edge: third)
      } else if second > 0 {
        let (neighbour, overflow) = previous.neighbour.addingReportingOverflow(second)
        guard !overflow else { throw r.error("an adjacency item's neighbour id overflows", at: start) }
        item = AdjacencyItem(type: previous.type, neighbour: neighbour, edge: third)
      } else {
        let (edge, overflow) = previous.edge.addingReportingOverflow(third)
        guard third > 0, !overflow else { throw r.error("an adjacency chunk repeats an item or overflows an edge id", at: start) }
        item.edge = edge
      }
      guard item.type != 0 else { throw r.error("an adjacency item has type id 0", at: start) }
      previous = item
      guard try body(item) else { return }
    }
    guard r.remaining == 0 else { throw r.error("\(r.remaining) bytes after the last adjacency item") }
  }

  package static func decode(raw value: UnsafeRawBufferPointer) throws -> [AdjacencyItem] {
    var items: [AdjacencyItem] = []
    try forEach(raw: value) {
      items.append($0)
      return true
    }
    return items
  }

  package static func decode(_ value: [UInt8]) throws -> [AdjacencyItem] {
    try value.withUnsafeBytes { try decode(raw: $0) }
  }

  /// Sorted items of one group cut into chunks: (lower bound or nil for the
  /// first, value), each at most `chunkLimit` bytes unless a single item is.
  package static func pack(_ items: [AdjacencyItem]) -> [(lowerBound: AdjacencyItem?, value: [UInt8])] {
    var chunks: [(AdjacencyItem?, [UInt8])] = []
    var start = 0
    var bytes = 0  // of the items of the chunk so far, as `encode` writes them
    for i in items.indices {
      // Exact sizes: the first item of a chunk is written in full, the others
      // as deltas from the item before (items ascend: the caller's contract).
      let continued = i > start ? encodedSize(items[i], after: items[i - 1]) : 0
      if i > start && varintSize(UInt64(i - start + 1)) + bytes + continued > chunkLimit {
        chunks.append((start == 0 ? nil : items[start], encode(items[start..<i])))
        start = i
      }
      bytes = i == start ? encodedSize(items[i], after: AdjacencyItem(type: 0, neighbour: 0, edge: 0)) : bytes + continued
    }
    if start < items.count { chunks.append((start == 0 ? nil : items[start], encode(items[start...]))) }
    return chunks
  }

  /// The bytes `encode` writes for `item` after `previous` (which is below it).
  private static func encodedSize(_ item: AdjacencyItem, after previous: AdjacencyItem) -> Int {
    let typeDelta = item.type &- previous.type
    if typeDelta > 0 { return varintSize(UInt64(typeDelta)) + varintSize(item.neighbour) + varintSize(item.edge) }
    let neighbourDelta = item.neighbour &- previous.neighbour
    return 1 + varintSize(neighbourDelta) + varintSize(neighbourDelta > 0 ? item.edge : item.edge &- previous.edge)
  }

  private static func varintSize(_ v: UInt64) -> Int {
    v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7
  }
}

// MARK: Maintenance inside a write transaction

extension WriteTransaction {
  /// Adds `item` to the adjacency list of `node` in one direction. Returns
  /// false when it was there already.
  @discardableResult
  package func addAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem) throws -> Bool {
    guard let tree = tree(.adjacency) else { throw SombraError.corruption("graph trees missing") }
    return try pages.batch { try addAdjacency(node, outgoing: outgoing, item, tree: tree, in: $0) }
  }

  /// `addAdjacency` reading and writing through `pages` (a batch of a
  /// bigger change).
  func addAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, in pages: some PageMutator) throws -> Bool {
    guard var place = try locate(item, node: node, outgoing: outgoing, tree: tree, in: pages) else {
      try tree.insert(AdjacencyList.groupKey(node, outgoing: outgoing), AdjacencyList.encode([item]), ifPresent: .fail, in: pages)
      return true
    }
    if place.present { return false }
    place.items.insert(item, at: place.at)
    let encoded = AdjacencyList.encode(place.items)
    guard encoded.count > AdjacencyList.chunkLimit, place.items.count >= 2 else {
      try tree.replaceValue(of: place.chunk, with: encoded, in: pages)
      return true
    }
    let half = place.items.count / 2
    try tree.replaceValue(of: place.chunk, with: AdjacencyList.encode(place.items[..<half]), in: pages)
    try tree.insert(
      AdjacencyList.chunkKey(node, outgoing: outgoing, from: place.items[half]), AdjacencyList.encode(place.items[half...]),
      ifPresent: .fail, in: pages)
    return true
  }

  /// Removes `item` from the adjacency list of `node` in one direction.
  /// Returns false when it was not there.
  @discardableResult
  package func removeAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem) throws -> Bool {
    guard let tree = tree(.adjacency) else { return false }
    return try pages.batch { try removeAdjacency(node, outgoing: outgoing, item, tree: tree, in: $0) }
  }

  /// `removeAdjacency` reading and writing through `pages`.
  func removeAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, in pages: some PageMutator) throws -> Bool {
    guard var place = try locate(item, node: node, outgoing: outgoing, tree: tree, in: pages), place.present else { return false }
    place.items.remove(at: place.at)
    if place.items.isEmpty {
      _ = try tree.remove(place.chunk.key, in: pages)
    } else {
      try tree.replaceValue(of: place.chunk, with: AdjacencyList.encode(place.items), in: pages)
    }
    return true
  }

  /// Where `item` belongs in the list of `node`: the chunk whose range holds
  /// it (`floor`), its items, the item's position among them and whether it
  /// is there; nil when the list has no chunk at or below the item.
  private func locate(
    _ item: AdjacencyItem, node: NodeID, outgoing: Bool, tree: BTree, in pages: some PageReader
  ) throws -> (chunk: BTree.Floor, items: [AdjacencyItem], at: Int, present: Bool)? {
    let target = AdjacencyList.chunkKey(node, outgoing: outgoing, from: item)
    guard let chunk = try tree.floor(target, prefix: AdjacencyList.groupKey(node, outgoing: outgoing), in: pages) else { return nil }
    let items = try AdjacencyList.decode(chunk.value)
    let at = lowerBound(item, in: items)
    return (chunk, items, at, at < items.count && items[at] == item)
  }

  private func lowerBound(_ item: AdjacencyItem, in items: [AdjacencyItem]) -> Int {
    var low = 0
    var high = items.count
    while low < high {
      let mid = (low + high) / 2
      if items[mid] < item { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
