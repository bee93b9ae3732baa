#if canImport(Glibc)
  import Glibc
#endif

/// A cell about to be written into a node (byte layouts: `BTreeNode.swift`).
enum NodeCell {
  /// An existing cell, copied verbatim.
  case copy(UnsafeRawBufferPointer)
  /// A leaf cell with its value inline.
  case leaf(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
  /// A leaf cell whose value of `length` bytes starts at overflow page `first`.
  case leafOverflow(key: UnsafeRawBufferPointer, length: Int, first: PageNumber)
  /// An interior cell over a borrowed key.
  case interior(key: UnsafeRawBufferPointer, child: PageNumber)
  /// An interior cell over a key it owns (a separator made by a split).
  case ownedInterior(key: [UInt8], child: PageNumber)

  var size: Int {
    switch self {
    case .copy(let bytes): bytes.count
    case .leaf(let key, let value): BTreeNode.leafCellSize(keyLength: key.count, valueLength: value.count, overflow: false)
    case .leafOverflow(let key, let length, _): BTreeNode.leafCellSize(keyLength: key.count, valueLength: length, overflow: true)
    case .interior(let key, _): BTreeNode.interiorCellHeader + key.count
    case .ownedInterior(let key, _): BTreeNode.interiorCellHeader + key.count
    }
  }

  /// Calls `body` with the cell's key. `.copy` cells were validated by the
  /// `NodeView` they came from; their key length is re-checked anyway.
  func withKey<R>(isLeaf: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    switch self {
    case .copy(let bytes):
      var header = isLeaf ? BTreeNode.minimumLeafCellHeader : BTreeNode.interiorCellHeader
      guard bytes.count >= header else { throw SombraError.corruption("a \(bytes.count)-byte B-tree cell is too short") }
      var length = isLeaf ? Int(bytes[0]) : Int(bytes.le(0, as: UInt16.self))
      if isLeaf {
        header = 1
        if length >= 0x80 {
          length = (length & 0x7F) << 8 | Int(bytes[1])
          header = 2
        }
      }
      guard header + length <= bytes.count else { throw SombraError.corruption("a B-tree cell's key runs past the cell") }
      return try body(UnsafeRawBufferPointer(rebasing: bytes[header..<header + length]))
    case .leaf(let key, _), .leafOverflow(let key, _, _), .interior(let key, _):
      return try body(key)
    case .ownedInterior(let key, _):
      return try key.withUnsafeBytes(body)
    }
  }

  /// The child pointer of an interior cell.
  var child: PageNumber {
    switch self {
    case .copy(let bytes): bytes.count >= 6 ? bytes.le(2) : 0
    case .interior(_, let child), .ownedInterior(_, let child): child
    case .leaf, .leafOverflow: 0
    }
  }

  /// Writes the cell at `offset`; the caller has reserved `size` bytes there.
  func write(to page: UnsafeMutableRawBufferPointer, at offset: Int) {
    switch self {
    case .copy(let bytes):
      UnsafeMutableRawBufferPointer(rebasing: page[offset..<offset + bytes.count]).copyMemory(from: bytes)
    case .leaf(let key, let value):
      let v = BTreeNode.writeLeafCell(page, at: offset, key: key, valueLength: value.count, overflow: false)
      UnsafeMutableRawBufferPointer(rebasing: page[v..<v + value.count]).copyMemory(from: value)
    case .leafOverflow(let key, let length, let first):
      let v = BTreeNode.writeLeafCell(page, at: offset, key: key, valueLength: length, overflow: true)
      page.putLE(first, at: v)
    case .interior(let key, let child):
      writeInterior(page, offset, key: key, child: child)
    case .ownedInterior(let key, let child):
      key.withUnsafeBytes { writeInterior(page, offset, key: $0, child: child) }
    }
  }

  private func writeInterior(_ page: UnsafeMutableRawBufferPointer, _ offset: Int, key: UnsafeRawBufferPointer, child: PageNumber)
  {
    page.putLE(UInt16(truncatingIfNeeded: key.count), at: offset)
    page.putLE(child, at: offset + 2)
    let k = offset + BTreeNode.interiorCellHeader
    UnsafeMutableRawBufferPointer(rebasing: page[k..<k + key.count]).copyMemory(from: key)
  }
}

/// In-place changes to a node page. Each validates the page through `NodeView`
/// first, so a corrupt header or slot is reported, never trusted.
enum NodeEditor {
  /// Inserts `cell` as cell `index`, compacting when the free space is
  /// fragmented. Returns false, changing nothing, when the cell does not fit.
  static func insert(_ cell: NodeCell, at index: Int, into page: UnsafeMutableRawBufferPointer, number: PageNumber) throws -> Bool
  {
    var node = try NodeView(UnsafeRawBufferPointer(page), page: number)
    guard index >= 0, index <= node.count else {
      throw SombraError.corruption(
        "B-tree node \(number): insert position \(index) outside its \(node.count) cells", page: number)
    }
    let size = cell.size
    guard size + 2 <= node.freeBytes else { return false }
    if node.contentStart - (BTreeNode.headerSize + 2 * (node.count + 1)) < size {
      try compact(page, number: number)
      node = try NodeView(UnsafeRawBufferPointer(page), page: number)
      try requireGap(size, slots: node.count + 1, in: node)
    }
    let offset = node.contentStart - size
    cell.write(to: page, at: offset)
    let slot = BTreeNode.headerSize + 2 * index
    try move(page, number: number, from: slot, to: slot + 2, count: 2 * (node.count - index))
    // offset < P ≤ 65536 and count + 1 ≤ usable / 2: both fit 16 bits.
    page.putLE(UInt16(truncatingIfNeeded: offset), at: slot)
    page.putLE(UInt16(truncatingIfNeeded: node.count + 1), at: BTreeNode.countOffset)
    page.putLE(UInt16(truncatingIfNeeded: offset), at: BTreeNode.contentStartOffset)
    return true
  }

