/// A B+tree of byte-string keys and values stored in pages: the one ordered map
/// every persistent structure of the graph store is built on.
///
/// ```swift
/// let tree = try BTree.create(in: tx.pages)          // allocates the root
/// try tx.pages.updateHeader { $0.roots[slot] = tree.root }
/// try tree.insert(key, value, in: tx.pages)
/// let value = try BTree(root: header.roots[slot]).get(key, in: readTx)
/// ```
///
/// - A tree is its root page number, which never changes for the life of the
///   tree (a root split moves the root's contents into two new children), so
///   callers store it once.
/// - Keys compare as unsigned bytes (encode integers big-endian for numeric
///   order). Keys are at most `maxKeySize(pageSize:)` = P/4 - 32 bytes (992 at
///   4096-byte pages), so every node holds at least 4 entries; values of any
///   length up to 2^31 - 1 bytes, the large ones in overflow chains.
/// - Reads take any `PageReader` (a read snapshot or the write transaction);
///   changes take a `PageMutator`. Open cursors are invalidated by changes.
/// - Everything read from a page is validated: bad offsets, lengths, key order,
///   child pointers, levels (a tree is at most `maxDepth` pages deep, so a cycle
///   cannot loop) and overflow chains throw `SombraError.corruption` naming the page.
///   A value lent to a caller that does not decode (a node or edge record) is
///   placed on its leaf too: page, and offset within it (`placing`).
///
/// Node layout: `BTreeNode.swift`; overflow chains: `BTree+Overflow.swift`; the
/// invariants the checker enforces: `BTree+Invariants.swift`.
package struct BTree: Sendable, Hashable {
  /// The root page; fixed for the life of the tree.
  package let root: PageNumber

  /// Most pages from the root to a leaf, inclusive.
  package static let maxDepth = 32
  /// Largest value, in bytes.
  package static let maxValueSize = Int(Int32.max)

  /// A tree whose root is `root` (as created by `create(in:)`).
  package init(root: PageNumber) {
    self.root = root
  }

  /// The largest key for `pageSize`: P/4 - 32 bytes (992 at 4096, 2016 at 8192).
  package static func maxKeySize(pageSize: Int) -> Int { BTreeNode.maxKeySize(pageSize: pageSize) }

  /// Creates an empty tree: allocates its root leaf.
  package static func create(in pages: some PageMutator) throws -> BTree {
    let root = try pages.allocate(.btreeLeaf)
    try pages.withMutablePage(root) { page in
      try NodeEditor.build(page, number: root, level: 0, rightmost: 0, cells: [])
    }
    return BTree(root: root)
  }

  // MARK: Lookup

  /// The value stored under `key`, or nil.
  package func get(_ key: [UInt8], in pages: some PageReader) throws -> [UInt8]? {
    try key.withUnsafeBytes { try get(bytes: $0, in: pages) }
  }

  /// Whether `key` is in the tree.
  package func contains(_ key: [UInt8], in pages: some PageReader) throws -> Bool {
    try key.withUnsafeBytes { try contains(bytes: $0, in: pages) }
  }

  func contains(bytes key: UnsafeRawBufferPointer, in pages: some PageReader) throws -> Bool {
    try withLeaf(for: key, in: pages) { node, _ in try node.lowerBound(key).found }
  }

  func get(bytes key: UnsafeRawBufferPointer, in pages: some PageReader) throws -> [UInt8]? {
    try withValue(bytes: key, in: pages) { Array($0) }
  }

  /// Calls `body` with the value stored under `key`, lent from the page (an
  /// overflow value is read into a temporary buffer first), and returns its
  /// result; nil when the key is absent. The bytes are valid only inside `body`.
  package func withValue<R>(_ key: [UInt8], in pages: some PageReader, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R?
  {
    try key.withUnsafeBytes { try withValue(bytes: $0, in: pages, body) }
  }

  func withValue<R>(bytes key: UnsafeRawBufferPointer, in pages: some PageReader, _ body: (UnsafeRawBufferPointer) throws -> R)
    throws -> R?
  {
    try withLeaf(for: key, in: pages) { node, _ -> R? in
      let (index, found) = try node.lowerBound(key)
      guard found else { return nil }
      switch try node.value(index) {
      case .inline(let value):
        do { return try body(value) } catch { throw Self.placing(error, inLeaf: node.page, of: node.bytes, value: value) }
      case .overflow(let first, let length):
        // Reading the chain while the leaf is pinned is fine: pins are counted.
        let bytes = try readOverflow(first: first, length: length, owner: node.page, in: pages)
        do { return try bytes.withUnsafeBytes(body) } catch {
          throw Self.placing(error, inLeaf: node.page, of: node.bytes, value: nil)
        }
      }
    }
  }

  /// Places an error that `body` threw over a value lent from leaf `leaf` (a
  /// record that does not decode, a key or entry that says something false) on
  /// that leaf. Only a `corruption` error that names no page and no file is
  /// changed: it gets the leaf's page, and its offset, which counts from the
  /// start of the value (`ByteReader`), is moved to count from the start of the
  /// page; for a value in an overflow chain (`value` nil) the offset goes into
  /// the message instead. Every other error passes unchanged.
  static func placing(
    _ error: any Error, inLeaf leaf: PageNumber, of page: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?
  ) -> any Error {
    guard let found = error as? SombraError, found.code == .corruption, found.page == nil, found.path == nil else { return error }
    guard let offset = found.offset else { return SombraError.corruption(found.message, page: leaf) }
    if let value, let base = page.baseAddress, let start = value.baseAddress, start >= base, start < base + page.count {
      let (inPage, overflow) = offset.addingReportingOverflow(UInt64(base.distance(to: start)))
      if !overflow { return SombraError.corruption(found.message, page: leaf, offset: inPage) }
    }
    return SombraError.corruption(found.message + " (at byte \(offset) of the value)", page: leaf)
  }

  /// Follows separators from the root to the leaf whose range holds `key` and
  /// calls `body` with it (and its parent), checking each child's level against
  /// its parent's: a cycle or a pointer to the wrong kind of page is corruption,
  /// and the loop ends within `maxDepth` pages.
  func withLeaf<R>(
    for key: UnsafeRawBufferPointer, in pages: some PageReader, _ body: (NodeView, PageNumber?) throws -> R
  ) throws -> R {
    var page = root
    var parent: PageNumber? = nil
    var expected = -1
    let pageCount = pages.pageCount
    while true {
      let step: Descent<R> = try pages.withPage(page) { bytes in
        let node = try NodeView(bytes, page: page)
        if let parent { try node.expect(level: expected, parent: parent) }
        if node.isLeaf { return .done(try body(node, parent)) }
        return .child(try node.child(try node.childIndex(for: key), pageCount: pageCount), node.level - 1)
      }
      switch step {
      case .done(let result): return result
      case .child(let child, let level):
        parent = page
        page = child
        expected = level
      }
    }
  }

  private enum Descent<R> {
    case done(R)
    case child(PageNumber, Int)
  }

  // MARK: Paths for changes

  /// One step of a root-to-leaf path: the node and the child (interior) or
  /// cell (leaf) index taken in it.
  struct PathStep {
    var page: PageNumber
    var index: Int
    /// Every node above took its rightmost child (appends land here).
    var rightEdge = false
  }

  /// The root-to-leaf path for `key`; the last step is the leaf with the index
  /// of the first key ≥ `key` and whether it is equal.
  func path(to key: UnsafeRawBufferPointer, in pages: some PageReader) throws -> (steps: [PathStep], found: Bool) {
    try descend(to: key, pageCount: pages.pageCount) { page, _, visit in try pages.withPage(page, visit) }
  }

  /// `path(to:)` for a change at the leaf (an insert or a replacement): a
  /// leaf below an interior node is read from its writable copy, made now as
  /// the change would make it, so a leaf the transaction has not changed yet
  /// is fetched once instead of twice. A caller that then changes nothing
  /// leaves an unchanged copy, written at commit like any other.
  func path(toChange key: UnsafeRawBufferPointer, in pages: some PageMutator) throws -> (steps: [PathStep], found: Bool) {
    try descend(to: key, pageCount: pages.pageCount) { page, leafBelow, visit in
      leafBelow ? try pages.withMutablePage(page) { try visit(UnsafeRawBufferPointer($0)) } : try pages.withPage(page, visit)
    }
  }

  private typealias Visit = (index: Int, found: Bool, child: PageNumber?, last: Bool)

  /// The descent of `path`: `fetch` calls its closure with page `page`,
  /// which its parent says is a leaf when the flag is set.
  @inline(__always)
  private func descend(
    to key: UnsafeRawBufferPointer, pageCount: UInt32,
    fetch: (PageNumber, Bool, (UnsafeRawBufferPointer) throws -> Visit) throws -> Visit
  ) throws -> (steps: [PathStep], found: Bool) {
    var steps: [PathStep] = []
    steps.reserveCapacity(8)
    var page = root
    var expected = -1
    var rightEdge = true
    while true {
      let parent = steps.last?.page
      let step = try fetch(page, expected == 0) { bytes in
        let node = try NodeView(bytes, page: page)
        if let parent { try node.expect(level: expected, parent: parent) }
        expected = node.level - 1
        // Changes often append (ids in order), so the last key is tried first.
        if node.isLeaf {
          let (index, found) = try node.lowerBound(likelyAfterLast: key)
          return (index, found, nil, false)
        }
        let index = try node.childIndex(likelyAfterLast: key)
        return (index, false, try node.child(index, pageCount: pageCount), index == node.count)
      }
      steps.append(PathStep(page: page, index: step.index, rightEdge: rightEdge))
      guard let child = step.child else { return (steps, step.found) }
      rightEdge = rightEdge && step.last
      page = child
    }
  }

  /// Rejects keys over the size limit with a message that states it.
  func checkKey(_ count: Int, pageSize: Int) throws {
    let limit = BTree.maxKeySize(pageSize: pageSize)
    guard count <= limit else {
      throw SombraError.invalidArgument(
        "a B-tree key is \(count) bytes; the limit is \(limit) bytes (page size / 4 - 32) at \(pageSize)-byte pages")
    }
  }
}
