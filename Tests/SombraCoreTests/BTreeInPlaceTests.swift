import Testing

@testable import SombraCore

/// `BTree.withMutableValue`: changing a value's bytes where they are.
@Suite struct BTreeInPlaceTests {
  @Test func aValueChangedInPlaceIsReadBackAndTheTreeStaysSound() throws {
    let f = try BTreeFixture()
    try f.write { w throws in
      for n in 0..<2000 { try f.tree.insert(bigEndianKey(n), withUnsafeBytes(of: UInt64(n).littleEndian) { Array($0) }, in: w) }
    }
    let changed = try f.write { w throws in
      try bigEndianKey(1234).withUnsafeBytes { key in
        try f.tree.withMutableValue(bytes: key, in: w) { value -> Int in
          value.storeBytes(of: UInt64(99).littleEndian, as: UInt64.self)
          return value.count
        }
      }
    }
    #expect(changed == 8)
    #expect(try f.read { try f.tree.get(bigEndianKey(1234), in: $0) } == [99, 0, 0, 0, 0, 0, 0, 0])
    #expect(
      try f.read { try f.tree.get(bigEndianKey(1235), in: $0) } == withUnsafeBytes(of: UInt64(1235).littleEndian) { Array($0) })
    try f.read { tx throws in _ = expectSound(f.tree, tx, freeList: tx.header.freeListCount) }
  }

  @Test func anAbsentKeyAnEmptyValueAndAnOverflowValueAreLeftToTheGeneralWay() throws {
    let f = try BTreeFixture()
    try f.write { w throws in
      try f.tree.insert([1], [], in: w)
      try f.tree.insert([2], [UInt8](repeating: 7, count: 5000), in: w)
      try f.tree.insert([3], [3], in: w)
    }
    try f.write { w throws in
      for key: [UInt8] in [[0], [1], [2], [4]] {
        let result = try key.withUnsafeBytes { key in try f.tree.withMutableValue(bytes: key, in: w) { _ in true } }
        #expect(result == nil, "key \(key)")
      }
      #expect(w.dirtyPageCount == 0, "nothing was copied for a change not made")
    }
    #expect(try f.entries().map(\.value.count) == [0, 5000, 1])
  }

  @Test func aChangeInPlaceIsRolledBackWithItsTransaction() throws {
    let f = try BTreeFixture()
    _ = try f.write { w throws in try f.tree.insert([5], [1, 2, 3], in: w) }
    let tx = try f.db.beginWrite()
    _ = try [UInt8]([5]).withUnsafeBytes { key in try f.tree.withMutableValue(bytes: key, in: tx.pages) { $0[0] = 9 } }
    #expect(try f.tree.get([5], in: tx.pages) == [9, 2, 3])
    try tx.rollback()
    #expect(try f.read { try f.tree.get([5], in: $0) } == [1, 2, 3])
  }
}