  /// Replaces cell `index` by `cell` (same slot, so the caller keeps the key
  /// order). A smaller cell is written where the old one ended; a bigger one
  /// (unless `fewBytes` moves it, below) makes room by sliding the cells
  /// stored below the old one down by the growth, compacting first only when the free gap is smaller than that, so
  /// a value that grows a little at a time (an adjacency chunk) costs a short
  /// move instead of a whole-page compaction every few updates. Returns false,
  /// changing nothing, when the page cannot hold the new cell. The cell's
  /// bytes must not lie in `page`.
  ///
  /// With `fewBytes` (a transaction whose commit logs only the bytes that
  /// changed) a bigger cell that fits the free gap is written at the top of
  /// the gap instead, and its old bytes become dead, when the slide would
  /// rewrite more bytes than the cell has: the page then changes by the cell,
  /// one slot and the header.
  static func replace(
    at index: Int, with cell: NodeCell, in page: UnsafeMutableRawBufferPointer, number: PageNumber, fewBytes: Bool = false
  ) throws -> Bool {
    var node = try NodeView(UnsafeRawBufferPointer(page), page: number)
    var offset = try node.cellOffset(index)
    let oldSize = try node.cellSize(at: offset, index: index)
    let size = cell.size
    guard size > oldSize else {
      let freed = oldSize - size
      cell.write(to: page, at: offset + freed)
      page.putLE(UInt16(truncatingIfNeeded: offset + freed), at: BTreeNode.headerSize + 2 * index)
      if offset == node.contentStart {
        page.putLE(UInt16(truncatingIfNeeded: node.contentStart + freed), at: BTreeNode.contentStartOffset)
      } else {
        page.putLE(UInt16(truncatingIfNeeded: node.deadBytes + freed), at: BTreeNode.deadBytesOffset)
      }
      return true
    }
    let growth = size - oldSize
    guard growth <= node.freeBytes else { return false }
    let gap = node.contentStart - (BTreeNode.headerSize + 2 * node.count)
    if fewBytes, gap >= size, offset - node.contentStart > size {
      let at = node.contentStart - size
      cell.write(to: page, at: at)
      // at < P ≤ 65536; dead bytes stay within the page's usable bytes.
      page.putLE(UInt16(truncatingIfNeeded: at), at: BTreeNode.headerSize + 2 * index)
      page.putLE(UInt16(truncatingIfNeeded: at), at: BTreeNode.contentStartOffset)
      page.putLE(UInt16(truncatingIfNeeded: node.deadBytes + oldSize), at: BTreeNode.deadBytesOffset)
      return true
    }
    if gap < growth {
      try compact(page, number: number)
      node = try NodeView(UnsafeRawBufferPointer(page), page: number)
      offset = try node.cellOffset(index)
      try requireGap(growth, slots: node.count, in: node)
    }
    // Cells never overlap, so every cell stored below this one lies in
    // [contentStart, offset): that block slides down and its slots follow.
    let start = node.contentStart
    try move(page, number: number, from: start, to: start - growth, count: offset - start)
    guard let base = page.baseAddress else { return false }
    // Offsets are below 2^16, and those that move are ≥ contentStart > growth.
    let limit = UInt16(truncatingIfNeeded: offset)
    let delta = UInt16(truncatingIfNeeded: growth)
    (base + BTreeNode.headerSize).withMemoryRebound(to: UInt16.self, capacity: node.count) { slots in
      for i in 0..<node.count {
        let at = UInt16(littleEndian: slots[i])
        slots[i] = (at < limit ? at &- delta : at).littleEndian
      }
    }
    cell.write(to: page, at: offset - growth)
    page.putLE(UInt16(truncatingIfNeeded: offset - growth), at: BTreeNode.headerSize + 2 * index)
    page.putLE(UInt16(truncatingIfNeeded: start - growth), at: BTreeNode.contentStartOffset)
    return true
  }

  /// After a compaction the free space is one gap; when it is smaller than
  /// the header's dead bytes promised, the header lied: `corruption`.
  private static func requireGap(_ bytes: Int, slots: Int, in node: NodeView) throws {
    guard node.contentStart - (BTreeNode.headerSize + 2 * slots) >= bytes else {
      throw SombraError.corruption(
        "B-tree node \(node.page): its dead-byte count is more than compaction frees", page: node.page,
        offset: UInt64(BTreeNode.deadBytesOffset))
    }
  }

