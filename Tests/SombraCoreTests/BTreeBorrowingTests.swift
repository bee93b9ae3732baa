import Testing

@testable import SombraCore

/// The borrowing reads: scans that lend key and value bytes from the page and
/// lookups that decode in place give exactly what the copying reads give.
@Suite struct BTreeBorrowingTests {
  /// A multi-level tree of 3-byte keys; every tenth value is large enough for an
  /// overflow chain.
  func filled() throws -> (BTreeFixture, keys: [[UInt8]]) {
    let f = try BTreeFixture()
    var keys: [[UInt8]] = []
    for a in UInt8(0)..<20 { for b in UInt8(0)..<30 { keys.append([a, b, 0xEE]) } }
    try f.write { w in for k in keys.shuffled() { try f.tree.insert(k, value(k), in: w) } }
    return (f, keys)
  }

  func value(_ key: [UInt8]) -> [UInt8] {
    key[1] % 10 == 0 ? [UInt8](repeating: key[0], count: 3000) : [key[0] &+ key[1]]
  }

  func borrowed(_ f: BTreeFixture, from lower: [UInt8]?, to upper: [UInt8]?, limit: Int = .max) throws -> [(
    key: [UInt8], value: [UInt8]
  )] {
    var seen: [(key: [UInt8], value: [UInt8])] = []
    try f.read { tx in
      try withOptionalBytes(lower) { lower in
        try withOptionalBytes(upper) { upper in
          try f.tree.scanBorrowing(from: lower, to: upper, in: tx) { key, value in
            seen.append((Array(key), Array(value)))
            return seen.count < limit
          }
        }
      }
    }
    return seen
  }

  @Test func aBorrowingRangeScanLendsTheSameEntriesAsTheCopyingScan() throws {
    let (f, keys) = try filled()
    let bounds: [([UInt8]?, [UInt8]?)] = [(nil, nil), ([3, 5], [4, 2]), ([19], nil), (nil, [0, 7]), ([5], [5]), ([0xFF], nil)]
    for (lower, upper) in bounds {
      let expected = keys.filter { k in
        (lower.map { BTree.compare(k, $0) >= 0 } ?? true) && (upper.map { BTree.compare(k, $0) < 0 } ?? true)
      }
      let seen = try borrowed(f, from: lower, to: upper)
      #expect(seen.map(\.key) == expected, "bounds \(String(describing: lower)) ..< \(String(describing: upper))")
      #expect(seen.allSatisfy { $0.value == value($0.key) })
    }
  }

  @Test func aBorrowingScanStopsWhenTheBodyReturnsFalse() throws {
    let (f, _) = try filled()
    #expect(try borrowed(f, from: [19], to: nil, limit: 3).map(\.key) == [[19, 0, 0xEE], [19, 1, 0xEE], [19, 2, 0xEE]])
  }

  @Test func aBorrowingPrefixScanLendsExactlyTheKeysWithThePrefix() throws {
    let (f, keys) = try filled()
    for prefix: [UInt8] in [[7], [7, 10], [0], [19, 29, 0xEE], [25], []] {
      var seen: [[UInt8]] = []
      try f.read { tx throws in
        try prefix.withUnsafeBytes { p in
          try f.tree.scanBorrowing(prefix: p, in: tx) { key, value in
            seen.append(Array(key))
            #expect(Array(value) == self.value(Array(key)))
            return true
          }
        }
      }
      #expect(seen == keys.filter { $0.starts(with: prefix) }, "prefix \(prefix)")
    }
  }

  @Test func withValueLendsTheStoredValueInlineOrFromAnOverflowChain() throws {
    let (f, keys) = try filled()
    try f.read { tx throws in
      for key in keys {
        #expect(try f.tree.withValue(key, in: tx) { Array($0) } == value(key))
      }
      let missing = try f.tree.withValue([99], in: tx) { _ in true }
      #expect(missing == nil)
    }
    // The write transaction reads its own changes the same way.
    try f.write { w throws in
      try f.tree.insert([1, 1, 0xEE], [42], in: w)
      #expect(try f.tree.withValue([1, 1, 0xEE], in: w) { Array($0) } == [42])
    }
  }

  @Test func keysOutOfOrderAcrossLeavesAreCorruptionForABorrowingScan() throws {
    let f = try BTreeFixture()
    try f.write { w in for n in 0..<200 { try f.tree.insert(longKey(n, length: 100), [UInt8(n)], in: w) } }
    // Make the second leaf's first key smaller than the first leaf's last.
    let second = try f.read { tx in
      try tx.withPage(f.tree.root) { try NodeView($0, page: f.tree.root).child(1, pageCount: tx.pageCount) }
    }
    try f.write { w in
      try w.withMutablePage(second) { page in
        let cell = Int(page.le(BTreeNode.headerSize, as: UInt16.self))
        page[cell + BTreeNode.keyLengthSize(100)] = 0  // the key's first byte
      }
    }
    #expect { _ = try self.borrowed(f, from: nil, to: nil) } throws: { isCorruption($0) }
  }
}
