import Testing

@testable import SombraCore

/// `BTree.insert(appending:...)`: the hints of ascending runs in bulk loads.
@Suite struct BTreeAppendTests {
  /// One hinted append in its own batch; true when the key was new.
  private func append(_ key: [UInt8], _ value: [UInt8], to f: BTreeFixture, hint: inout BTree.AppendHint?, in w: PageWriter)
    throws -> Bool
  {
    try w.batch { b throws -> Bool in
      try key.withUnsafeBytes { k throws -> Bool in
        try value.withUnsafeBytes { v throws -> Bool in try f.tree.insert(appending: k, v, ifPresent: .fail, hint: &hint, in: b) }
      }
    }
  }

  /// Ascending inserts mixed with deletes (merges, redistributions), inserts
  /// behind the right edge and overflow values (page allocations), applied
  /// with ordinary inserts to one tree and hinted appends to the other.
  private func build(hinted: Bool) throws -> BTreeFixture {
    let f = try BTreeFixture()
    try f.write { w throws in
      var hint: BTree.AppendHint? = nil
      for i in 0..<4000 {
        let key = bigEndianKey(2 * i)
        let value = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: i % 500 == 499 ? 3000 : i % 40)
        if hinted {
          #expect(try append(key, value, to: f, hint: &hint, in: w))
        } else {
          #expect(try f.tree.insert(key, value, ifPresent: .fail, in: w))
        }
        if i % 3 == 2 { #expect(try f.tree.remove(bigEndianKey(2 * (i - 2)), in: w)) }
        if i % 11 == 10 { try f.tree.insert(bigEndianKey(2 * (i - 10) + 1), [1, 2, 3], in: w) }
        if i % 997 == 996 {
          for j in (i - 300)..<(i - 5) { _ = try f.tree.remove(bigEndianKey(2 * j), in: w) }
        }
      }
    }
    return f
  }

  /// Both trees hold the same keys in byte-identical pages, and `hinted` is sound.
  private func expectSamePages(_ plain: BTreeFixture, _ hinted: BTreeFixture, sourceLocation: SourceLocation = #_sourceLocation)
    throws
  {
    #expect(try plain.entries().map(\.key) == hinted.entries().map(\.key), sourceLocation: sourceLocation)
    try plain.read { a throws in
      try hinted.read { b throws in
        _ = expectSound(hinted.tree, b, freeList: b.header.freeListCount, sourceLocation: sourceLocation)
        #expect(a.pageCount == b.pageCount, sourceLocation: sourceLocation)
        for page in 1..<a.pageCount {
          let same = try a.withPage(page) { x in try b.withPage(page) { y in x.elementsEqual(y) } }
          #expect(same, "page \(page) differs", sourceLocation: sourceLocation)
        }
      }
    }
  }

  @Test func hintedAppendsLeaveTheSamePagesAsOrdinaryInserts() throws {
    let plain = try build(hinted: false)
    let hinted = try build(hinted: true)
    try expectSamePages(plain, hinted)
  }

  /// Five ascending runs inserted in turn, each with its own hint (as the
  /// label index's runs are, one per label) or all with one (so most hinted
  /// positions are wrong), mixed with removals (merges, redistributions that
  /// move separators) and keys placed between runs.
  private func buildRuns(hinted: Bool, oneHint: Bool = false) throws -> BTreeFixture {
    let f = try BTreeFixture()
    try f.write { w throws in
      var hints = [BTree.AppendHint?](repeating: nil, count: 5)
      for i in 0..<3000 {
        let run = i * 7 % 5
        let key = [UInt8(run * 2)] + bigEndianKey(i)
        let value = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: i % 13)
        if hinted {
          #expect(try append(key, value, to: f, hint: &hints[oneHint ? 0 : run], in: w))
        } else {
          #expect(try f.tree.insert(key, value, ifPresent: .fail, in: w))
        }
        if i % 4 == 3, i >= 60 { _ = try f.tree.remove([UInt8(run * 2)] + bigEndianKey(i - 60), in: w) }
        if i % 17 == 16 { try f.tree.insert([UInt8(run * 2 + 1)] + bigEndianKey(i), [9], in: w) }
        if i % 1001 == 1000 {
          for j in (i - 400)..<(i - 50) { _ = try f.tree.remove([UInt8(j * 7 % 5 * 2)] + bigEndianKey(j), in: w) }
        }
      }
    }
    return f
  }

