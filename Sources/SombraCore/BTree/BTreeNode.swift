#if canImport(Glibc)
  import Glibc
#endif

/// A B+tree node: a slotted page. All integers little-endian; page size P.
///
/// | offset        | size | meaning                                                    |
/// |---------------|------|------------------------------------------------------------|
/// | 0             | 1    | page type: 0x02 leaf, 0x03 interior                        |
/// | 1             | 1    | level: 0 for a leaf, 1 + its children's level otherwise (≤ 31) |
/// | 2             | 2    | n: number of cells                                         |
/// | 4             | 4    | this page's number (page envelope)                         |
/// | 8             | 2    | content start: lowest cell byte (P-4 when n = 0)           |
/// | 10            | 2    | dead bytes between content start and P-4 (freed cells)    |
/// | 12            | 4    | interior: rightmost child (keys ≥ the last separator); leaf: 0 |
/// | 16            | 2n   | slot array: u16 offset of cell i, in ascending key order   |
/// | 16+2n         | ...  | free space                                                 |
/// | content start | ...  | cells, in any order, and dead bytes                        |
/// | P-4           | 4    | CRC-32C trailer (sealed by the pager)                      |
///
/// Leaf cell (one key and its value), sized to what it holds:
///
/// | offset  | size     | meaning                                                   |
/// |---------|----------|-----------------------------------------------------------|
/// | 0       | 1 or 2   | key length k (≤ `maxKeySize`): one byte k when k < 0x80,  |
/// |         |          | else two bytes 0x80 \| k >> 8, k & 0xFF                    |
/// | a       | k        | key bytes                                                 |
/// | a+k     | 1...5    | value field: LEB128 varint of v << 1 \| overflow flag,    |
/// |         |          | v = the whole value's length (< 2^31)                     |
/// | b       | v or 4   | the value, or (overflow) the chain's first page (u32)     |
///
/// Interior cell (separator i with child i):
///
/// | offset | size | meaning                                                       |
/// |--------|------|---------------------------------------------------------------|
/// | 0      | 2    | key length k                                                  |
/// | 2      | 4    | child page: its keys are < this key and ≥ the previous key    |
/// | 6      | k    | separator key bytes                                           |
///
/// Keys compare as unsigned bytes, shorter first on a common prefix. Child i of an
/// interior node holds the keys in [key(i-1), key(i)); the rightmost child those
/// ≥ key(n-1). Separators are the shortest prefixes that divide two leaves, so a
/// separator need not be a key in the tree.
///
/// Size rules (P = page size): usable = P - 20; a cell is at most P/4 - 21 bytes
/// so that every node holds at least 4 cells with their slots; keys are at most
/// P/4 - 32 bytes (992 at 4096, 2016 at 8192), and a value is stored inline
/// when its leaf cell (`leafCellSize`) fits in P/4 - 21 bytes, else in an
/// overflow chain.
enum BTreeNode {
  static let headerSize = 16
  static let countOffset = 2
  static let levelOffset = 1
  static let contentStartOffset = 8
  static let deadBytesOffset = 10
  static let rightmostOffset = 12
  /// The smallest leaf cell header: a one-byte key length and value field.
  static let minimumLeafCellHeader = 2
  static let interiorCellHeader = 6
  /// Levels 0...31: at most 32 pages from the root to a leaf.
  static let maxLevel = BTree.maxDepth - 1

  /// The largest key for a page size: P/4 - 32 bytes.
  static func maxKeySize(pageSize: Int) -> Int { pageSize / 4 - 32 }
  /// The largest cell for a page size: P/4 - 21 bytes.
  static func maxCellSize(pageSize: Int) -> Int { pageSize / 4 - 21 }
  /// Bytes for cells and slots in a node.
  static func usable(pageSize: Int) -> Int { pageSize - PageLayout.trailerSize - headerSize }

  /// Bytes of a leaf cell's key-length field.
  @inline(__always)
  static func keyLengthSize(_ k: Int) -> Int { k < 0x80 ? 1 : 2 }

  /// Bytes of a leaf cell's value field for a value of `length` bytes.
  @inline(__always)
  static func valueFieldSize(_ length: Int, overflow: Bool) -> Int {
    let field = UInt64(length) << 1 | (overflow ? 1 : 0)
    return (64 - max(1, field).leadingZeroBitCount + 6) / 7
  }

  /// The size of a leaf cell with a `k`-byte key and a `v`-byte value kept
  /// inline, or (overflow) in a chain.
  @inline(__always)
  static func leafCellSize(keyLength k: Int, valueLength v: Int, overflow: Bool) -> Int {
    keyLengthSize(k) + k + valueFieldSize(v, overflow: overflow) + (overflow ? 4 : v)
  }

