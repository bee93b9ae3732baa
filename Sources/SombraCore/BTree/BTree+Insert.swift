/// Insertion and replacement, and node splits.
///
/// A cell goes into its leaf in place. When it does not fit, a leaf first tries
/// to share its cells with a sibling (`BTree+Share.swift`, random inserts
/// only); otherwise the node's cells plus the new one are divided between the
/// node and a new right sibling, and a separator (for leaves the shortest
/// prefix dividing the halves) goes up into the parent, splitting it in turn.
/// Where they divide: evenly by bytes, except for ascending runs, which keep
/// their pages full (`runSplit`: an insert at a node's end, or right after the
/// previous insert into the same leaf, as the write transaction remembers).
/// A full root moves its contents into two new children and becomes their
/// parent, so its page number never changes.
extension BTree {
  /// What `insert` does when the key is already present.
  package enum IfPresent: Sendable {
    /// Replace the value.
    case replace
    /// Keep the stored value and return false.
    case keep
    /// Throw `SombraError` `.invalidArgument`.
    case fail
  }

  /// Stores `value` under `key`. Returns true when the key was not in the tree.
  /// Throws `.invalidArgument` for a key over `maxKeySize(pageSize:)`.
  @discardableResult
  package func insert(_ key: [UInt8], _ value: [UInt8], ifPresent: IfPresent = .replace, in pages: some PageMutator) throws
    -> Bool
  {
    try key.withUnsafeBytes { k in
      try value.withUnsafeBytes { v in try !put(key: k, value: v, ifPresent: ifPresent, onlyIfPresent: false, in: pages) }
    }
  }

  /// `insert` of borrowed bytes (a key built on the stack).
  @discardableResult
  package func insert(
    bytes key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, ifPresent: IfPresent = .replace,
    in pages: some PageMutator
  ) throws -> Bool {
    try !put(key: key, value: value, ifPresent: ifPresent, onlyIfPresent: false, in: pages)
  }

  /// Replaces the value of `key` if it is present; returns whether it was.
  @discardableResult
  package func update(_ key: [UInt8], _ value: [UInt8], in pages: some PageMutator) throws -> Bool {
    try key.withUnsafeBytes { k in
      try value.withUnsafeBytes { v in try put(key: k, value: v, ifPresent: .replace, onlyIfPresent: true, in: pages) }
    }
  }

  /// Stores or replaces a value; returns whether the key was present.
  func put(
    key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, ifPresent: IfPresent, onlyIfPresent: Bool,
    in pages: some PageMutator
  ) throws -> Bool {
    try checkKey(key.count, pageSize: pages.pageSize)
    guard value.count <= BTree.maxValueSize else {
      throw SombraError.invalidArgument("a B-tree value is \(value.count) bytes; the limit is \(BTree.maxValueSize) bytes")
    }
    // A change follows unless the key's presence says otherwise (rare).
    let (steps, found) =
      ifPresent == .replace && !onlyIfPresent ? try path(toChange: key, in: pages) : try path(to: key, in: pages)
    return try put(
      key: key, value: value, ifPresent: ifPresent, onlyIfPresent: onlyIfPresent, along: steps, found: found, in: pages)
  }

  /// `put` once the key's path is known (`path(to:)`, or an append hint).
  func put(
    key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, ifPresent: IfPresent, onlyIfPresent: Bool,
    along steps: [PathStep], found: Bool, in pages: some PageMutator
  ) throws -> Bool {
    guard !steps.isEmpty else { return false }
    if found {
      switch ifPresent {
      case .replace: break
      case .keep: return true
      case .fail: throw SombraError.invalidArgument("the key is already in the B-tree (\(key.count) bytes)")
      }
    } else if onlyIfPresent {
      return false
    }
    try store(key: key, value: value, path: steps, found: found, in: pages)
    return found
  }

