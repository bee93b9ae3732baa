/// Sharing with a sibling before splitting a leaf.
///
/// Random inserts (adjacency lists growing, index entries in value order) fill
/// leaves that then split in half, so such trees settle about two-thirds full.
/// A leaf that overflows from such an insert first looks at its right sibling,
/// then its left one (same parent only): when the pair's cells with the new
/// one fit in `shareLimit` of two pages and some division leaves both halves
/// within a page, they are divided evenly between the two and the parent's
/// separator is replaced (which may split the parent,
/// as an insert would). Otherwise the leaf splits. Ascending runs never share:
/// their split keeps full pages (`runSplit`).
extension BTree {
  /// The share of two leaves' space the pair may fill after sharing: above it
  /// a split is cheaper than moving cells that would overflow again soon.
  static let shareLimit = 0.9

  /// Tries to place `cell` at `index` of the leaf `steps[depth]` by dividing
  /// its cells with a sibling. Returns false, changing nothing, when no
  /// sibling has room.
  func shareWithSibling(_ cell: NodeCell, at index: Int, path steps: [PathStep], in pages: some PageMutator) throws -> Bool {
    let depth = steps.count - 1
    guard depth >= 1 else { return false }
    let leaf = steps[depth].page
    let parent = steps[depth - 1]
    let pageSize = pages.pageSize
    let pageCount = pages.pageCount
    let usable = BTreeNode.usable(pageSize: pageSize)
    // The parent's children around the leaf: (separator index, left, right).
    let pairs: [(separator: Int, left: PageNumber, right: PageNumber)] = try pages.withPage(parent.page) { bytes in
      let node = try NodeView(bytes, page: parent.page)
      guard !node.isLeaf, parent.index <= node.count, try node.child(parent.index, pageCount: pageCount) == leaf else {
        throw SombraError.corruption(
          "B-tree node \(parent.page) does not point at leaf \(leaf) where its path did", page: parent.page)
      }
      var pairs: [(Int, PageNumber, PageNumber)] = []
      if parent.index < node.count { pairs.append((parent.index, leaf, try node.child(parent.index + 1, pageCount: pageCount))) }
      if parent.index > 0 { pairs.append((parent.index - 1, try node.child(parent.index - 1, pageCount: pageCount), leaf)) }
      return pairs
    }
    for pair in pairs {
      let separator: [UInt8]? = try withUnsafeTemporaryAllocation(byteCount: 2 * pageSize, alignment: 16) { scratch in
        let leftBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<pageSize])
        let rightBytes = UnsafeMutableRawBufferPointer(rebasing: scratch[pageSize..<2 * pageSize])
        try pages.withPage(pair.left) { leftBytes.copyMemory(from: $0) }
        try pages.withPage(pair.right) { rightBytes.copyMemory(from: $0) }
        let l = try NodeView(UnsafeRawBufferPointer(leftBytes), page: pair.left)
        let r = try NodeView(UnsafeRawBufferPointer(rightBytes), page: pair.right)
        try l.expect(level: 0, parent: parent.page)
        try r.expect(level: 0, parent: parent.page)
        var cells = try l.allCells() + r.allCells()
        cells.insert(cell, at: pair.left == leaf ? index : l.count + index)
        var total = 0
        for c in cells { total += c.size + 2 }
        guard Double(total) <= BTree.shareLimit * Double(2 * usable),
          let m = BTree.division(cells, isLeaf: true, preferred: nil, usable: usable)
        else { return nil }
        return try distribute(cells, level: 0, left: pair.left, right: pair.right, rightmost: 0, at: m, in: pages)
      }
      guard let separator else { continue }
      try pages.withMutablePage(parent.page) { try NodeEditor.remove(at: pair.separator, from: $0, number: parent.page) }
      try insertCell(
        .ownedInterior(key: separator, child: pair.left), at: pair.separator, path: Array(steps[..<depth]), in: pages)
      return true
    }
    return false
  }
}
