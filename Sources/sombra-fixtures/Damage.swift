import SombraCore

/// How each fixture beyond `valid/small` is made from it: one function per
/// fixture, each applying exactly one defect (`Fixtures/README.md` says what
/// `sombra-verify` must report for each).
///
/// Three ways of making them:
/// - `edit`: a write transaction on a copy, changing trees behind the graph
///   API's back (`BTree.insert`/`remove`, `tx.pages.withMutablePage`), then a
///   clean close. The pager seals every page, so only the defect is wrong.
/// - `editBytes`: the file's bytes changed at offsets computed from the header
///   and the page layout (`Page.swift`, `DatabaseHeader.swift`); the page CRC
///   is sealed again unless the defect is the checksum itself.
/// - `abandoned`: transactions committed and the handle dropped without
///   closing, so they stay in the WAL, whose salts are then made fixed
///   (`WALRewrite`); its frames are then edited for the WAL defects.
enum Damage {
  static let pageSize = FixtureGenerator.pageSize

  // MARK: Valid

  /// `valid/wal-pending`: small.sombra unchanged plus a WAL holding committed
  /// transactions (the open's unclean mark, a new person and edge, a property change).
  static func walPending(_ path: String, from small: String) throws {
    try abandoned(path, from: small) { try SmallGraph.pendingTransactions($0) }
  }

  // MARK: Bytes

  /// Magic `GRPHITX\0` instead of `GRPHITE\0`; page 0 resealed.
  static func badMagic(_ path: String, from small: String) throws {
    try editBytes(path, from: small) { bytes in
      bytes[6] = UInt8(ascii: "X")
      reseal(&bytes, page: 0)
    }
  }

  /// One bit flipped in the zero area of page 0 (offset 2048), not resealed.
  static func headerChecksum(_ path: String, from small: String) throws {
    try editBytes(path, from: small) { bytes in bytes[2048] ^= 0x01 }
  }

  /// One bit flipped in the free space of the label-index root leaf (midway
  /// between its slot array and its cells), not resealed.
  static func pageChecksum(_ path: String, from small: String) throws {
    try editBytes(path, from: small) { bytes in
      let page = try root(bytes, .labels)
      let base = page * pageSize
      let count = Int(bytes[base + 2]) | Int(bytes[base + 3]) << 8
      let contentStart = Int(bytes[base + 8]) | Int(bytes[base + 9]) << 8
      let slotsEnd = 16 + 2 * count
      guard bytes[base] == PageType.btreeLeaf.rawValue, contentStart - slotsEnd > 2 else {
        throw SombraError.misuse("page \(page) is not a leaf with free space")
      }
      bytes[base + (slotsEnd + contentStart) / 2] ^= 0x01
    }
  }

  // MARK: WAL

  /// wal-pending plus one more transaction whose last (commit) frame is cut
  /// in half, as a crash in the middle of its write leaves it.
  static func tornWALTail(_ path: String, from small: String) throws {
    try abandoned(path, from: small) { db in
      try SmallGraph.pendingTransactions(db)
      try SmallGraph.tornTransaction(db)
    }
    guard var wal = try FixtureFiles.read(path + ".wal"), let last = try WALRewrite.frames(wal, pageSize: pageSize).frames.last
    else {
      throw SombraError.misuse("no WAL frames to tear")
    }
    wal.removeSubrange(
      (last.offset + last.size(pageSize: pageSize) - (last.size(pageSize: pageSize) - WALFormat.frameHeaderSize) / 2)...)
    try FixtureFiles.write(path + ".wal", wal)
  }

