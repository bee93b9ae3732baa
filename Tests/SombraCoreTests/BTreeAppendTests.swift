import Testing

@testable import SombraCore

/// `BTree.insert(appending:...)`: the right-edge hint of bulk loads.
@Suite struct BTreeAppendTests {
  /// One hinted append in its own batch; true when the key was new.
  private func append(_ key: [UInt8], _ value: [UInt8], to f: BTreeFixture, hint: inout BTree.AppendHint?, in w: PageWriter) throws -> Bool {
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

  @Test func hintedAppendsLeaveTheSamePagesAsOrdinaryInserts() throws {
    let plain = try build(hinted: false)
    let hinted = try build(hinted: true)
    #expect(try plain.entries().map(\.key) == hinted.entries().map(\.key))
    try plain.read { a throws in
      try hinted.read { b throws in
        _ = expectSound(hinted.tree, b, freeList: b.header.freeListCount)
        #expect(a.pageCount == b.pageCount)
        for page in 1..<a.pageCount {
          let same = try a.withPage(page) { x in try b.withPage(page) { y in x.elementsEqual(y) } }
          #expect(same, "page \(page) differs")
        }
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