  /// Stores `key` and `value` at the leaf position `steps` ends on (where `path`
  /// put it): replacing the entry there when `found`, else inserting.
  func store(
    key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, path steps: [PathStep], found: Bool, in pages: some PageMutator
  ) throws {
    guard let leaf = steps.last else { return }
    // The old value's chain, if any, read from the writable copy of the leaf
    // (which the change needs anyway): read first from the committed page, a
    // leaf the transaction had not changed yet was fetched twice.
    let oldChain: (first: PageNumber, length: Int)? =
      found
      ? try pages.withMutablePage(leaf.page) { page in
        guard
          case .overflow(let first, let length) = try NodeView(UnsafeRawBufferPointer(page), page: leaf.page).value(leaf.index)
        else { return nil }
        return (first, length)
      } : nil
    let cell: NodeCell
    if BTreeNode.leafCellSize(keyLength: key.count, valueLength: value.count, overflow: false)
      <= BTreeNode.maxCellSize(pageSize: pages.pageSize)
    {
      cell = .leaf(key: key, value: value)
    } else {
      cell = .leafOverflow(key: key, length: value.count, first: try writeOverflow(value, in: pages))
    }
    if found {
      let small = pages.prefersSmallChanges
      let inPlace = try pages.withMutablePage(leaf.page) { page in
        if try NodeEditor.replace(at: leaf.index, with: cell, in: page, number: leaf.page, fewBytes: small) { return true }
        try NodeEditor.remove(at: leaf.index, from: page, number: leaf.page)
        return false
      }
      if !inPlace { try insertCell(cell, at: leaf.index, path: steps, in: pages) }
      if let oldChain {
        try freeOverflow(first: oldChain.first, length: oldChain.length, owner: leaf.page, in: pages)
      }
      try debugCheck(in: pages)
      return
    }
    try insertCell(cell, at: leaf.index, path: steps, in: pages)
    try debugCheck(in: pages)
  }

  /// Inserts `cell` at `index` of the last node of `steps`, splitting nodes up
  /// the path as needed.
  func insertCell(_ cell: NodeCell, at index: Int, path steps: [PathStep], in pages: some PageMutator) throws {
    var cell = cell
    var index = index
    var depth = steps.count - 1
    // Callers replacing a separator pass the path down to its interior node.
    let startsAtLeaf: Bool
    switch cell {
    case .leaf, .leafOverflow: startsAtLeaf = true
    case .copy, .interior, .ownedInterior: startsAtLeaf = false
    }
    while depth >= 0 {
      let page = steps[depth].page
      let isLeaf = startsAtLeaf && depth == steps.count - 1
      // A leaf insert right after the previous one in the same leaf continues
      // an ascending run (ids at the tree's right edge, one label's nodes in
      // the label index): such a leaf splits at the insertion point, leaving
      // the run's pages full. So does any node whose new cell is its last.
      let continuesRun = isLeaf && pages.noteLeafInsert(page, at: index)
      if try pages.withMutablePage(page, { try NodeEditor.insert(cell, at: index, into: $0, number: page) }) { return }
      if isLeaf, !continuesRun, try shareWithSibling(cell, at: index, path: steps, in: pages) { return }
      if depth == 0 {
        try splitRoot(inserting: cell, at: index, continuesRun: continuesRun, in: pages)
        return
      }
      let (separator, right) = try split(page, inserting: cell, at: index, continuesRun: continuesRun, in: pages)
      let parent = steps[depth - 1]
      try pages.withMutablePage(parent.page) { try NodeEditor.setChild(parent.index, to: right, in: $0, number: parent.page) }
      cell = .ownedInterior(key: separator, child: page)
      index = parent.index
      depth -= 1
    }
  }

  /// Splits `page` (not the root) with `cell` added at `index`: the upper part
  /// moves to a new right sibling. Returns the separator and the sibling.
  func split(
    _ page: PageNumber, inserting cell: NodeCell, at index: Int, continuesRun: Bool, in pages: some PageMutator
  ) throws -> (separator: [UInt8], right: PageNumber) {
    if let done = try splitAtEnd(page, inserting: cell, at: index, in: pages) { return done }
    return try withUnsafeTemporaryAllocation(byteCount: pages.pageSize, alignment: 16) { scratch in
      try pages.withPage(page) { scratch.copyMemory(from: $0) }
      let node = try NodeView(UnsafeRawBufferPointer(scratch), page: page)
      var cells = try node.allCells()
      cells.insert(cell, at: index)
      let rightmost = node.isLeaf ? 0 : try node.child(node.count, pageCount: pages.pageCount)
      let right = try pages.allocate(node.isLeaf ? .btreeLeaf : .btreeInterior)
      let separator = try distribute(
        cells, level: node.level, left: page, right: right, rightmost: rightmost,
        at: BTree.runSplit(cells.count, inserted: index, isLeaf: node.isLeaf, continuesRun: continuesRun), in: pages)
      return (separator, right)
    }
  }

