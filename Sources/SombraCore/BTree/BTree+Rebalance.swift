/// Rebalancing after a delete.
///
/// An underfull node (`NodeView.isUnderfull`) is paired with its left sibling
/// (its right one when it is the first child). When the pair's cells (plus, for
/// interior nodes, the separator pulled down from the parent) fit one page they
/// merge into the left node, the right page is freed and the separator leaves
/// the parent, which may then be rebalanced in turn. Otherwise the cells are
/// redistributed evenly and the parent's separator is replaced (which may split
/// the parent, as an insert would). A root interior node left with no separator
/// takes over its only child's contents (the root page number never changes).
///
/// Invariant kept: every node but the root holds at least one cell; leaves all
/// lie at level 0.
extension BTree {
  private enum Outcome {
    case merged
    case redistributed([UInt8])
  }

  /// Rebalances the underfull node `steps[depth]` (depth ≥ 1), then its
  /// ancestors as merges leave them underfull.
  func rebalance(path steps: [PathStep], depth start: Int, in pages: some PageMutator) throws {
    let pageSize = pages.pageSize
    let pageCount = pages.pageCount
    var depth = start
    while depth > 0 {
      let parent = steps[depth - 1]
      let (leftIndex, separator, left, right, childLevel) = try pages.withPage(parent.page) { bytes in
        let node = try NodeView(bytes, page: parent.page)
        guard !node.isLeaf, node.count > 0 else {
          throw SombraError.corruption(
            "B-tree node \(parent.page) has no separator to rebalance its children with", page: parent.page)
        }
        let leftIndex = max(0, min(parent.index, node.count) - 1)
        return (
          leftIndex, Array(try node.key(leftIndex)), try node.child(leftIndex, pageCount: pageCount),
          try node.child(leftIndex + 1, pageCount: pageCount), node.level - 1
        )
      }
      let outcome: Outcome = try withUnsafeTemporaryAllocation(byteCount: 2 * pageSize, alignment: 16) { scratch in
        let leftBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<pageSize])
        let rightBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[pageSize..<2 * pageSize])
        try pages.withPage(left) { leftBytes.copyMemory(from: $0) }
        try pages.withPage(right) { rightBytes.copyMemory(from: $0) }
        let l = try NodeView(UnsafeRawBufferPointer(leftBytes), page: left)
        let r = try NodeView(UnsafeRawBufferPointer(rightBytes), page: right)
        try l.expect(level: childLevel, parent: parent.page)
        try r.expect(level: childLevel, parent: parent.page)
        var cells = try l.allCells()
        if !l.isLeaf { cells.append(.ownedInterior(key: separator, child: try l.child(l.count, pageCount: pageCount))) }
        cells += try r.allCells()
        let rightmost = r.isLeaf ? 0 : try r.child(r.count, pageCount: pageCount)
        var total = 0
        for cell in cells { total += cell.size + 2 }
        if total <= BTreeNode.usable(pageSize: pageSize) {
          try pages.withMutablePage(left) {
            try NodeEditor.build($0, number: left, level: childLevel, rightmost: rightmost, cells: cells[...])
          }
          return .merged
        }
        return .redistributed(
          try distribute(cells, level: childLevel, left: left, right: right, rightmost: rightmost, at: nil, in: pages))
      }
      switch outcome {
      case .redistributed(let newSeparator):
        try pages.withMutablePage(parent.page) { try NodeEditor.remove(at: leftIndex, from: $0, number: parent.page) }
        try insertCell(.ownedInterior(key: newSeparator, child: left), at: leftIndex, path: Array(steps[..<depth]), in: pages)
        return
      case .merged:
        try pages.free(right)
        let (remaining, underfull) = try pages.withMutablePage(parent.page) { page in
          try NodeEditor.setChild(leftIndex + 1, to: left, in: page, number: parent.page)
          try NodeEditor.remove(at: leftIndex, from: page, number: parent.page)
          let node = try NodeView(UnsafeRawBufferPointer(page), page: parent.page)
          return (node.count, node.isUnderfull)
        }
        if depth == 1 {
          if remaining == 0 { try collapseRoot(in: pages) }
          return
        }
        guard underfull else { return }
        depth -= 1
      }
    }
  }

  /// Moves the only child of a root with no separators into the root page and
  /// frees the child: the tree loses a level, the root keeps its number.
  func collapseRoot(in pages: some PageMutator) throws {
    let pageSize = pages.pageSize
    let found: (child: PageNumber, level: Int)? = try pages.withPage(root) { bytes in
      let node = try NodeView(bytes, page: root)
      guard !node.isLeaf, node.count == 0 else { return nil }
      return (try node.child(0, pageCount: pages.pageCount), node.level - 1)
    }
    guard let (child, level) = found else { return }
    try withUnsafeTemporaryAllocation(byteCount: pageSize, alignment: 16) { scratch in
      try pages.withPage(child) { scratch.copyMemory(from: $0) }
      try NodeView(UnsafeRawBufferPointer(scratch), page: child).expect(level: level, parent: root)
      let body = pageSize - PageLayout.trailerSize
      try pages.withMutablePage(root) { page in
        UnsafeMutableRawBufferPointer(rebasing: page[0..<body]).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: scratch[0..<body]))
        page.putLE(root, at: PageLayout.numberOffset)
      }
    }
    try pages.free(child)
  }
}
