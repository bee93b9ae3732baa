import Testing

@testable import SombraCore

@Suite struct BTreeOverflowTests {
  @Test func aFiveMegabyteValueRoundTripsAndFreeingItReturnsItsPages() throws {
    var f = try BTreeFixture()
    var rng = SplitMix64(seed: 5)
    let big = randomBytes(&rng, count: 5 << 20)
    let before = try f.header
    try f.write { w throws in
      try f.tree.insert([1], [1], in: w)
      try f.tree.insert([2], big, in: w)
      try f.tree.insert([3], [3], in: w)
      #expect(try f.tree.get([2], in: w) == big)
    }
    let chain = (big.count + 4075) / 4076
    let grown = try f.header
    #expect(Int(grown.pageCount) - Int(before.pageCount) == chain, "one overflow page per 4076 bytes")
    #expect(try f.read { try f.tree.get([2], in: $0) } == big)
    try f.reopen()
    #expect(try f.read { try f.tree.get([2], in: $0) } == big)
    try f.read { tx throws in _ = expectSound(f.tree, tx, freeList: tx.header.freeListCount) }
    try f.write { w throws in #expect(try f.tree.remove([2], in: w)) }
    let after = try f.header
    #expect(after.pageCount == grown.pageCount)
    #expect(Int(after.freeListCount) == Int(grown.freeListCount) + chain)
    #expect(try f.entries().map(\.key) == [[1], [3]])
  }

  @Test func valuesAroundTheInlineLimitRoundTrip() throws {
    let f = try BTreeFixture()
    // A leaf cell is at most 4096 / 4 - 21 = 1003 bytes: 7 of header, the key, the value.
    let key: [UInt8] = [9, 9, 9, 9]
    let inlineLimit = 1003 - 7 - key.count
    for length in [0, 1, inlineLimit - 1, inlineLimit, inlineLimit + 1, 4076, 4077, 8152, 8153] {
      let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
      try f.write { w throws in
        try f.tree.insert(key, value, in: w)
        #expect(try f.tree.get(key, in: w) == value, "length \(length)")
        _ = expectSound(f.tree, w, freeList: w.header.freeListCount)
      }
      #expect(try f.read { try f.tree.get(key, in: $0) } == value)
    }
    let owned = try f.read { f.tree.checkInvariants(in: $0).pages }
    #expect(owned.count == 1 + 3, "only the last value's three overflow pages are left")
  }

  @Test func replacingAndDeletingOverflowValuesLeaksNoPage() throws {
    let f = try BTreeFixture()
    var rng = SplitMix64(seed: 9)
    try f.write { w throws in
      for round in 0..<6 {
        for n in 0..<40 {
          let length = [10, 2000, 9000, 0][(n + round) % 4]
          try f.tree.insert(bigEndianKey(n, padTo: 30), randomBytes(&rng, count: length), in: w)
        }
        _ = expectSound(f.tree, w, freeList: w.header.freeListCount)
      }
      for n in 0..<40 where n % 3 != 0 { try f.tree.remove(bigEndianKey(n, padTo: 30), in: w) }
      _ = expectSound(f.tree, w, freeList: w.header.freeListCount)
    }
  }
}