  /// wal-pending's transactions and one more (Carol's age), committed with
  /// `SyncMode.full`, with the first frame (other than page 0) of its first
  /// data transaction (a delta frame) carrying the previous WAL generation's
  /// salts (salt 1 - 1, salt 2 inverted) and a running checksum valid in that
  /// generation: a stale frame where a committed one belongs (a lost write),
  /// with committed frames of the current generation after it, the last of
  /// which claims the stale one was synced.
  static func staleWALFrame(_ path: String, from small: String) throws {
    // Synced commits, and one more after them: its page 0 claims the frames
    // before it durable, which proves the stale frame is damage (`WALDamage`).
    var synced = SmallGraph.options
    synced.sync = .full
    try abandoned(path, from: small, options: synced) { db in
      try SmallGraph.pendingTransactions(db)
      try SmallGraph.tornTransaction(db)
    }
    guard var wal = try FixtureFiles.read(path + ".wal") else { throw SombraError.misuse("no WAL") }
    let (header, frames) = try WALRewrite.frames(wal, pageSize: pageSize)
    guard let first = frames.first,
      let victim = frames.first(where: { $0.transaction == first.transaction + 1 && $0.page != 0 })
    else { throw SombraError.misuse("the WAL has no data transaction after the open's") }
    let stale = WALHeader(
      pageSize: header.pageSize, sequence: header.sequence &- 1, salt1: header.salt1 &- 1, salt2: ~header.salt2,
      version: header.version,
      databaseID: header.databaseID)
    WALRewrite.rewrite(&wal, victim, header: stale, previous: stale.checksum, pageSize: pageSize)
    try FixtureFiles.write(path + ".wal", wal)
  }

  // MARK: Trees