  /// Removes cell `index`, leaving its bytes dead (or reclaiming them when they
  /// are the lowest cell).
  static func remove(at index: Int, from page: UnsafeMutableRawBufferPointer, number: PageNumber) throws {
    let node = try NodeView(UnsafeRawBufferPointer(page), page: number)
    let offset = try node.cellOffset(index)
    let size = try node.cellSize(at: offset, index: index)
    let slot = BTreeNode.headerSize + 2 * index
    try move(page, number: number, from: slot + 2, to: slot, count: 2 * (node.count - index - 1))
    let count = node.count - 1
    var contentStart = node.contentStart
    var dead = node.deadBytes
    if count == 0 {
      contentStart = node.end
      dead = 0
    } else if offset == contentStart {
      contentStart += size
    } else {
      dead += size
    }
    page.putLE(UInt16(truncatingIfNeeded: count), at: BTreeNode.countOffset)
    page.putLE(UInt16(truncatingIfNeeded: contentStart), at: BTreeNode.contentStartOffset)
    page.putLE(UInt16(truncatingIfNeeded: dead), at: BTreeNode.deadBytesOffset)
  }

  /// Points child `index` (0...count; count is the rightmost) of an interior node at `child`.
  static func setChild(_ index: Int, to child: PageNumber, in page: UnsafeMutableRawBufferPointer, number: PageNumber) throws {
    let node = try NodeView(UnsafeRawBufferPointer(page), page: number)
    guard !node.isLeaf else {
      throw SombraError.corruption("B-tree node \(number) is a leaf where an interior node was expected", page: number)
    }
    if index == node.count {
      page.putLE(child, at: BTreeNode.rightmostOffset)
    } else {
      page.putLE(child, at: try node.cellOffset(index) + 2)
    }
  }

  /// Rewrites the page as a node holding `cells` in order, keeping its number.
  static func build(
    _ page: UnsafeMutableRawBufferPointer, number: PageNumber, level: Int, rightmost: PageNumber, cells: ArraySlice<NodeCell>
  ) throws {
    let usable = BTreeNode.usable(pageSize: page.count)
    var total = 0
    for cell in cells { total += cell.size + 2 }
    guard total <= usable, level <= BTreeNode.maxLevel else {
      throw SombraError.corruption(
        "B-tree node \(number): \(cells.count) cells of \(total) bytes do not fit one page (oversized cells)", page: number)
    }
    PageLayout.format(page, type: level == 0 ? .btreeLeaf : .btreeInterior, number: number)
    page[BTreeNode.levelOffset] = UInt8(truncatingIfNeeded: level)
    var offset = page.count - PageLayout.trailerSize
    var slot = BTreeNode.headerSize
    for cell in cells {
      offset -= cell.size
      cell.write(to: page, at: offset)
      page.putLE(UInt16(truncatingIfNeeded: offset), at: slot)
      slot += 2
    }
    page.putLE(UInt16(truncatingIfNeeded: cells.count), at: BTreeNode.countOffset)
    page.putLE(UInt16(truncatingIfNeeded: offset), at: BTreeNode.contentStartOffset)
    page.putLE(level == 0 ? 0 : rightmost, at: BTreeNode.rightmostOffset)
  }

  /// Packs the cells against the end of the page so the free space is contiguous.
  static func compact(_ page: UnsafeMutableRawBufferPointer, number: PageNumber) throws {
    try withUnsafeTemporaryAllocation(byteCount: page.count, alignment: 16) { scratch in
      scratch.copyMemory(from: UnsafeRawBufferPointer(page))
      let node = try NodeView(UnsafeRawBufferPointer(scratch), page: number)
      var offset = node.end
      for i in 0..<node.count {
        let cell = try node.cell(i)
        guard offset - cell.count >= BTreeNode.headerSize + 2 * node.count else {
          throw SombraError.corruption("B-tree node \(number): its cells overlap (they do not fit when packed)", page: number)
        }
        offset -= cell.count
        UnsafeMutableRawBufferPointer(rebasing: page[offset..<offset + cell.count]).copyMemory(from: cell)
        page.putLE(UInt16(truncatingIfNeeded: offset), at: BTreeNode.headerSize + 2 * i)
      }
      page.putLE(UInt16(truncatingIfNeeded: offset), at: BTreeNode.contentStartOffset)
      page.putLE(UInt16(0), at: BTreeNode.deadBytesOffset)
    }
  }

  /// memmove within a page; ranges were derived from a validated `NodeView`.
  private static func move(_ page: UnsafeMutableRawBufferPointer, number: PageNumber, from: Int, to: Int, count: Int) throws {
    guard count > 0 else { return }
    guard let base = page.baseAddress, from >= 0, to >= 0, from + count <= page.count, to + count <= page.count else {
      throw SombraError.corruption(
        "B-tree node \(number): moving \(count) bytes from offset \(from) to \(to) leaves the page", page: number,
        offset: UInt64(max(0, from)))
    }
    memmove(base + to, base + from, count)
  }
}