  /// Splits the full root with `cell` added at `index` into two new children.
  func splitRoot(inserting cell: NodeCell, at index: Int, continuesRun: Bool, in pages: some PageMutator) throws {
    try withUnsafeTemporaryAllocation(byteCount: pages.pageSize, alignment: 16) { scratch in
      try pages.withPage(root) { scratch.copyMemory(from: $0) }
      let node = try NodeView(UnsafeRawBufferPointer(scratch), page: root)
      guard node.level < BTreeNode.maxLevel else {
        throw SombraError(.limitExceeded, "the B-tree at page \(root) would grow past \(BTree.maxDepth) levels")
      }
      var cells = try node.allCells()
      cells.insert(cell, at: index)
      let rightmost = node.isLeaf ? 0 : try node.child(node.count, pageCount: pages.pageCount)
      let type: PageType = node.isLeaf ? .btreeLeaf : .btreeInterior
      let left = try pages.allocate(type)
      let right = try pages.allocate(type)
      let separator = try distribute(
        cells, level: node.level, left: left, right: right, rightmost: rightmost,
        at: BTree.runSplit(cells.count, inserted: index, isLeaf: node.isLeaf, continuesRun: continuesRun), in: pages)
      let top: [NodeCell] = [.ownedInterior(key: separator, child: left)]
      try pages.withMutablePage(root) {
        try NodeEditor.build($0, number: root, level: node.level + 1, rightmost: right, cells: top[...])
      }
    }
  }

  /// `split` of a leaf whose new cell is its last (a run of ascending keys):
  /// the leaf keeps its cells and a new right sibling takes the new one, as
  /// `distribute` would divide them (`runSplit`). When the leaf is laid out
  /// as `NodeEditor.build` lays it out (cell 0 against the trailer, each
  /// next cell just below, no dead bytes), as appended leaves are, clearing
  /// its free space leaves the bytes a rebuild would write, without copying
  /// every cell twice. Nil when that does not hold: the general path.
  private func splitAtEnd(
    _ page: PageNumber, inserting cell: NodeCell, at index: Int, in pages: some PageMutator
  ) throws -> (separator: [UInt8], right: PageNumber)? {
    let lastKey: [UInt8]? = try pages.withMutablePage(page) { bytes in
      let node = try NodeView(UnsafeRawBufferPointer(bytes), page: page)
      guard node.isLeaf, node.count > 0, index == node.count, node.deadBytes == 0 else { return nil }
      var expected = node.end
      for i in 0..<node.count {
        let offset = try node.cellOffset(i)
        expected -= try node.cellSize(at: offset, index: i)
        guard offset == expected else { return nil }
      }
      let slotsEnd = BTreeNode.headerSize + 2 * node.count
      UnsafeMutableRawBufferPointer(rebasing: bytes[slotsEnd..<node.contentStart]).initializeMemory(as: UInt8.self, repeating: 0)
      return Array(try node.key(node.count - 1))
    }
    guard let lastKey else { return nil }
    let right = try pages.allocate(.btreeLeaf)
    try pages.withMutablePage(right) { try NodeEditor.build($0, number: right, level: 0, rightmost: 0, cells: [cell][...]) }
    let separator = try cell.withKey(isLeaf: true) { high in
      try lastKey.withUnsafeBytes { low in try BTree.separator(after: low, before: high, page: page) }
    }
    return (separator, right)
  }

  /// Writes `cells` (in key order) into two sibling nodes of `level` and returns
  /// the separator for their parent. Interior nodes promote the middle cell: its
  /// child becomes the left node's rightmost, `rightmost` the right node's.
  /// `preferred` is the division to take when both halves fit (see `runSplit`).
  func distribute(
    _ cells: [NodeCell], level: Int, left: PageNumber, right: PageNumber, rightmost: PageNumber, at preferred: Int?,
    in pages: some PageMutator
  ) throws -> [UInt8] {
    let isLeaf = level == 0
    let m = try divisionPoint(cells, isLeaf: isLeaf, preferred: preferred, pageSize: pages.pageSize, page: left)
    if isLeaf {
      try pages.withMutablePage(left) { try NodeEditor.build($0, number: left, level: 0, rightmost: 0, cells: cells[..<m]) }
      try pages.withMutablePage(right) { try NodeEditor.build($0, number: right, level: 0, rightmost: 0, cells: cells[m...]) }
      return try cells[m - 1].withKey(isLeaf: true) { low in
        try cells[m].withKey(isLeaf: true) { high in try BTree.separator(after: low, before: high, page: left) }
      }
    }
    let promoted = cells[m]
    try pages.withMutablePage(left) {
      try NodeEditor.build($0, number: left, level: level, rightmost: promoted.child, cells: cells[..<m])
    }
    try pages.withMutablePage(right) {
      try NodeEditor.build($0, number: right, level: level, rightmost: rightmost, cells: cells[(m + 1)...])
    }
    return try promoted.withKey(isLeaf: false) { Array($0) }
  }