  @Test(arguments: [false, true])
  func runsInsideTheTreeWithHintsLeaveTheSamePagesAsOrdinaryInserts(oneHint: Bool) throws {
    let plain = try buildRuns(hinted: false)
    let hinted = try buildRuns(hinted: true, oneHint: oneHint)
    try expectSamePages(plain, hinted)
  }

  /// A leaf split by a cell that goes last keeps the leaf as it is (free
  /// space cleared) and writes the new cell alone to the right sibling: the
  /// same bytes and separator as rebuilding both from all the cells.
  @Test func splittingAtTheEndWritesWhatARebuildWrites() throws {
    let f = try BTreeFixture()
    try f.write { w throws in
      let keys = (0..<120).map { [UInt8(1), UInt8($0 / 10), UInt8($0 % 10), 0xEE] }
      let values = (0..<120).map { [UInt8](repeating: UInt8($0), count: 20 + $0 % 7) }
      let fresh = try [w.allocate(.btreeLeaf), w.allocate(.btreeLeaf)]
      for page in fresh {
        try NodeEditorTests.withCells(keys, values) { cells in
          try w.withMutablePage(page) { bytes in
            try NodeEditor.build(bytes, number: page, level: 0, rightmost: 0, cells: cells[...])
            // Stale bytes in the free space, as removals leave them.
            for i in 300..<400 { bytes[i] = 0xA5 }
          }
        }
      }
      let newKey: [UInt8] = [1, 12, 0, 0]
      let newValue = [UInt8](repeating: 7, count: 30)
      let (fast, slow) = try newKey.withUnsafeBytes { k in
        try newValue.withUnsafeBytes { v in
          let cell = NodeCell.leaf(key: k, value: v)
          let fast = try f.tree.split(fresh[0], inserting: cell, at: 120, continuesRun: true, in: w)
          let right = try w.allocate(.btreeLeaf)
          // As `split` does: the cells are read from a copy of the page, which the rebuild overwrites.
          let copy = try w.withPage(fresh[1]) { Array($0) }
          let separator = try copy.withUnsafeBytes { bytes in
            let cells = try NodeView(bytes, page: fresh[1]).allCells() + [cell]
            return try f.tree.distribute(cells, level: 0, left: fresh[1], right: right, rightmost: 0, at: 120, in: w)
          }
          return (fast, (separator: separator, right: right))
        }
      }
      #expect(fast.separator == slow.separator)
      for (a, b) in [(fresh[0], fresh[1]), (fast.right, slow.right)] {
        let (x, y) = try w.withPage(a) { x in try w.withPage(b) { (Array(x), Array($0)) } }
        // All but the page number (bytes 4..<8) and the trailer the commit seals.
        let body = 0..<(x.count - PageLayout.trailerSize)
        #expect(
          Array(x[body]).enumerated().filter { !(4..<8).contains($0.offset) }.map(\.element)
            == Array(y[body]).enumerated().filter { !(4..<8).contains($0.offset) }.map(\.element), "pages \(a), \(b)")
      }
    }
  }

  @Test func anAppendOfAKeyAlreadyPresentFailsAsAnOrdinaryInsertDoes() throws {
    let f = try BTreeFixture()
    try f.write { w throws in
      var hint: BTree.AppendHint? = nil
      for n in 0..<300 { #expect(try append(bigEndianKey(n), [], to: f, hint: &hint, in: w)) }
      #expect(throws: SombraError.self) { _ = try append(bigEndianKey(299), [], to: f, hint: &hint, in: w) }
      #expect(try f.tree.count(in: w) == 300)
    }
  }
}