  /// Writes a leaf cell's header fields and key at `offset` and returns where
  /// the value (or the overflow page number) goes. The caller reserved
  /// `leafCellSize` bytes; k ≤ maxKeySize < 2^15 and v < 2^31 were checked at the API.
  static func writeLeafCell(
    _ page: UnsafeMutableRawBufferPointer, at offset: Int, key: UnsafeRawBufferPointer, valueLength v: Int, overflow: Bool
  ) -> Int {
    var at = offset
    let k = key.count
    if k < 0x80 {
      page[at] = UInt8(truncatingIfNeeded: k)
      at += 1
    } else {
      page[at] = 0x80 | UInt8(truncatingIfNeeded: k >> 8)
      page[at + 1] = UInt8(truncatingIfNeeded: k)
      at += 2
    }
    UnsafeMutableRawBufferPointer(rebasing: page[at..<at + k]).copyMemory(from: key)
    at += k
    var field = UInt64(v) << 1 | (overflow ? 1 : 0)
    while field >= 0x80 {
      page[at] = UInt8(truncatingIfNeeded: field) | 0x80
      field >>= 7
      at += 1
    }
    page[at] = UInt8(truncatingIfNeeded: field)
    return at + 1
  }
}

/// A leaf cell's parsed header: where its key and value lie in the page.
struct LeafCellLayout {
  var keyStart: Int
  var keyLength: Int
  var valueStart: Int
  /// The whole value's length (inline or in the chain).
  var valueLength: Int
  var overflow: Bool
  var size: Int
}

/// Unsigned lexicographic order of two byte strings (as memcmp, then length).
/// Compares eight bytes at a time as big-endian words, inline: the graph's keys
/// are 8 to 29 bytes, where a call to memcmp costs more than the comparison.
@inline(__always)
func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let n = min(a.count, b.count)
  var i = 0
  while n - i >= 8 {
    let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    if x != y { return x < y ? -1 : 1 }
    i += 8
  }
  while i < n {
    let x = a[i]
    let y = b[i]
    if x != y { return x < y ? -1 : 1 }
    i += 1
  }
  return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

/// Where a leaf keeps a value.
enum LeafValue {
  case inline(UnsafeRawBufferPointer)
  case overflow(first: PageNumber, length: Int)
}

/// A validated read-only view of a node page. The header is checked when the view
/// is made; each cell is checked when it is used, so a lookup touches only the
/// cells its binary search visits. Every failure is `corruption` naming the page.
struct NodeView {
  let bytes: UnsafeRawBufferPointer
  let page: PageNumber
  let isLeaf: Bool
  let level: Int
  let count: Int
  let contentStart: Int
  let deadBytes: Int
  /// First byte of the trailer: cells end here.
  let end: Int

  init(_ bytes: UnsafeRawBufferPointer, page: PageNumber) throws {
    self.bytes = bytes
    self.page = page
    guard bytes.count >= PageLayout.minimumPageSize else {
      throw SombraError.corruption("page \(page) is \(bytes.count) bytes, too small for a B-tree node", page: page)
    }
    let type = bytes[PageLayout.typeOffset]
    switch type {
    case PageType.btreeLeaf.rawValue: isLeaf = true
    case PageType.btreeInterior.rawValue: isLeaf = false
    default:
      let name = PageType(rawValue: type)?.name ?? "unknown (0x\(PageLayout.hex(type)))"
      throw SombraError.corruption("page \(page) is a \(name) page where a B-tree node was expected", page: page, offset: 0)
    }
    level = Int(bytes[BTreeNode.levelOffset])
    guard level <= BTreeNode.maxLevel, isLeaf == (level == 0) else {
      throw SombraError.corruption(
        "B-tree \(isLeaf ? "leaf" : "interior node") \(page) has level \(level)", page: page,
        offset: UInt64(BTreeNode.levelOffset))
    }
    count = Int(bytes.le(BTreeNode.countOffset, as: UInt16.self))
    contentStart = Int(bytes.le(BTreeNode.contentStartOffset, as: UInt16.self))
    deadBytes = Int(bytes.le(BTreeNode.deadBytesOffset, as: UInt16.self))
    end = bytes.count - PageLayout.trailerSize
    let slotsEnd = BTreeNode.headerSize + 2 * count
    guard slotsEnd <= contentStart, contentStart <= end else {
      throw SombraError.corruption(
        "B-tree node \(page): \(count) slots and content start \(contentStart) do not fit the page",
        page: page, offset: UInt64(BTreeNode.countOffset))
    }
    guard deadBytes <= end - contentStart else {
      throw SombraError.corruption(
        "B-tree node \(page) claims \(deadBytes) dead bytes in a \(end - contentStart)-byte cell area",
        page: page, offset: UInt64(BTreeNode.deadBytesOffset))
    }
  }

