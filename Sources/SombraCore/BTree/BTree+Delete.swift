/// Deletion. The cell leaves its leaf in place (its bytes become dead space that
/// the next compaction reclaims) and its overflow chain goes back to the free
/// list; a leaf left underfull is rebalanced with a sibling
/// (`BTree+Rebalance.swift`).
extension BTree {
  /// Removes `key`; returns whether it was present.
  @discardableResult
  package func remove(_ key: [UInt8], in pages: some PageMutator) throws -> Bool {
    try key.withUnsafeBytes { try remove(bytes: $0, in: pages) }
  }

  func remove(bytes key: UnsafeRawBufferPointer, in pages: some PageMutator) throws -> Bool {
    let (steps, found) = try path(to: key, in: pages)
    guard found, let leaf = steps.last else { return false }
    let old = try pages.withPage(leaf.page) { try NodeView($0, page: leaf.page).value(leaf.index) }
    let underfull = try pages.withMutablePage(leaf.page) { page in
      try NodeEditor.remove(at: leaf.index, from: page, number: leaf.page)
      return try NodeView(UnsafeRawBufferPointer(page), page: leaf.page).isUnderfull
    }
    if case .overflow(let first, let length) = old {
      try freeOverflow(first: first, length: length, owner: leaf.page, in: pages)
    }
    if underfull && steps.count > 1 {
      try rebalance(path: steps, depth: steps.count - 1, in: pages)
    }
    try debugCheck(in: pages)
    return true
  }

  /// Removes every entry whose key starts with `prefix`; returns how many.
  @discardableResult
  package func removeAll(prefix: [UInt8], in pages: some PageMutator) throws -> Int {
    var keys: [[UInt8]] = []
    try scan(prefix: prefix, in: pages) { key, _ in
      keys.append(key)
      return true
    }
    for key in keys { try remove(key, in: pages) }
    return keys.count
  }

  /// Frees every page of the tree, its root and its overflow chains included.
  /// The tree must not be used afterwards.
  package func drop(in pages: some PageMutator) throws {
    let owned = try collectPages(in: pages)
    for page in owned { try pages.free(page) }
  }

  /// Every page the tree owns, root first, each once; reads everything before the
  /// caller frees anything.
  func collectPages(in pages: some PageReader) throws -> [PageNumber] {
    var visited: Set<PageNumber> = [root]
    var owned: [PageNumber] = [root]
    var stack: [(page: PageNumber, level: Int, parent: PageNumber)] = [(root, -1, 0)]
    let pageCount = pages.pageCount
    while let (page, level, parent) = stack.popLast() {
      var chains: [(first: PageNumber, length: Int)] = []
      try pages.withPage(page) { bytes in
        let node = try NodeView(bytes, page: page)
        if level >= 0 { try node.expect(level: level, parent: parent) }
        if node.isLeaf {
          for i in 0..<node.count {
            if case .overflow(let first, let length) = try node.value(i) { chains.append((first, length)) }
          }
          return
        }
        for i in 0...node.count {
          let child = try node.child(i, pageCount: pageCount)
          guard visited.insert(child).inserted else {
            throw SombraError.corruption("B-tree node \(page) points at page \(child), already reached", page: page)
          }
          owned.append(child)
          stack.append((child, node.level - 1, page))
        }
      }
      for chain in chains {
        try forEachOverflowPage(first: chain.first, length: chain.length, owner: page, visited: &visited, in: pages) {
          number, _, _ in
          owned.append(number)
        }
      }
    }
    return owned
  }
}

extension NodeView {
  /// Holds less than a quarter of its usable bytes (or nothing): a candidate to
  /// merge with or borrow from a sibling.
  var isUnderfull: Bool {
    count == 0 || usedBytes < BTreeNode.usable(pageSize: bytes.count) / 4
  }
}
