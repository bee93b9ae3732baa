#if canImport(Glibc)
  import Glibc
#endif

/// Ordered scans and counts.
///
/// The borrowing scans (`scanBorrowing`) are the fast path: they walk each leaf
/// inside one page access and lend `body` the key and value bytes straight from
/// the page, allocating nothing per entry. The bytes are valid only during the
/// call; `body` must not change the tree (collect first, change after). The
/// copying scans (`scan`) are built on them.
extension BTree {
  /// Calls `body` with each entry whose key is in [`lower`, `upper`) in key
  /// order (nil bounds are open) until `body` returns false.
  package func scan(
    from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, in pages: some PageReader,
    _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
  ) throws {
    try withOptionalBytes(lower) { lower in
      try withOptionalBytes(upper) { upper in
        try scanBorrowing(from: lower, to: upper, in: pages) { try body(Array($0), Array($1)) }
      }
    }
  }

  /// Calls `body` with each entry whose key starts with `prefix`, in key order,
  /// until `body` returns false.
  package func scan(
    prefix: [UInt8], in pages: some PageReader, _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
  ) throws {
    try prefix.withUnsafeBytes { prefix in
      try scanBorrowing(prefix: prefix, in: pages) { try body(Array($0), Array($1)) }
    }
  }

  /// Lends `body` each entry whose key is in [`lower`, `upper`) in key order (nil
  /// bounds are open) until it returns false. The bytes are valid only during
  /// the call; an overflow value is read into a temporary buffer first.
  package func scanBorrowing(
    from lower: UnsafeRawBufferPointer? = nil, to upper: UnsafeRawBufferPointer? = nil, in pages: some PageReader,
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    try lend(from: lower, in: pages, while: { key in upper.map { compareKeys(key, $0) < 0 } ?? true }, body)
  }

  /// Lends `body` each entry whose key starts with `prefix`, in key order, until
  /// it returns false (bytes valid only during the call).
  package func scanBorrowing(
    prefix: UnsafeRawBufferPointer, in pages: some PageReader,
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    try lend(from: prefix, in: pages, while: { key in hasPrefix(key, prefix) }, body)
  }

  /// The walk behind every scan: from the first key ≥ `lower` (or the first key),
  /// leaf by leaf, while `inRange` holds and `body` returns true. Keys are checked
  /// to increase strictly, within a leaf and across leaves, so a corrupt tree
  /// cannot make a scan go back or repeat.
  private func lend(
    from lower: UnsafeRawBufferPointer?, in pages: some PageReader, while inRange: (UnsafeRawBufferPointer) -> Bool,
    _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
  ) throws {
    var steps: [PathStep]
    if let lower {
      steps = try path(to: lower, in: pages).steps
    } else {
      steps = []
      steps.reserveCapacity(8)
      try descend(from: root, level: -1, parent: 0, leftmost: true, onto: &steps, in: pages)
    }
    // The last key of the previous leaf, for the order check across leaves.
    var previous: [UInt8] = []
    var hasPrevious = false
    while let leaf = steps.last {
      let finished: Bool = try pages.withPage(leaf.page) { bytes in
        let node = try NodeView(bytes, page: leaf.page)
        guard node.isLeaf else {
          throw SombraError.corruption("B-tree scan reached interior node \(leaf.page) as a leaf", page: leaf.page)
        }
        var i = max(0, leaf.index)
        guard i < node.count else { return false }
        var last: UnsafeRawBufferPointer? = nil
        while i < node.count {
          let (key, value) = try node.entry(i)
          let ordered: Bool
          if let last {
            ordered = compareKeys(key, last) > 0
          } else {
            ordered = !hasPrevious || previous.withUnsafeBytes { compareKeys(key, $0) > 0 }
          }
          guard ordered else {
            throw SombraError.corruption("B-tree keys out of order at leaf \(leaf.page), entry \(i)", page: leaf.page)
          }
          guard inRange(key) else { return true }
          switch value {
          case .inline(let bytes):
            let more: Bool
            do { more = try body(key, bytes) } catch {
              throw Self.placing(error, inLeaf: leaf.page, of: node.bytes, value: bytes)
            }
            guard more else { return true }
          case .overflow(let first, let length):
            let bytes = try readOverflow(first: first, length: length, owner: leaf.page, in: pages)
            let more: Bool
            do { more = try bytes.withUnsafeBytes { try body(key, $0) } } catch {
              throw Self.placing(error, inLeaf: leaf.page, of: node.bytes, value: nil)
            }
            guard more else { return true }
          }
          last = key
          i += 1
        }
        if let last {
          previous.removeAll(keepingCapacity: true)
          previous.append(contentsOf: last)
          hasPrevious = true
        }
        return false
      }
      if finished { return }
      try moveToAdjacentLeaf(forward: true, steps: &steps, in: pages)
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

/// Whether `key` starts with `prefix`.
@inline(__always)
func hasPrefix(_ key: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
  guard key.count >= prefix.count else { return false }
  guard prefix.count > 0, let k = key.baseAddress, let p = prefix.baseAddress else { return true }
  return memcmp(k, p, prefix.count) == 0
}

/// Calls `body` with the bytes of `array`, or nil.
func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
  guard let array else { return try body(nil) }
  return try array.withUnsafeBytes { try body($0) }
}