  /// Checks that this node is what its parent's pointer promised.
  func expect(level expected: Int, parent: PageNumber) throws {
    guard level == expected else {
      throw SombraError.corruption(
        "page \(parent) points at child \(page) of level \(level) where level \(expected) belongs (bad child pointer or cycle)",
        page: parent)
    }
  }

  var maxKeySize: Int { BTreeNode.maxKeySize(pageSize: bytes.count) }
  var maxCellSize: Int { BTreeNode.maxCellSize(pageSize: bytes.count) }
  /// Bytes of cells and slots in use.
  var usedBytes: Int { end - contentStart - deadBytes + 2 * count }
  /// Bytes a new cell and its slot can take, after compaction.
  var freeBytes: Int { contentStart - BTreeNode.headerSize - 2 * count + deadBytes }

  private func fail(_ what: String, at offset: Int) -> SombraError {
    .corruption("B-tree node \(page): \(what)", page: page, offset: UInt64(max(0, offset)))
  }

  /// The offset of cell `i` (0..<count), checked to start inside the cell area.
  @inline(__always)
  func cellOffset(_ i: Int) throws -> Int {
    let slot = BTreeNode.headerSize + 2 * i
    guard i >= 0, i < count else { throw fail("cell \(i) requested of \(count)", at: slot) }
    let offset = Int(bytes.le(slot, as: UInt16.self))
    let header = isLeaf ? BTreeNode.minimumLeafCellHeader : BTreeNode.interiorCellHeader
    guard offset >= contentStart, offset + header <= end else {
      throw fail("cell \(i) at offset \(offset) lies outside the cell area [\(contentStart), \(end))", at: slot)
    }
    return offset
  }

  /// The key of cell `i`, borrowed from the page.
  @inline(__always)
  func key(_ i: Int) throws -> UnsafeRawBufferPointer {
    let offset = try cellOffset(i)
    let length: Int
    let start: Int
    if isLeaf {
      let first = Int(bytes[offset])
      if first < 0x80 {
        (length, start) = (first, offset + 1)
      } else {
        // cellOffset left at least two bytes before the trailer.
        (length, start) = ((first & 0x7F) << 8 | Int(bytes[offset + 1]), offset + 2)
      }
    } else {
      (length, start) = (Int(bytes.le(offset, as: UInt16.self)), offset + BTreeNode.interiorCellHeader)
    }
    guard length <= maxKeySize, start + length <= end else {
      throw fail("key of cell \(i) is \(length) bytes, past the page end or the \(maxKeySize)-byte limit", at: offset)
    }
    return UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
  }

