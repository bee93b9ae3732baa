/// An ordered position in a B-tree: seek to the first key ≥ k, then step forward
/// or back. The cursor keeps its root-to-leaf path (no sibling links), so moving
/// to the next leaf climbs to the nearest ancestor with a next child and descends
/// its left edge: amortised O(1) pages a step.
///
/// A cursor reads through the `PageReader` it was made with and is invalidated
/// by any change to the tree: seek again after a change. Consecutive keys are
/// checked to be in order, so a corrupt tree cannot make a scan go back.
package struct BTreeCursor<Pages: PageReader> {
  package let tree: BTree
  let pages: Pages
  /// Root to leaf: the child index taken (interior) or the entry (leaf).
  var steps: [BTree.PathStep] = []
  /// Whether the cursor is on an entry.
  package private(set) var isValid = false
  /// The key of the entry the cursor is on (empty when not valid).
  package private(set) var key: [UInt8] = []

  init(tree: BTree, pages: Pages) {
    self.tree = tree
    self.pages = pages
  }

  /// Moves to the first key ≥ `target` (invalid when there is none).
  package mutating func seek(_ target: [UInt8]) throws {
    steps = try target.withUnsafeBytes { try tree.path(to: $0, in: pages).steps }
    try settle(forward: true, previous: nil)
  }

  /// Moves to the smallest key.
  package mutating func seekFirst() throws {
    steps = []
    try descend(from: tree.root, level: -1, parent: 0, leftmost: true)
    try settle(forward: true, previous: nil)
  }

  /// Moves to the largest key.
  package mutating func seekLast() throws {
    steps = []
    try descend(from: tree.root, level: -1, parent: 0, leftmost: false)
    try settle(forward: false, previous: nil)
  }

  /// Moves to the next key (invalid past the last).
  package mutating func next() throws {
    guard isValid, !steps.isEmpty else { return }
    steps[steps.count - 1].index += 1
    try settle(forward: true, previous: key)
  }

  /// Moves to the previous key (invalid before the first).
  package mutating func previous() throws {
    guard isValid, !steps.isEmpty else { return }
    steps[steps.count - 1].index -= 1
    try settle(forward: false, previous: key)
  }

  /// The value of the current entry.
  package func value() throws -> [UInt8] {
    guard isValid, let leaf = steps.last else { throw SombraError.misuse("the cursor is not on an entry") }
    let stored = try pages.withPage(leaf.page) { bytes -> Either in
      switch try NodeView(bytes, page: leaf.page).value(leaf.index) {
      case .inline(let value): return .value(Array(value))
      case .overflow(let first, let length): return .overflow(first, length)
      }
    }
    switch stored {
    case .value(let value): return value
    case .overflow(let first, let length): return try tree.readOverflow(first: first, length: length, owner: leaf.page, in: pages)
    }
  }

  private enum Either {
    case value([UInt8])
    case overflow(PageNumber, Int)
  }

  /// From a leaf index that may be out of range, moves leaf by leaf in the given
  /// direction to the nearest entry and loads its key.
  private mutating func settle(forward: Bool, previous: [UInt8]?) throws {
    while let leaf = steps.last {
      let loaded: [UInt8]? = try pages.withPage(leaf.page) { bytes in
        let node = try NodeView(bytes, page: leaf.page)
        guard node.isLeaf else {
          throw SombraError.corruption("B-tree cursor reached interior node \(leaf.page) as a leaf", page: leaf.page)
        }
        guard leaf.index >= 0, leaf.index < node.count else { return nil }
        return Array(try node.key(leaf.index))
      }
      if let loaded {
        if let previous {
          let order = loaded.withUnsafeBytes { a in previous.withUnsafeBytes { b in compareKeys(a, b) } }
          guard forward ? order > 0 : order < 0 else {
            throw SombraError.corruption("B-tree keys out of order at leaf \(leaf.page), entry \(leaf.index)", page: leaf.page)
          }
        }
        key = loaded
        isValid = true
        return
      }
      try moveToAdjacentLeaf(forward: forward)
    }
    isValid = false
    key = []
  }

  /// Replaces the leaf at the end of the path by its neighbour; empties the path
  /// when there is none.
  private mutating func moveToAdjacentLeaf(forward: Bool) throws {
    try tree.moveToAdjacentLeaf(forward: forward, steps: &steps, in: pages)
  }

  /// Pushes the path from `page` down its left (or right) edge to a leaf.
  private mutating func descend(from page: PageNumber, level: Int, parent: PageNumber, leftmost: Bool) throws {
    try tree.descend(from: page, level: level, parent: parent, leftmost: leftmost, onto: &steps, in: pages)
  }
}

/// Path moves shared by cursors and scans.
extension BTree {
  /// Replaces the leaf at the end of `steps` by its neighbour in the given
  /// direction; empties `steps` when there is none.
  func moveToAdjacentLeaf(forward: Bool, steps: inout [PathStep], in pages: some PageReader) throws {
    steps.removeLast()
    let pageCount = pages.pageCount
    while let top = steps.last {
      let next: (child: PageNumber, index: Int, level: Int)? = try pages.withPage(top.page) { bytes in
        let node = try NodeView(bytes, page: top.page)
        let index = top.index + (forward ? 1 : -1)
        guard index >= 0, index <= node.count else { return nil }
        return (try node.child(index, pageCount: pageCount), index, node.level - 1)
      }
      guard let next else {
        steps.removeLast()
        continue
      }
      steps[steps.count - 1].index = next.index
      try descend(from: next.child, level: next.level, parent: top.page, leftmost: forward, onto: &steps, in: pages)
      return
    }
  }

  /// Pushes the path from `page` down its left (or right) edge to a leaf onto
  /// `steps`; `level` -1 means "the root, any level".
  func descend(
    from page: PageNumber, level: Int, parent: PageNumber, leftmost: Bool, onto steps: inout [PathStep], in pages: some PageReader
  ) throws {
    var page = page
    var level = level
    var parent = parent
    let pageCount = pages.pageCount
    while steps.count <= BTree.maxDepth {
      let step: (index: Int, child: PageNumber?) = try pages.withPage(page) { bytes in
        let node = try NodeView(bytes, page: page)
        if level >= 0 { try node.expect(level: level, parent: parent) }
        level = node.level - 1
        if node.isLeaf { return (leftmost ? 0 : node.count - 1, nil) }
        let index = leftmost ? 0 : node.count
        return (index, try node.child(index, pageCount: pageCount))
      }
      steps.append(BTree.PathStep(page: page, index: step.index))
      guard let child = step.child else { return }
      parent = page
      page = child
    }
    throw SombraError.corruption("B-tree at page \(root) is deeper than \(BTree.maxDepth) levels", page: root)
  }
}

extension BTree {
  /// A cursor over this tree, not yet positioned: call `seek`, `seekFirst` or `seekLast`.
  package func cursor<Pages: PageReader>(in pages: Pages) -> BTreeCursor<Pages> {
    BTreeCursor(tree: self, pages: pages)
  }
}
