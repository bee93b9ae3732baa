/// Appends at the right edge without descending from the root.
///
/// A bulk load inserts keys in increasing order, each after every key of the
/// tree, so each insert takes the same root-to-leaf path: the last child at
/// every level, and the end of the rightmost leaf. `insert(appending:...)`
/// remembers that path in an `AppendHint` and, while the hint holds, goes
/// straight to the leaf.
///
/// Why a hint holds (numbered as the checks in `hintedPath`):
/// 1. It was recorded in the same write transaction, for the same tree, by an
///    insert that took the last child at every level and landed after the
///    leaf's last key, and that allocated and freed no page.
/// 2. Since then the writer has allocated and freed no page. Every change of a
///    tree's shape (split, new root, merge, lost level) allocates or frees, so
///    the path's pages are still the tree's right edge with the same child
///    indexes: inserts into leaves without a split leave interior nodes alone;
///    a redistribution between two leaves replaces the separator between
///    them (same count, same last child); interior nodes are redistributed
///    only after a merge below them, which frees a page.
/// 3. The leaf is still a leaf with at least one key, and the new key sorts
///    after its last one. Every key of the tree then sorts before the new key,
///    whose place is the end of the rightmost leaf.
/// Anything else takes the ordinary path, which may record a new hint.
extension BTree {
  /// The path of the last append into a tree (see the extension's comment).
  package struct AppendHint {
    fileprivate let root: PageNumber
    fileprivate var steps: [PathStep]
    fileprivate let stamp: UInt64
  }

  /// `insert(bytes:_:ifPresent:in:)` for a key expected to sort after every key
  /// of the tree, reusing and updating `hint`. Same result, errors and bytes.
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
    var hinted = false
    if var h = held, let end = try hintedEnd(key, h, in: pages) {
      held = nil
      h.steps[h.steps.count - 1].index = end
      steps = h.steps
      hinted = true
    } else {
      (steps, found) = try path(to: key, in: pages)
    }
    let stamp = pages.allocationsAndFrees
    let present = try put(key: key, value: value, ifPresent: ifPresent, onlyIfPresent: false, along: steps, found: found, in: pages)
    guard !found, let leaf = steps.last, leaf.rightEdge, pages.allocationsAndFrees == stamp else { return !present }
    // The key went to the leaf's end: known for a hinted path, read otherwise.
    if !hinted {
      let count = try pages.withPage(leaf.page) { try NodeView($0, page: leaf.page).count }
      guard leaf.index == count - 1 else { return !present }
    }
    hint = AppendHint(root: root, steps: steps, stamp: stamp)
    return !present
  }

  /// The leaf's end (its key count), when the hint holds for `key`; nil otherwise.
  private func hintedEnd(_ key: UnsafeRawBufferPointer, _ hint: AppendHint, in pages: PageWriter.Batch) throws -> Int? {
    // 1 and 2.
    guard hint.root == root, hint.stamp == pages.allocationsAndFrees, let leaf = hint.steps.last else { return nil }
    // 3.
    return try pages.withPage(leaf.page) { bytes in
      let node = try NodeView(bytes, page: leaf.page)
      guard node.isLeaf, node.count > 0, compareKeys(try node.key(node.count - 1), key) < 0 else { return nil }
      return node.count
    }
  }
}
