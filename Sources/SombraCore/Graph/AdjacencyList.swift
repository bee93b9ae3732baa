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
      deltas(of: item, after: previous) { w.varint($0) }
      previous = item
    }
    return w.bytes
  }

  /// The three varints that encode `item` after `previous`, which is below it
  /// (the callers keep items sorted, so no delta is negative).
  @inline(__always)
  private static func deltas(of item: AdjacencyItem, after previous: AdjacencyItem, _ emit: (UInt64) -> Void) {
    let typeDelta = item.type - previous.type
    emit(UInt64(typeDelta))
    if typeDelta > 0 {
      emit(item.neighbour)
      emit(item.edge)
    } else {
      let neighbourDelta = item.neighbour - previous.neighbour
      emit(neighbourDelta)
      emit(neighbourDelta > 0 ? item.edge : item.edge - previous.edge)
    }
  }

  /// What `splice` did.
  package enum Splice: Equatable {
    /// The item is in the chunk already; nothing was written.
    case present
    /// The new value, this many bytes, is at the start of the output.
    case written(Int)
    /// The new value would be longer than `chunkLimit` (the chunk must split).
    case overLimit
  }

  /// Bytes `splice` may write: a chunk of `chunkLimit` bytes, one item more
  /// (three varints of at most 10 bytes) and a count one byte longer.
  package static let spliceCapacity = chunkLimit + 31

  /// Writes chunk `value` (empty for a new list) with `item` added to
  /// `output` (`spliceCapacity` bytes), decoding only the items up to it:
  /// the bytes of the items below it and of those after its successor are
  /// copied as they are; the count, the new item and its successor's deltas
  /// are written anew. Malformed bytes up to the insertion point are
  /// `corruption`, as in `forEach`; those after it are copied unread.
  package static func splice(
    _ item: AdjacencyItem, into value: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer
  ) throws -> Splice {
    var previous = AdjacencyItem(type: 0, neighbour: 0, edge: 0)
    var at = value.count  // where the first item above `item` starts (the end when none is)
    var successor: (item: AdjacencyItem, end: Int)?
    var present = false
    // An empty value is a list without items (a new list's first chunk).
    let (count, itemsStart) =
      value.isEmpty
      ? (0, 0)
      : try walk(raw: value) { current, start, end in
        if current < item {
          previous = current
          return true
        }
        present = current == item
        at = start
        successor = (current, end)
        return false
      }
    if present { return .present }
    var out = RawWriter(output)
    out.varint(count + 1)  // count ≤ value.count / 3: no wrap
    out.copy(UnsafeRawBufferPointer(rebasing: value[itemsStart..<at]))
    deltas(of: item, after: previous) { out.varint($0) }
    if let successor {
      deltas(of: successor.item, after: item) { out.varint($0) }
      out.copy(UnsafeRawBufferPointer(rebasing: value[successor.end...]))
    }
    return out.full || out.count > chunkLimit ? .overLimit : .written(out.count)
  }

  /// Appends bytes to a fixed buffer; what does not fit sets `full`.
  private struct RawWriter {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var count = 0
    private(set) var full = false

    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    mutating func varint(_ value: UInt64) {
      var v = value
      repeat {
        guard count < buffer.count else {
          full = true
          return
        }
        buffer[count] = UInt8(truncatingIfNeeded: v) | (v >= 0x80 ? 0x80 : 0)
        count += 1
        v >>= 7
      } while v > 0
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
      guard bytes.count <= buffer.count - count else {
        full = true
        return
      }
      UnsafeMutableRawBufferPointer(rebasing: buffer[count..<count + bytes.count]).copyMemory(from: bytes)
      count += bytes.count
    }
  }

  /// Calls `body` with each item of a chunk value, in order, until it returns
  /// false. Malformed bytes (including items that do not ascend) are `corruption`.
  @inline(__always)
  package static func forEach(raw value: UnsafeRawBufferPointer, _ body: (AdjacencyItem) throws -> Bool) throws {
    _ = try walk(raw: value) { item, _, _ in try body(item) }
  }

  /// `forEach` telling `body` where each item's bytes start and end; returns
  /// the chunk's item count and where its first item starts.
  @inline(__always)
  private static func walk(
    raw value: UnsafeRawBufferPointer, _ body: (AdjacencyItem, _ start: Int, _ end: Int) throws -> Bool
  ) throws -> (count: UInt64, itemsStart: Int) {
    var r = ByteReader(value)
    let count = try r.varint()
    // Each item takes at least three bytes.
    guard count >= 1, count <= UInt64(r.remaining / 3) else {
      throw r.error("an adjacency chunk of \(value.count) bytes claims \(count) items")
    }
    let itemsStart = r.offset
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
      guard try body(item, start, r.offset) else { return (count, itemsStart) }
    }
    guard r.remaining == 0 else { throw r.error("\(r.remaining) bytes after the last adjacency item") }
    return (count, itemsStart)
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
    var size = 0
    deltas(of: item, after: previous) { size += varintSize($0) }
    return size
  }

  private static func varintSize(_ v: UInt64) -> Int {
    v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7
  }
}

// MARK: Maintenance inside a write transaction

/// An adjacency item queued by `createEdge` until `flushAdjacency`; ordered
/// as its chunk key is (node, out before in, item).
struct PendingAdjacency: Comparable {
  var node: NodeID
  var outgoing: Bool
  var item: AdjacencyItem

  static func < (a: PendingAdjacency, b: PendingAdjacency) -> Bool {
    if a.node != b.node { return a.node < b.node }
    if a.outgoing != b.outgoing { return a.outgoing }
    return a.item < b.item
  }
}

/// The leaf the last queued item went to, and the tree's shape then
/// (`PageMutator.allocationsAndFrees`): while the shape is the same, its path
/// still leads to that leaf, and an item whose key lies between the leaf's
/// first and last keys belongs there.
struct AdjacencyLeaf {
  var steps: [BTree.PathStep]
  var stamp: UInt64
}
