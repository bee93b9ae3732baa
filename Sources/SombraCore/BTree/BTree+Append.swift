/// Continues an ascending run without descending from the root.
///
/// A bulk load inserts keys in increasing order: ids at the tree's right edge,
/// or, in the label index, each label's node ids after that label's last one,
/// which is somewhere in the middle of the tree. Each insert of a run lands
/// right after the previous one, in the same leaf until it splits.
/// `insert(appending:...)` remembers the previous insert's root-to-leaf path in
/// an `AppendHint` (one per run) and, while the hint holds, goes straight to the
/// leaf, to the position after it.
///
/// Why a hint holds (numbered as the checks in `hintedIndex`):
/// 1. It was recorded in the same write transaction, for the same tree, by an
///    insert that allocated and freed no page; its leaf step is the position
///    the key went to.
/// 2. Since then the writer has allocated and freed no page. Every change of a
///    tree's shape (split, new root, merge, lost level) allocates or frees, so
///    the path's pages are still the same nodes with the same children, and
///    each step's child index still leads to the next step: inserts into and
///    removals from leaves without a split or merge leave interior nodes alone;
///    a redistribution between two leaves replaces the separator between them
///    (same count, same children); interior nodes are redistributed only after
///    a merge below them, which frees a page. Separator keys may have changed,
///    so they are read again (3).
/// 3. The leaf is still a leaf, the new position p (one past the previous one)
///    has a key before it, and the new key sorts after the key at p - 1 and
///    before the key at p, or, when p is the leaf's end, before the leaf's
///    upper bound: the separator of the deepest step that did not take its
///    node's last child (none on the right edge: no bound). Every key of a
///    child sorts before the separator after it, and that separator is the
///    tightest bound of the steps below the root; the key at p - 1 is at least
///    the leaf's lower bound. So the key's place is p, and it is not present.
/// Anything else takes the ordinary path, which records a new hint.
extension BTree {
  /// The path of the last append into a tree (see the extension's comment).
  package struct AppendHint {
    fileprivate let root: PageNumber
    fileprivate var steps: [PathStep]
    fileprivate let stamp: UInt64
  }

  /// `insert(bytes:_:ifPresent:in:)` for a key expected to sort right after
  /// the key last inserted with `hint` (a run's next key), reusing and updating
  /// `hint`. Same result, errors and bytes.
  @discardableResult
  package func insert(
    appending key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, ifPresent: IfPresent = .replace,
    hint: inout AppendHint?, in pages: PageWriter.Batch
  ) throws -> Bool {
    try checkKey(key.count, pageSize: pages.pageSize)
    guard value.count <= BTree.maxValueSize else {
      throw SombraError.invalidArgument("a B-tree value is \(value.count) bytes; the limit is \(BTree.maxValueSize) bytes")
    }
    var held = hint
    hint = nil  // `held` now owns the path: changing it copies nothing
    var steps: [PathStep]
    var found = false
    if var h = held, let position = try hintedIndex(key, h, in: pages) {
      held = nil
      h.steps[h.steps.count - 1].index = position
      steps = h.steps
    } else {
      (steps, found) = try path(toChange: key, in: pages)
    }
    let stamp = pages.allocationsAndFrees
    let present = try put(
      key: key, value: value, ifPresent: ifPresent, onlyIfPresent: false, along: steps, found: found, in: pages)
    guard !found, pages.allocationsAndFrees == stamp else { return !present }
    hint = AppendHint(root: root, steps: steps, stamp: stamp)
    return !present
  }

  /// The key's position in the hint's leaf, when the hint holds for `key`; nil otherwise.
  private func hintedIndex(_ key: UnsafeRawBufferPointer, _ hint: AppendHint, in pages: PageWriter.Batch) throws -> Int? {
    // 1 and 2.
    guard hint.root == root, hint.stamp == pages.allocationsAndFrees, let leaf = hint.steps.last else { return nil }
    // 3, in the leaf.
    let position = leaf.index + 1
    let atEnd: Bool? = try pages.withPage(leaf.page) { bytes in
      let node = try NodeView(bytes, page: leaf.page)
      guard node.isLeaf, position <= node.count, compareKeys(try node.key(position - 1), key) < 0 else { return nil }
      if position == node.count { return true }
      return compareKeys(key, try node.key(position)) < 0 ? false : nil
    }
    guard let atEnd else { return nil }
    if !atEnd || leaf.rightEdge { return position }
    // 3, the upper bound: up from the leaf's parent to the first step that
    // did not take its node's last child (below the root, since the leaf is
    // not on the right edge).
    for step in hint.steps.dropLast().reversed() {
      let below: Bool? = try pages.withPage(step.page) { bytes in
        let node = try NodeView(bytes, page: step.page)
        guard !node.isLeaf, step.index <= node.count else { return false }
        if step.index == node.count { return nil }
        return compareKeys(key, try node.key(step.index)) < 0
      }
      if let below { return below ? position : nil }
    }
    return nil
  }
}