  /// Where to divide `cells` between two nodes: leaves take [0, m) and [m, n);
  /// interior nodes [0, m) and [m+1, n), promoting m. Balances bytes unless
  /// `preferred` when both its halves fit; both halves must fit a page and hold a cell.
  func divisionPoint(_ cells: [NodeCell], isLeaf: Bool, preferred: Int?, pageSize: Int, page: PageNumber) throws -> Int {
    let n = cells.count
    // A valid node overflows only with at least 5 cells; fewer means a corrupt header.
    guard n >= (isLeaf ? 2 : 3) else {
      throw SombraError.corruption(
        "B-tree node \(page) overflowed with only \(n) cells (corrupt header or oversized cells)", page: page)
    }
    guard let m = Self.division(cells, isLeaf: isLeaf, preferred: preferred, usable: BTreeNode.usable(pageSize: pageSize)) else {
      throw SombraError.corruption("B-tree node \(page): its cells do not fit two pages (oversized cells)", page: page)
    }
    return m
  }

  /// `divisionPoint`'s choice, or nil when no division leaves both halves
  /// within `usable` bytes. Cells of several hundred bytes can miss by a few
  /// bytes at every division even when their total is well below two pages.
  static func division(_ cells: [NodeCell], isLeaf: Bool, preferred: Int?, usable: Int) -> Int? {
    let n = cells.count
    var prefix = [0]
    prefix.reserveCapacity(n + 1)
    for cell in cells { prefix.append(prefix[prefix.count - 1] + cell.size + 2) }
    let total = prefix[n]
    func sides(_ m: Int) -> (Int, Int) { isLeaf ? (prefix[m], total - prefix[m]) : (prefix[m], total - prefix[m + 1]) }
    let range = isLeaf ? 1..<max(1, n) : 1..<max(1, n - 1)
    if let m = preferred, range.contains(m), sides(m).0 <= usable, sides(m).1 <= usable { return m }
    var best: Int?
    var bestSize = Int.max
    for m in range {
      let (l, r) = sides(m)
      if max(l, r) < bestSize {
        best = m
        bestSize = max(l, r)
      }
    }
    return bestSize <= usable ? best : nil
  }

  /// Where a node of `count` cells (the new one at `inserted` included) divides
  /// to keep an ascending run's pages full. A leaf whose new cell is its last
  /// keeps the cells before it (the new cell starts the right node). A leaf
  /// continuing a run inside it keeps the cells up to the new one and passes
  /// the rest on: the run's next insert then fills a page of its own instead
  /// of dragging the following keys along from page to page. An interior node
  /// whose new cell is its last promotes the cell before it. Nil: divide the
  /// bytes evenly.
  static func runSplit(_ count: Int, inserted: Int, isLeaf: Bool, continuesRun: Bool) -> Int? {
    if isLeaf {
      if inserted == count - 1 { return inserted }
      return continuesRun ? inserted + 1 : nil
    }
    return inserted == count - 1 ? count - 2 : nil
  }

  /// The shortest key s with low < s ≤ high: a prefix of `high`.
  static func separator(after low: UnsafeRawBufferPointer, before high: UnsafeRawBufferPointer, page: PageNumber) throws
    -> [UInt8]
  {
    guard compareKeys(low, high) < 0 else {
      throw SombraError.corruption("B-tree keys out of order around page \(page)", page: page)
    }
    var i = 0
    let n = min(low.count, high.count)
    while i < n && low[i] == high[i] { i += 1 }
    return Array(high[0..<min(i + 1, high.count)])
  }
}

extension NodeView {
  /// Every cell, validated, as `.copy` cells over this page's bytes.
  func allCells() throws -> [NodeCell] {
    var cells: [NodeCell] = []
    cells.reserveCapacity(count + 1)
    for i in 0..<count { cells.append(.copy(try cell(i))) }
    return cells
  }
}
