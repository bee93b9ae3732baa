/// Read-only access for the operator tools (`sombra-inspect`, `sombra-verify`):
/// where a page of a snapshot comes from, its raw bytes without verification,
/// the WAL frames the snapshot sees, and decoded B-tree node and overflow pages.
///
/// Nothing here writes, and nothing here trusts the bytes it returns: a raw page
/// may fail its checksum (that is what a tool wants to show), and the decoders
/// validate as the engine's own readers do, failing with `corruption`.
///
/// Every call takes the read transaction whose snapshot it describes, so a tool
/// that does all its work inside one read transaction sees one consistent state
/// (a checkpoint in another process cannot move pages under it, DESIGN.md §5).
extension Database {
  /// The committed WAL frames `transaction` sees, in WAL order: frame i of the
  /// WAL is element i.
  package func visibleFrames(in transaction: ReadTransaction) -> [(page: UInt32, transaction: UInt64)] {
    pager.lock.withLock { state in
      let mark = min(transaction.snapshot.mark, state.framePages.count, state.frameTransactions.count)
      return (0..<mark).map { (state.framePages[$0], state.frameTransactions[$0]) }
    }
  }

  /// The WAL frame holding page `number` as `transaction` sees it, or nil when
  /// the page comes from the main file.
  package func frame(of number: UInt32, in transaction: ReadTransaction) -> Int? {
    pager.lock.withLock { $0.frame(of: number, below: transaction.snapshot.mark).map { Int($0) } }
  }

  /// Page `number` as `transaction` sees it, read straight from the WAL frame or
  /// the main file (a delta frame's version rebuilt from its base and records)
  /// without verifying it. Throws `corruption` when the page is
  /// beyond the snapshot's page count or its bytes are not on disk.
  package func rawPage(_ number: UInt32, in transaction: ReadTransaction) throws -> [UInt8] {
    let count = transaction.snapshot.header.pageCount
    guard number < count else {
      throw SombraError.corruption("page \(number) is beyond the \(count) pages of the database", page: number, path: path)
    }
    let (source, wal) = pager.lock.withLock { state in
      (state.source(of: number, at: state.frame(of: number, below: transaction.snapshot.mark)), state.walFile)
    }
    var bytes = [UInt8](repeating: 0, count: pageSize)
    try bytes.withUnsafeMutableBytes {
      try source.read(number, main: pager.main, wal: wal, pageSize: pageSize, into: $0, verify: false)
    }
    return bytes
  }

  /// The main file's own page 0 (not the WAL's newer one), unverified; nil when
  /// the main file is shorter than a page (a new database whose header is only in
  /// the WAL so far).
  package func mainFileHeaderPage() throws -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: pageSize)
    let n = try bytes.withUnsafeMutableBytes { try pager.main.read(into: $0, at: 0) }
    return n == pageSize ? bytes : nil
  }
}

extension Transaction {
  /// Every name of a catalog kind by id (labels, edge types, property keys).
  package func catalogNames(_ kind: NameKind) throws -> [UInt32: String] {
    var names: [UInt32: String] = [:]
    for entry in try allNames(kind) { names[entry.id] = entry.name }
    return names
  }

  /// Property index definitions: index id, label id (0 = any label), key id.
  package func indexDefinitionList() throws -> [IndexDefinition] {
    try indexDefinitions()
  }
}

/// A B-tree node page, decoded and validated as the engine reads it
/// (`BTreeNode.swift` has the byte map).
package struct InspectedNode: Sendable, Equatable {
  package struct Cell: Sendable, Equatable {
    /// The key (leaf) or separator (interior).
    package var key: [UInt8]
    /// Leaf: the value length (inline or not); interior: 0.
    package var valueLength: Int
    /// Leaf: the first page of the overflow chain holding the value.
    package var overflowPage: UInt32?
    /// Interior: the child left of this separator.
    package var child: UInt32?
    /// Bytes the cell takes, without its slot.
    package var size: Int
  }

  package var isLeaf: Bool
  package var level: Int
  package var contentStart: Int
  package var deadBytes: Int
  /// Interior: the child for keys at or above the last separator.
  package var rightmostChild: UInt32?
  /// Bytes of cells and slots in use (the node header and trailer excluded).
  package var usedBytes: Int
  /// Bytes a node of this page size can use for cells and slots.
  package var usableBytes: Int
  package var cells: [Cell]

  /// Decodes page `number`; throws `corruption` for anything out of bounds.
  package init(_ bytes: UnsafeRawBufferPointer, page number: UInt32) throws {
    let node = try NodeView(bytes, page: number)
    isLeaf = node.isLeaf
    level = node.level
    contentStart = node.contentStart
    deadBytes = node.deadBytes
    rightmostChild = node.isLeaf ? nil : bytes.le(BTreeNode.rightmostOffset, as: UInt32.self)
    usedBytes = node.usedBytes
    usableBytes = BTreeNode.usable(pageSize: bytes.count)
    cells = []
    cells.reserveCapacity(node.count)
    for i in 0..<node.count {
      let offset = try node.cellOffset(i)
      let size = try node.cellSize(at: offset, index: i)
      let key = Array(try node.key(i))
      if node.isLeaf {
        switch try node.value(i) {
        case .inline(let value):
          cells.append(Cell(key: key, valueLength: value.count, overflowPage: nil, child: nil, size: size))
        case .overflow(let first, let length):
          cells.append(Cell(key: key, valueLength: length, overflowPage: first, child: nil, size: size))
        }
      } else {
        let child: UInt32 = bytes.le(offset + 2)
        cells.append(Cell(key: key, valueLength: 0, overflowPage: nil, child: child, size: size))
      }
    }
  }
}

/// The fields of an overflow page (`BTree+Overflow.swift`), read through the
/// bounds-checked reader; the payload length is checked against the page.
package struct InspectedOverflowPage: Sendable, Equatable {
  package var next: UInt32
  package var payloadBytes: Int
  package var capacity: Int

  package init(_ bytes: UnsafeRawBufferPointer, page number: UInt32) throws {
    var reader = ByteReader(bytes, offset: BTreeOverflow.nextOffset, page: number)
    next = try reader.u32()
    let length = try reader.u32()
    capacity = BTreeOverflow.capacity(pageSize: bytes.count)
    guard let payload = Int(exactly: length), payload <= capacity else {
      throw SombraError.corruption(
        "overflow page \(number) claims \(length) payload bytes; it holds at most \(BTreeOverflow.capacity(pageSize: bytes.count))",
        page: number, offset: UInt64(BTreeOverflow.lengthOffset))
    }
    payloadBytes = payload
  }
}