  /// The label-index root leaf with its second key overwritten by its first:
  /// keys no longer strictly ascending.
  static func btreeKeyOrder(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let page = root(tx, .labels).root
      try tx.pages.withMutablePage(page) { bytes in
        let count: UInt16 = bytes.le(2)
        guard bytes[0] == PageType.btreeLeaf.rawValue, count >= 2 else {
          throw SombraError.misuse("page \(page) is not a leaf of 2+ keys")
        }
        let first = Int(bytes.le(16, as: UInt16.self))
        let second = Int(bytes.le(18, as: UInt16.self))
        // A leaf cell starts with its key length, one byte for keys under 128.
        let length = Int(bytes[first])
        guard length == 12, bytes[second] == 12 else { throw SombraError.misuse("label keys are 12 bytes") }
        for i in 0..<length { bytes[second + 1 + i] = bytes[first + 1 + i] }
      }
    }
  }

  /// The edges root (interior, over two leaves) with its rightmost child
  /// pointer set to its first child: that leaf is reached twice, the other not at all.
  static func childCycle(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let page = root(tx, .edges).root
      try tx.pages.withMutablePage(page) { bytes in
        guard bytes[0] == PageType.btreeInterior.rawValue, bytes.le(2, as: UInt16.self) >= 1 else {
          throw SombraError.misuse("the edges root \(page) is not an interior node")
        }
        let cell = Int(bytes.le(16, as: UInt16.self))
        let firstChild: UInt32 = bytes.le(cell + 2)
        bytes.putLE(firstChild, at: 12)
      }
    }
  }

  // MARK: Graph

  /// Lima (node 11, one resident: Heidi) deleted without its edge: its
  /// record, label-index entry and counts go, the LIVES_IN edge from Heidi
  /// and its adjacency entries stay.
  static func danglingEdge(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let city = try id(tx, .label, "City")
      try expect(root(tx, .nodes).remove(KeyEncoding.u64(SmallGraph.lima), in: tx.pages), "node record of Lima")
      try expect(root(tx, .labels).remove(GraphKeys.label(city, SmallGraph.lima), in: tx.pages), "label entry of Lima")
      try addToCount(tx, countKey(.label, city), -1)
      try addToCount(tx, [4, 0], -1)
    }
  }

  /// The in-entry of edge 1 (Alice KNOWS Bob) removed from the adjacency tree.
  static func missingAdjacency(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let knows = try id(tx, .type, "KNOWS")
      let item = AdjacencyItem(type: knows, neighbour: 1, edge: 1)
      try expect(tx.removeAdjacency(2, outgoing: false, item), "adjacency in-entry of edge 1")
    }
  }

  /// A Person(name) index entry "Mallory" for node 12, which was deleted.
  static func indexEntryWithoutRecord(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      guard let index = try tx.indexDefinitionList().first,
        let key = GraphKeys.property(index.id, .string("Mallory"), SmallGraph.deletedNode)
      else { throw SombraError.misuse("no property index") }
      try expect(root(tx, .properties).insert(key, [], ifPresent: .fail, in: tx.pages), "new index entry")
    }
  }

  /// The stored count of label Person set to 7 (there are 8).
  static func wrongCount(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let person = try id(tx, .label, "Person")
      _ = try root(tx, .catalog).insert(countKey(.label, person), le64(7), in: tx.pages)
    }
  }

  /// The free page (the deleted node's overflow page, the free list's only
  /// entry) pointing on to the label-index root: a tree page on the free list.
  static func freePageInUse(_ path: String, from small: String) throws {
    try edit(path, from: small) { tx in
      let head = tx.header.freeListHead
      guard head != 0, tx.header.freeListCount == 1 else { throw SombraError.misuse("the small graph has one free page") }
      let labels = root(tx, .labels).root
      try tx.pages.withMutablePage(head) { $0.putLE(labels, at: PageLayout.freeNextOffset) }
    }
  }

  // MARK: Helpers

  /// A copy of `small` at `path`, changed by `body` in one write transaction, closed cleanly.
  static func edit(_ path: String, from small: String, _ body: (WriteTransaction) throws -> Void) throws {
    try FixtureFiles.copy(small, to: path)
    let db = try Database.open(path, options: SmallGraph.options)
    try db.write(body)
    try db.close()
  }

  /// A copy of `small` at `path` with `body`'s bytes.
  static func editBytes(_ path: String, from small: String, _ body: (inout [UInt8]) throws -> Void) throws {
    guard var bytes = try FixtureFiles.read(small) else { throw SombraError(.notFound, "\(small) is missing") }
    try body(&bytes)
    try FixtureFiles.write(path, bytes)
  }

  /// A copy of `small` at `path`, opened read-write, `body` run, and the handle
  /// dropped without closing: its commits stay in the WAL (then made
  /// deterministic); the main file stays byte-identical to `small`.
  static func abandoned(
    _ path: String, from small: String, options: OpenOptions = SmallGraph.options, _ body: (Database) throws -> Void
  ) throws {
    try FixtureFiles.copy(small, to: path)
    do {
      let db = try Database.open(path, options: options)
      try body(db)
    }
    guard let wal = try FixtureFiles.read(path + ".wal") else { throw SombraError.misuse("no WAL at \(path).wal") }
    try FixtureFiles.write(path + ".wal", try WALRewrite.normalized(wal, pageSize: pageSize))
  }

  /// Recomputes the CRC trailer of page `page` of a file's bytes.
  static func reseal(_ bytes: inout [UInt8], page: Int) {
    bytes.withUnsafeMutableBytes {
      PageLayout.seal(UnsafeMutableRawBufferPointer(rebasing: $0[page * pageSize..<(page + 1) * pageSize]))
    }
  }

  /// The root page of a graph tree, from header slot `tree` in a file's page 0.
  static func root(_ bytes: [UInt8], _ tree: GraphRoot) throws -> Int {
    let offset = 72 + 4 * tree.rawValue
    let page = bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
    guard page > 0, (page + 1) * pageSize <= bytes.count else { throw SombraError.misuse("no \(tree) tree") }
    return page
  }

  static func root(_ tx: Transaction, _ tree: GraphRoot) -> BTree { BTree(root: tx.header.roots[tree.rawValue]) }

  static func id(_ tx: Transaction, _ kind: NameKind, _ name: String) throws -> UInt32 {
    guard let id = try tx.catalogNames(kind).first(where: { $0.value == name })?.key else {
      throw SombraError(.notFound, "no \(name) in the catalog")
    }
    return id
  }

  /// Catalog key of a per-label or per-type count (`Catalog.swift`: 0x03, kind, id BE).
  static func countKey(_ kind: NameKind, _ id: UInt32) -> [UInt8] {
    var key: [UInt8] = [3, kind.rawValue]
    KeyEncoding.append(id, to: &key)
    return key
  }

  static func addToCount(_ tx: WriteTransaction, _ key: [UInt8], _ delta: Int64) throws {
    let catalog = root(tx, .catalog)
    guard let value = try catalog.get(key, in: tx), value.count == 8 else {
      throw SombraError(.notFound, "no count under \(key)")
    }
    let old = value.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    _ = try catalog.insert(key, le64(UInt64(Int64(old) + delta)), in: tx.pages)
  }

  static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

  static func expect(_ done: Bool, _ what: String) throws {
    guard done else { throw SombraError.misuse("fixture damage failed: \(what) not found") }
  }
}