  /// The whole of cell `i`, checked against the page and the cell size limit.
  func cell(_ i: Int) throws -> UnsafeRawBufferPointer {
    let offset = try cellOffset(i)
    let size = try cellSize(at: offset, index: i)
    return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + size])
  }

  /// The size of the cell at `offset`, validated to end inside the page.
  func cellSize(at offset: Int, index i: Int) throws -> Int {
    if isLeaf { return try leafCell(at: offset, index: i).size }
    let keyLength = Int(bytes.le(offset, as: UInt16.self))
    guard keyLength <= maxKeySize else {
      throw fail("key of cell \(i) is \(keyLength) bytes, over the \(maxKeySize)-byte limit", at: offset)
    }
    let size = BTreeNode.interiorCellHeader + keyLength
    guard size <= maxCellSize, offset + size <= end else {
      throw fail(
        "cell \(i) of \(size) bytes at offset \(offset) runs past the page end or the \(maxCellSize)-byte cell limit", at: offset)
    }
    return size
  }

  /// Parses the leaf cell at `offset` (cell `i`): every field is checked to lie
  /// inside the page and within the size limits, and an overflow cell must
  /// hold a value too long to be inline.
  @inline(__always)
  func leafCell(at offset: Int, index i: Int) throws -> LeafCellLayout {
    var at = offset
    var keyLength = Int(bytes[at])
    at += 1
    if keyLength >= 0x80 {
      guard at < end else { throw fail("cell \(i)'s key length runs past the page end", at: offset) }
      keyLength = (keyLength & 0x7F) << 8 | Int(bytes[at])
      at += 1
    }
    guard keyLength <= maxKeySize else {
      throw fail("key of cell \(i) is \(keyLength) bytes, over the \(maxKeySize)-byte limit", at: offset)
    }
    let keyStart = at
    at += keyLength
    var field: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard at < end else { throw fail("cell \(i)'s value length runs past the page end", at: offset) }
      let byte = bytes[at]
      at += 1
      field |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { break }
      shift += 7
      guard shift < 35 else { throw fail("cell \(i)'s value length field is longer than 5 bytes", at: offset) }
    }
    let overflow = field & 1 != 0
    guard let valueLength = Int(exactly: field >> 1), valueLength <= BTree.maxValueSize else {
      throw fail("cell \(i) claims a \(field >> 1)-byte value", at: offset)
    }
    let size = at - offset + (overflow ? 4 : valueLength)
    guard size <= maxCellSize, offset + size <= end else {
      throw fail(
        "cell \(i) of \(size) bytes at offset \(offset) runs past the page end or the \(maxCellSize)-byte cell limit", at: offset)
    }
    if overflow, BTreeNode.leafCellSize(keyLength: keyLength, valueLength: valueLength, overflow: false) <= maxCellSize {
      throw fail("cell \(i) keeps a \(valueLength)-byte value in an overflow chain although it fits inline", at: offset)
    }
    return LeafCellLayout(
      keyStart: keyStart, keyLength: keyLength, valueStart: at, valueLength: valueLength, overflow: overflow, size: size)
  }

  /// The value of leaf cell `i`.
  func value(_ i: Int) throws -> LeafValue {
    try entry(i).value
  }

  /// Leaf cell `i`'s key and value, validated as `key(_:)` and `value(_:)` do,
  /// reading the cell header once (the scans' per-entry step).
  @inline(__always)
  func entry(_ i: Int) throws -> (key: UnsafeRawBufferPointer, value: LeafValue) {
    let offset = try cellOffset(i)
    let cell = try leafCell(at: offset, index: i)
    let key = UnsafeRawBufferPointer(rebasing: bytes[cell.keyStart..<cell.keyStart + cell.keyLength])
    if cell.overflow {
      let first: PageNumber = bytes.le(cell.valueStart)
      return (key, .overflow(first: first, length: cell.valueLength))
    }
    return (key, .inline(UnsafeRawBufferPointer(rebasing: bytes[cell.valueStart..<cell.valueStart + cell.valueLength])))
  }

  /// Child `i` (0...count; `count` is the rightmost), checked to be a page of the
  /// database other than the header and this node.
  func child(_ i: Int, pageCount: UInt32) throws -> PageNumber {
    let at: Int
    if i == count {
      at = BTreeNode.rightmostOffset
    } else {
      at = try cellOffset(i) + 2
    }
    let child: PageNumber = bytes.le(at)
    guard child != 0, child < pageCount, child != page else {
      throw fail("child \(i) points at page \(child), not a node page of the \(pageCount)-page database", at: at)
    }
    return child
  }

  /// Leaf: the first cell whose key is ≥ `target`, and whether it is equal.
  func lowerBound(_ target: UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
    var low = 0
    var high = count
    while low < high {
      let mid = (low &+ high) >> 1  // both in 0...count ≤ 65535: cannot wrap
      let c = compareKeys(try key(mid), target)
      if c < 0 {
        low = mid + 1
      } else if c > 0 {
        high = mid
      } else {
        return (mid, true)
      }
    }
    return (low, false)
  }

  /// `lowerBound`, looking at the last key first: sequential inserts (bulk
  /// loads, ids in order) land after it, and then one comparison does.
  @inline(__always)
  func lowerBound(likelyAfterLast target: UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
    if count > 0, compareKeys(try key(count - 1), target) < 0 { return (count, false) }
    return try lowerBound(target)
  }

  /// `childIndex(for:)`, looking at the last separator first (see above).
  @inline(__always)
  func childIndex(likelyAfterLast target: UnsafeRawBufferPointer) throws -> Int {
    if count > 0, compareKeys(try key(count - 1), target) <= 0 { return count }
    return try childIndex(for: target)
  }

  /// Interior: the child whose range holds `target` (first separator > target).
  func childIndex(for target: UnsafeRawBufferPointer) throws -> Int {
    var low = 0
    var high = count
    while low < high {
      let mid = (low &+ high) >> 1  // as in lowerBound
      if compareKeys(try key(mid), target) <= 0 { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
