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
/// Leaf cell (one key and its value):
///
/// | offset | size     | meaning                                                   |
/// |--------|----------|-----------------------------------------------------------|
/// | 0      | 2        | key length k (≤ `maxKeySize`)                             |
/// | 2      | 1        | flags: bit 0 = the value lives in an overflow chain       |
/// | 3      | 4        | value length v (the whole value, inline or not)           |
/// | 7      | k        | key bytes                                                 |
/// | 7+k    | v or 4   | the value, or (overflow) the chain's first page (u32)     |
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
/// so that every node holds at least 4 cells with their slots; hence keys are at
/// most P/4 - 32 bytes (992 at 4096, 2016 at 8192), and a value is stored inline
/// when its leaf cell fits in P/4 - 21 bytes, else in an overflow chain.
enum BTreeNode {
  static let headerSize = 16
  static let countOffset = 2
  static let levelOffset = 1
  static let contentStartOffset = 8
  static let deadBytesOffset = 10
  static let rightmostOffset = 12
  static let leafCellHeader = 7
  static let interiorCellHeader = 6
  static let overflowFlag: UInt8 = 1
  /// Levels 0...31: at most 32 pages from the root to a leaf.
  static let maxLevel = BTree.maxDepth - 1

  /// The largest key for a page size: P/4 - 32 bytes.
  static func maxKeySize(pageSize: Int) -> Int { pageSize / 4 - 32 }
  /// The largest cell for a page size: P/4 - 21 bytes.
  static func maxCellSize(pageSize: Int) -> Int { pageSize / 4 - 21 }
  /// Bytes for cells and slots in a node.
  static func usable(pageSize: Int) -> Int { pageSize - PageLayout.trailerSize - headerSize }
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
        "B-tree \(isLeaf ? "leaf" : "interior node") \(page) has level \(level)", page: page, offset: UInt64(BTreeNode.levelOffset))
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
    let header = isLeaf ? BTreeNode.leafCellHeader : BTreeNode.interiorCellHeader
    guard offset >= contentStart, offset + header <= end else {
      throw fail("cell \(i) at offset \(offset) lies outside the cell area [\(contentStart), \(end))", at: slot)
    }
    return offset
  }

  /// The key of cell `i`, borrowed from the page.
  @inline(__always)
  func key(_ i: Int) throws -> UnsafeRawBufferPointer {
    let offset = try cellOffset(i)
    let length = Int(bytes.le(offset, as: UInt16.self))
    let start = offset + (isLeaf ? BTreeNode.leafCellHeader : BTreeNode.interiorCellHeader)
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
    let keyLength = Int(bytes.le(offset, as: UInt16.self))
    guard keyLength <= maxKeySize else { throw fail("key of cell \(i) is \(keyLength) bytes, over the \(maxKeySize)-byte limit", at: offset) }
    let size: Int
    if isLeaf {
      let flags = bytes[offset + 2]
      let valueLength = Int(bytes.le(offset + 3, as: UInt32.self))
      guard flags & ~BTreeNode.overflowFlag == 0 else { throw fail("cell \(i) has unknown flags 0x\(PageLayout.hex(flags))", at: offset + 2) }
      size = BTreeNode.leafCellHeader + keyLength + (flags & BTreeNode.overflowFlag != 0 ? 4 : valueLength)
    } else {
      size = BTreeNode.interiorCellHeader + keyLength
    }
    guard size <= maxCellSize, offset + size <= end else {
      throw fail("cell \(i) of \(size) bytes at offset \(offset) runs past the page end or the \(maxCellSize)-byte cell limit", at: offset)
    }
    return size
  }

  /// The value of leaf cell `i`.
  func value(_ i: Int) throws -> LeafValue {
    let offset = try cellOffset(i)
    _ = try cellSize(at: offset, index: i)
    let keyLength = Int(bytes.le(offset, as: UInt16.self))
    let valueLength = Int(bytes.le(offset + 3, as: UInt32.self))
    let start = offset + BTreeNode.leafCellHeader + keyLength
    if bytes[offset + 2] & BTreeNode.overflowFlag != 0 {
      let first: PageNumber = bytes.le(start)
      guard valueLength > BTreeNode.maxCellSize(pageSize: bytes.count) - BTreeNode.leafCellHeader - keyLength else {
        throw fail("cell \(i) keeps a \(valueLength)-byte value in an overflow chain although it fits inline", at: offset + 3)
      }
      return .overflow(first: first, length: valueLength)
    }
    return .inline(UnsafeRawBufferPointer(rebasing: bytes[start..<start + valueLength]))
  }

  /// Leaf cell `i`'s key and value, validated as `key(_:)` and `value(_:)` do,
  /// reading the cell header once (the scans' per-entry step).
  @inline(__always)
  func entry(_ i: Int) throws -> (key: UnsafeRawBufferPointer, value: LeafValue) {
    let offset = try cellOffset(i)
    _ = try cellSize(at: offset, index: i)  // the whole cell lies inside the page
    let keyLength = Int(bytes.le(offset, as: UInt16.self))
    let valueLength = Int(bytes.le(offset + 3, as: UInt32.self))
    let start = offset + BTreeNode.leafCellHeader
    let key = UnsafeRawBufferPointer(rebasing: bytes[start..<start + keyLength])
    let valueStart = start + keyLength
    if bytes[offset + 2] & BTreeNode.overflowFlag != 0 {
      let first: PageNumber = bytes.le(valueStart)
      guard valueLength > BTreeNode.maxCellSize(pageSize: bytes.count) - BTreeNode.leafCellHeader - keyLength else {
        throw fail("cell \(i) keeps a \(valueLength)-byte value in an overflow chain although it fits inline", at: offset + 3)
      }
      return (key, .overflow(first: first, length: valueLength))
    }
    return (key, .inline(UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueStart + valueLength])))
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
