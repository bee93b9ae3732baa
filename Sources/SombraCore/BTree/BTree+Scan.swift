/// Ordered scans and counts, built on `BTreeCursor`.
extension BTree {
  /// Calls `body` with each entry whose key is in [`lower`, `upper`) in key
  /// order (nil bounds are open) until `body` returns false.
  package func scan(
    from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, in pages: some PageReader,
    _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
  ) throws {
    var cursor = self.cursor(in: pages)
    if let lower { try cursor.seek(lower) } else { try cursor.seekFirst() }
    while cursor.isValid {
      if let upper, BTree.compare(cursor.key, upper) >= 0 { return }
      guard try body(cursor.key, try cursor.value()) else { return }
      try cursor.next()
    }
  }

  /// Calls `body` with each entry whose key starts with `prefix`, in key order,
  /// until `body` returns false.
  package func scan(
    prefix: [UInt8], in pages: some PageReader, _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
  ) throws {
    var cursor = self.cursor(in: pages)
    try cursor.seek(prefix)
    while cursor.isValid, cursor.key.starts(with: prefix) {
      guard try body(cursor.key, try cursor.value()) else { return }
      try cursor.next()
    }
  }

  /// The entries in [`lower`, `upper`) in key order (nil bounds are open).
  package func entries(
    from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, in pages: some PageReader
  ) throws -> [(key: [UInt8], value: [UInt8])] {
    var result: [(key: [UInt8], value: [UInt8])] = []
    try scan(from: lower, to: upper, in: pages) { key, value in
      result.append((key, value))
      return true
    }
    return result
  }

  /// The number of entries with keys in [`lower`, `upper`); without bounds it
  /// sums the leaves' counts without reading any key.
  package func count(from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, in pages: some PageReader) throws -> Int {
    if lower != nil || upper != nil {
      var cursor = self.cursor(in: pages)
      if let lower { try cursor.seek(lower) } else { try cursor.seekFirst() }
      var n = 0
      while cursor.isValid {
        if let upper, BTree.compare(cursor.key, upper) >= 0 { break }
        n += 1
        try cursor.next()
      }
      return n
    }
    var total = 0
    var stack: [(page: PageNumber, level: Int, parent: PageNumber)] = [(root, -1, 0)]
    var visited: Set<PageNumber> = [root]
    let pageCount = pages.pageCount
    while let (page, level, parent) = stack.popLast() {
      try pages.withPage(page) { bytes in
        let node = try NodeView(bytes, page: page)
        if level >= 0 { try node.expect(level: level, parent: parent) }
        if node.isLeaf {
          total += node.count
          return
        }
        for i in 0...node.count {
          let child = try node.child(i, pageCount: pageCount)
          // A shared child would be counted twice (and a dense web of them, forever).
          guard visited.insert(child).inserted else {
            throw SombraError.corruption("B-tree node \(page) points at page \(child), already reached", page: page)
          }
          stack.append((child, node.level - 1, page))
        }
      }
    }
    return total
  }

  /// Unsigned lexicographic comparison of two keys: negative, zero or positive.
  package static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareKeys(x, y) } }
  }
}
