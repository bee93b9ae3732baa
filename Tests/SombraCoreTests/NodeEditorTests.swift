import Testing

@testable import SombraCore

/// `NodeEditor.replace`: a cell rewritten with a value of another size keeps
/// its slot and every other cell, and the node's header (content start, dead
/// bytes) accounts for every byte; a cell that cannot grow leaves the page as
/// it was.
@Suite struct NodeEditorTests {
  static let pageSize = 4096
  static let number: PageNumber = 7

  /// A leaf page holding `values` under keys [i] in order, packed by `build`.
  final class Leaf {
    let page = UnsafeMutableRawBufferPointer.allocate(byteCount: NodeEditorTests.pageSize, alignment: 64)
    var values: [[UInt8]]

    init(_ values: [[UInt8]]) throws {
      self.values = values
      page.initializeMemory(as: UInt8.self, repeating: 0)
      let keys = values.indices.map { [UInt8(truncatingIfNeeded: $0)] }
      try withCells(keys, values) { cells in
        try NodeEditor.build(page, number: NodeEditorTests.number, level: 0, rightmost: 0, cells: cells[...])
      }
    }

    deinit { page.deallocate() }

    var node: NodeView {
      get throws { try NodeView(UnsafeRawBufferPointer(page), page: NodeEditorTests.number) }
    }

    /// Replaces value `i`; returns what `replace` did.
    func replace(_ i: Int, with value: [UInt8], fewBytes: Bool = false) throws -> Bool {
      let key = [UInt8(truncatingIfNeeded: i)]
      let done = try key.withUnsafeBytes { k in
        try value.withUnsafeBytes { v in
          try NodeEditor.replace(
            at: i, with: .leaf(key: k, value: v), in: page, number: NodeEditorTests.number, fewBytes: fewBytes)
        }
      }
      if done { values[i] = value }
      return done
    }

    /// Every cell holds its key and value, no two cells overlap, and cells
    /// plus dead bytes fill the cell area exactly.
    func check(_ comment: Comment? = nil) throws {
      let node = try self.node
      #expect(node.count == values.count, comment)
      var spans: [Range<Int>] = []
      for i in 0..<node.count {
        let (key, value) = try node.entry(i)
        #expect(Array(key) == [UInt8(truncatingIfNeeded: i)], comment)
        guard case .inline(let bytes) = value else {
          Issue.record("cell \(i) is not inline")
          continue
        }
        #expect(Array(bytes) == values[i], comment)
        let offset = try node.cellOffset(i)
        spans.append(offset..<offset + (try node.cellSize(at: offset, index: i)))
      }
      spans.sort { $0.lowerBound < $1.lowerBound }
      for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.upperBound <= b.lowerBound, comment) }
      let cellBytes = spans.reduce(0) { $0 + $1.count }
      #expect(cellBytes + node.deadBytes == node.end - node.contentStart, comment)
    }
  }

  static func withCells<R>(_ keys: [[UInt8]], _ values: [[UInt8]], _ body: ([NodeCell]) throws -> R) throws -> R {
    try withCells(keys[...], values[...], [], body)
  }

  private static func withCells<R>(
    _ keys: ArraySlice<[UInt8]>, _ values: ArraySlice<[UInt8]>, _ cells: [NodeCell], _ body: ([NodeCell]) throws -> R
  ) throws -> R {
    guard let key = keys.first, let value = values.first else { return try body(cells) }
    return try key.withUnsafeBytes { k in
      try value.withUnsafeBytes { v in
        try withCells(keys.dropFirst(), values.dropFirst(), cells + [.leaf(key: k, value: v)], body)
      }
    }
  }

  @Test func aGrowingCellSlidesTheCellsBelowItAndLeavesNoDeadBytes() throws {
    let leaf = try Leaf((0..<20).map { [UInt8](repeating: UInt8($0), count: 40) })
    var rng = SplitMix64(seed: 0xED01)
    for round in 0..<200 {
      let i = rng.below(20)
      let before = try leaf.node
      let grown = leaf.values[i] + [UInt8(truncatingIfNeeded: round)]
      guard try leaf.replace(i, with: grown) else { break }
      let after = try leaf.node
      // One more value byte; the value field may take one more byte too.
      let growth =
        BTreeNode.leafCellSize(keyLength: 1, valueLength: grown.count, overflow: false)
        - BTreeNode.leafCellSize(keyLength: 1, valueLength: grown.count - 1, overflow: false)
      #expect(after.contentStart == before.contentStart - growth, "round \(round)")
      #expect(after.deadBytes == 0, "round \(round)")
      try leaf.check("round \(round)")
    }
    #expect(leaf.values.reduce(0) { $0 + $1.count } > 20 * 40 + 150, "most of the 200 growths fitted")
  }

  @Test func aShrinkingCellEndsWhereItDidAndItsSpareBytesAreDeadOrFree() throws {
    let leaf = try Leaf((0..<10).map { [UInt8](repeating: UInt8($0), count: 50) })
    let lowest = 9  // built packed, cell 9 is the lowest
    let startBefore = try leaf.node.contentStart
    #expect(try leaf.replace(lowest, with: [1, 2, 3]))
    #expect(try leaf.node.contentStart == startBefore + 47, "the lowest cell gives its spare bytes back")
    #expect(try leaf.node.deadBytes == 0)
    #expect(try leaf.replace(4, with: [9]))
    #expect(try leaf.node.deadBytes == 49, "a middle cell's spare bytes are dead")
    #expect(try leaf.node.contentStart == startBefore + 47)
    try leaf.check()
  }

  @Test func aCellGrowsIntoDeadBytesAfterACompaction() throws {
    // 18 cells of 201-byte values nearly fill the page; shrinking some makes
    // dead bytes that only a compaction can give to a growing cell.
    let leaf = try Leaf((0..<18).map { [UInt8](repeating: UInt8($0), count: 200) + [UInt8($0)] })
    for i in [2, 5, 8] { #expect(try leaf.replace(i, with: [UInt8(i)])) }
    let before = try leaf.node
    #expect(before.deadBytes > 500)
    let gap = before.contentStart - (BTreeNode.headerSize + 2 * before.count)
    let grown = [UInt8](repeating: 0xAB, count: 200 + gap + 100)
    #expect(grown.count + 6 <= BTreeNode.maxCellSize(pageSize: NodeEditorTests.pageSize))
    #expect(try leaf.replace(11, with: grown))
    #expect(try leaf.node.deadBytes == 0, "compacted")
    try leaf.check()
  }

  /// A header claiming more dead bytes than the page has: the compaction
  /// that should free them does not, and the change is `corruption`, not a
  /// write below the slot array.
  @Test func deadBytesThatAreNotThereAreCorruptionNotAWildWrite() throws {
    for replacing in [true, false] {
      let leaf = try Leaf([[UInt8]](repeating: [UInt8](repeating: 1, count: 990), count: 4) + [[UInt8](repeating: 2, count: 20)])
      leaf.page.putLE(UInt16(900), at: BTreeNode.deadBytesOffset)
      let big = [UInt8](repeating: 3, count: 900)
      do {
        if replacing {
          _ = try leaf.replace(4, with: big)
        } else {
          let key: [UInt8] = [9]
          _ = try key.withUnsafeBytes { k in
            try big.withUnsafeBytes { v in
              try NodeEditor.insert(.leaf(key: k, value: v), at: 5, into: leaf.page, number: NodeEditorTests.number)
            }
          }
        }
        Issue.record("no error (replacing: \(replacing))")
      } catch let error as SombraError {
        #expect(error.code == .corruption)
        #expect(error.page == NodeEditorTests.number)
      }
    }
  }

  @Test func aCellThatCannotGrowLeavesThePageUnchanged() throws {
    let leaf = try Leaf((0..<14).map { [UInt8](repeating: UInt8($0), count: 280) })
    let free = try leaf.node.freeBytes
    let before = Array(leaf.page)
    let tooBig = [UInt8](repeating: 1, count: 280 + free + 1)
    #expect(try !leaf.replace(3, with: tooBig))
    #expect(Array(leaf.page) == before)
    try leaf.check()
  }

  /// With `fewBytes`, a cell that grows and fits the free gap moves to the
  /// top of the gap: only the header, its slot and the new cell's bytes
  /// change, and the old cell's bytes are counted dead. When the gap is used
  /// up, the cell grows by a slide again (compacting first when needed).
  @Test func aGrowingCellMovesToTheGapWhenFewBytesShouldChange() throws {
    let leaf = try Leaf((0..<20).map { [UInt8](repeating: UInt8($0), count: 40) })
    var rng = SplitMix64(seed: 0xED02)
    var moved = 0
    var slid = 0
    for round in 0..<400 {
      let i = rng.below(20)
      let before = try leaf.node
      let bytesBefore = Array(leaf.page)
      let oldOffset = try before.cellOffset(i)
      let oldSize = try before.cellSize(at: oldOffset, index: i)
      let grown = leaf.values[i] + [UInt8(truncatingIfNeeded: round)]
      guard try leaf.replace(i, with: grown, fewBytes: true) else { break }
      let after = try leaf.node
      try leaf.check("round \(round)")
      let newOffset = try after.cellOffset(i)
      let newSize = try after.cellSize(at: newOffset, index: i)
      let gap = before.contentStart - (BTreeNode.headerSize + 2 * before.count)
      if gap >= newSize && oldOffset - before.contentStart > newSize {
        moved += 1
        #expect(newOffset == before.contentStart - newSize, "round \(round)")
        #expect(after.deadBytes == before.deadBytes + oldSize, "round \(round)")
        // Only the header, slot i and the new cell changed.
        let slot = BTreeNode.headerSize + 2 * i
        for (at, (old, new)) in zip(bytesBefore, Array(leaf.page)).enumerated() where old != new {
          let allowed =
            at < BTreeNode.headerSize || (slot..<slot + 2).contains(at) || (newOffset..<newOffset + newSize).contains(at)
          #expect(allowed, "round \(round): byte \(at) changed")
        }
      } else {
        slid += 1
      }
    }
    #expect(moved > 20, "cells moved to the gap (\(moved))")
    #expect(slid > 20, "and slid or compacted once the gap ran out (\(slid))")
  }

  /// The lowest cell, or one with only a short run of cells below it, grows
  /// by the slide even with `fewBytes`: that changes fewer bytes.
  @Test func aCellNearTheGapStillSlides() throws {
    let leaf = try Leaf((0..<10).map { [UInt8](repeating: UInt8($0), count: 30) })
    let before = try leaf.node
    #expect(try leaf.replace(9, with: leaf.values[9] + [1], fewBytes: true))  // the lowest cell
    let after = try leaf.node
    #expect(after.deadBytes == 0)
    #expect(after.contentStart == before.contentStart - 1)
    try leaf.check()
  }
}
