import Dispatch
import Glibc
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// The integrity verifier: a clean graph verifies clean with exact counts, and
/// each defect, made by damaging a committed database through package APIs, is
/// reported with its exact code and the page or record it names, and nothing else.
@Suite struct VerifierTests {
  let disk = SimulatedDisk()
  let path = "/db/verify.sombra"

  static let people = 120
  static let cities = 30
  static let edgesPerPerson = 3

  func open(readOnly: Bool = false) throws -> Database {
    var options = readOnly ? OpenOptions.readOnly : OpenOptions()
    options.pageSize = 4096
    return try Database.open(path, options: options, storage: disk)
  }

  /// Facts about the graph `build` makes.
  struct Built {
    var nodes = 0
    var edges = 0
    var labelEntries = 0
    var propertyEntries = 0
    var lonely: NodeID = 0
    var lonelyEdge: EdgeID = 0
    var firstEdge: EdgeID = 0
  }

  /// People (some also Admin) with name, age and sometimes a list; cities; KNOWS
  /// and LIVES_IN edges; indexes on Person(age) and any-label(name); and a node
  /// with no labels or properties whose only edge comes from person 1.
  @discardableResult
  func build(_ db: Database) throws -> Built {
    var built = Built()
    try db.write { tx in
      try tx.createIndex(label: "Person", key: "age")
      try tx.createIndex(label: nil, key: "name")
      var people: [NodeID] = []
      for i in 0..<Self.people {
        var properties: [String: PropertyValue] = ["name": .string("person \(i)"), "age": .int(Int64(20 + i % 50))]
        if i % 7 == 0 { properties["tags"] = ["a", "b"] }
        if i % 11 == 0 { properties["age"] = [1, 2] }  // a list: not indexed
        let labels = i % 5 == 0 ? ["Person", "Admin"] : ["Person"]
        people.append(try tx.createNode(labels: labels, properties: properties))
        built.labelEntries += labels.count
        built.propertyEntries += 1 + (i % 11 == 0 ? 0 : 1)
      }
      var cities: [NodeID] = []
      for i in 0..<Self.cities {
        cities.append(try tx.createNode(labels: ["City"], properties: ["name": .string("city \(i)")]))
        built.labelEntries += 1
        built.propertyEntries += 1
      }
      for (i, person) in people.enumerated() {
        for k in 1...Self.edgesPerPerson - 1 {
          let id = try tx.createEdge(
            from: person, to: people[(i + k * 17) % people.count], type: "KNOWS", properties: ["w": .int(Int64(k))])
          if built.firstEdge == 0 { built.firstEdge = id }
        }
        try tx.createEdge(from: person, to: cities[i % cities.count], type: "LIVES_IN")
      }
      built.lonely = try tx.createNode()
      built.lonelyEdge = try tx.createEdge(from: people[0], to: built.lonely, type: "KNOWS")
      built.nodes = Self.people + Self.cities + 1
      built.edges = Self.people * Self.edgesPerPerson + 1
    }
    return built
  }

  /// Opens, builds, checkpoints everything into the main file and reopens.
  func builtAndReopened() throws -> (Database, Built) {
    let db = try open()
    let built = try build(db)
    try db.close()
    return (try open(), built)
  }

  func root(_ db: Database, _ tree: GraphRoot) throws -> BTree {
    BTree(root: try db.read { $0.header.roots[tree.rawValue] })
  }

  func codes(_ report: VerifyReport) -> [String] { report.problems.map(\.code.rawValue) }

  // MARK: Clean

  @Test func aCleanGraphVerifiesCleanAtEveryLevelWithExactCounts() throws {
    let db = try open()
    let built = try build(db)
    for level in VerifyOptions.Level.allCases {
      let report = try db.verify(VerifyOptions(level: level))
      #expect(report.problems == [], "\(level)")
      #expect(report.isClean && report.totalProblems == 0 && !report.stoppedEarly)
      #expect(report.level == level)
      let pages = try db.read { Int($0.header.pageCount) }
      #expect(report.counts.pages == pages)
      #expect(report.counts.walFrames > 0, "the build is still in the WAL")
      if level >= .structure {
        let free = try db.read { Int($0.header.freeListCount) }
        #expect(report.counts.treePages + report.counts.freePages + 1 == pages)
        #expect(report.counts.freePages == free)
      }
      if level == .graph {
        #expect(report.counts.nodes == built.nodes)
        #expect(report.counts.edges == built.edges)
        #expect(report.counts.adjacencyEntries == 2 * built.edges)
        #expect(report.counts.labelIndexEntries == built.labelEntries)
        #expect(report.counts.propertyIndexEntries == built.propertyEntries)
        #expect(report.skipped == [])
      } else {
        #expect(report.counts.nodes == 0)
      }
    }
    try db.close()
    let reopened = try open(readOnly: true)
    let report = try reopened.verify()
    #expect(report.problems == [])
    #expect(report.counts.walFrames == 0)
    #expect(report.counts.mainFilePages == report.counts.pages)
    #expect(report.counts.nodes == built.nodes)
  }

  @Test func optionsTurnOffIndexAndAdjacencyChecksAndSaySo() throws {
    let db = try open()
    try build(db)
    let report = try db.verify(VerifyOptions(checkIndexes: false, checkAdjacency: false))
    #expect(report.isClean)
    #expect(report.counts.adjacencyEntries == 0 && report.counts.labelIndexEntries == 0)
    #expect(report.skipped.count == 2)
  }

  @Test func progressIsReportedPerPhaseAtMostAboutEveryPercent() throws {
    let db = try open()
    try build(db)
    let calls = Mutex<[VerifyProgress]>([])
    _ = try db.verify { progress in calls.withLock { $0.append(progress) } }
    let seen = calls.withLock { $0 }
    let phases = seen.map(\.phase).reduce(into: [String]()) { if $1 != $0.last { $0.append($1) } }
    #expect(phases == ["checksums", "pages", "catalog", "nodes", "edges", "adjacency", "labels", "properties", "counts"])
    for phase in phases {
      let mine = seen.filter { $0.phase == phase }
      #expect(mine.count <= 103, "\(phase)")
      #expect(mine.last.map { $0.done == $0.total } == true, "\(phase) ends at its total")
    }
  }

  // MARK: Checksums

  @Test func aFlippedByteInAMainFilePageIsAChecksumProblemNamingThePage() throws {
    let (db, _) = try builtAndReopened()
    let page = try root(db, .edges).root
    try db.close()
    var bytes = try #require(disk.contents(path))
    bytes[Int(page) * 4096 + 100] ^= 0x40
    disk.setContents(path, bytes)
    let ro = try open(readOnly: true)
    for level in VerifyOptions.Level.allCases {
      let report = try ro.verify(VerifyOptions(level: level))
      #expect(codes(report) == ["PAGE_CHECKSUM"], "\(level): \(report.problems)")
      #expect(report.problems.first?.page == page)
      #expect(report.problems.first?.hint == VerifyHint.salvage)
    }
    #expect(try ro.verify().skipped.contains { $0.contains("edges tree is damaged") })
  }

  @Test func everyBadPageIsReportedNotOnlyTheFirst() throws {
    let (db, _) = try builtAndReopened()
    let pages = [try root(db, .nodes).root, try root(db, .labels).root, try root(db, .adjacency).root]
    try db.close()
    var bytes = try #require(disk.contents(path))
    for page in pages { bytes[Int(page) * 4096 + 4] ^= 0xFF }  // its own page number
    disk.setContents(path, bytes)
    let report = try open(readOnly: true).verify(VerifyOptions(level: .checksums))
    #expect(report.problems.map(\.page) == pages.sorted().map { Optional($0) })
    #expect(Set(codes(report)) == ["PAGE_CHECKSUM"])
  }

  /// The WAL frames of the last transaction: (frame index, page, byte offset).
  func lastTransactionFrames() throws -> [(index: Int, page: PageNumber, offset: Int)] {
    let wal = try #require(disk.contents(path + ".wal"))
    let frameSize = 32 + 4096
    var frames: [(index: Int, page: PageNumber, offset: Int, transaction: UInt64)] = []
    var offset = 32
    // Up to the zeros the WAL grew by past its frames.
    while offset + frameSize <= wal.count, !wal[offset..<offset + 32].allSatisfy({ $0 == 0 }) {
      let page = wal[offset..<offset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      let tx = wal[offset + 8..<offset + 16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      frames.append((frames.count, page, offset, tx))
      offset += frameSize
    }
    let last = try #require(frames.last?.transaction)
    return frames.filter { $0.transaction == last }.map { ($0.index, $0.page, $0.offset) }
  }

  @Test func aDamagedCommittedWALFrameIsReportedWithItsFrameAndPage() throws {
    let db = try open()
    try build(db)
    let reader = try open(readOnly: true)  // indexes the committed frames now
    let frame = try #require(lastTransactionFrames().last { $0.page != 0 && $0.page != WALFormat.deltaFrameMarker })
    var wal = try #require(disk.contents(path + ".wal"))
    wal[frame.offset + 32 + 200] ^= 0x01
    disk.setContents(path + ".wal", wal)
    let report = try reader.verify()
    #expect(codes(report) == ["WAL_FRAME_CHECKSUM"], "\(report.problems)")
    #expect(report.problems.first?.page == frame.page)
    #expect(report.problems.first?.record == "WAL frame \(frame.index)")
    _ = db
  }

  @Test func aDamagedCommittedDeltaFrameIsReportedWithItsFrame() throws {
    let db = try open()
    try build(db)
    try db.write { tx in _ = try tx.createNode(labels: ["Late"]) }  // a small commit: delta records
    let reader = try open(readOnly: true)
    let frame = try #require(lastTransactionFrames().last { $0.page == WALFormat.deltaFrameMarker })
    var wal = try #require(disk.contents(path + ".wal"))
    wal[frame.offset + 32 + 8] ^= 0x01  // inside the first record's first run
    disk.setContents(path + ".wal", wal)
    let report = try reader.verify()
    #expect(codes(report).first == "WAL_FRAME_CHECKSUM", "\(report.problems)")
    #expect(report.problems.first?.record == "WAL frame \(frame.index)")
    #expect(report.problems.allSatisfy { $0.code.rawValue.hasPrefix("WAL_") }, "\(report.problems)")
    _ = db
  }

  @Test func aStaleFrameAmongTheCommittedOnesIsReported() throws {
    let db = try open()
    try build(db)
    let reader = try open(readOnly: true)
    let frame = try #require(lastTransactionFrames().first { $0.page != 0 })
    var wal = try #require(disk.contents(path + ".wal"))
    wal[frame.offset + 16] &+= 1  // salt 1 of an earlier generation
    disk.setContents(path + ".wal", wal)
    let report = try reader.verify(VerifyOptions(level: .checksums))
    #expect(codes(report) == ["WAL_STALE_FRAME"], "\(report.problems)")
    #expect(report.problems.first?.page == frame.page)
    _ = db
  }

  // MARK: Structure

  @Test func aPageNothingOwnsIsReportedAsLeaked() throws {
    let (db, _) = try builtAndReopened()
    let leaked = try db.write { try $0.pages.allocate(.btreeLeaf) }
    let report = try db.verify(VerifyOptions(level: .structure))
    #expect(codes(report) == ["PAGE_UNREACHABLE"])
    #expect(report.problems.first?.page == leaked)
    #expect(try db.verify().problems == report.problems)
  }

  @Test func aTreePageOnTheFreeListIsAPageUsedTwice() throws {
    let (db, _) = try builtAndReopened()
    let treePage = try root(db, .labels).root
    let free = try db.write { tx in
      let page = try tx.pages.allocate(.raw)
      try tx.pages.free(page)
      return page
    }
    #expect(try db.verify().isClean)
    try db.write { tx in try tx.pages.withMutablePage(free) { $0.putLE(treePage, at: PageLayout.freeNextOffset) } }
    let report = try db.verify()
    #expect(codes(report) == ["PAGE_DOUBLE_USE"], "\(report.problems)")
    #expect(report.problems.first?.page == treePage)
  }

  @Test func aCycleInTheFreeListIsReported() throws {
    let (db, _) = try builtAndReopened()
    let (a, b) = try db.write { tx in
      let a = try tx.pages.allocate(.raw)
      let b = try tx.pages.allocate(.raw)
      try tx.pages.free(a)
      try tx.pages.free(b)  // head b -> a -> 0
      return (a, b)
    }
    try db.write { tx in try tx.pages.withMutablePage(a) { $0.putLE(b, at: PageLayout.freeNextOffset) } }
    let report = try db.verify()
    #expect(codes(report) == ["FREE_LIST_CYCLE"], "\(report.problems)")
    #expect(report.problems.first?.page == b)
  }

  @Test func aFreeListShorterThanTheHeaderSaysIsACountProblem() throws {
    let (db, _) = try builtAndReopened()
    try db.write { tx in
      let a = try tx.pages.allocate(.raw)
      let b = try tx.pages.allocate(.raw)
      try tx.pages.free(a)
      try tx.pages.free(b)
    }
    let head = try db.read { $0.header.freeListHead }
    try db.write { tx in try tx.pages.withMutablePage(head) { $0.putLE(PageNumber(0), at: PageLayout.freeNextOffset) } }
    let report = try db.verify()
    // The page cut off the list is leaked as well.
    #expect(Set(codes(report)) == ["FREE_LIST_COUNT", "PAGE_UNREACHABLE"], "\(report.problems)")
  }

  /// A leaf of `tree` with at least two entries, and the offsets of its cells.
  func leaf(_ db: Database, _ tree: GraphRoot) throws -> (page: PageNumber, cells: [Int]) {
    let btree = try root(db, tree)
    return try db.read { tx in
      for page in btree.checkInvariants(in: tx).pages.sorted() {
        let found: [Int]? = try tx.withPage(page) { bytes in
          let node = try NodeView(bytes, page: page)
          guard node.isLeaf, node.count >= 2 else { return nil }
          return try (0..<node.count).map { try node.cellOffset($0) }
        }
        if let found { return (page, found) }
      }
      throw SombraError.misuse("no leaf with two entries")
    }
  }

  @Test func keysOutOfOrderInALeafAreAKeyOrderProblem() throws {
    let (db, _) = try builtAndReopened()
    let (page, cells) = try leaf(db, .labels)
    try db.write { tx in
      try tx.pages.withMutablePage(page) { bytes in
        // Label-index keys are 12 bytes, after a one-byte length: copy key 0 over key 1.
        for i in 0..<12 { bytes[cells[1] + 1 + i] = bytes[cells[0] + 1 + i] }
      }
    }
    let report = try db.verify()
    #expect(codes(report) == ["BTREE_KEY_ORDER"], "\(report.problems)")
    #expect(report.problems.first?.page == page)
    #expect(report.problems.first?.record == "label-index tree")
    #expect(report.problems.first?.hint == VerifyHint.rebuildIndexes)
    #expect(report.skipped.contains { $0.hasPrefix("label index:") })
  }

  @Test func aChildPointerBackIntoTheTreeIsACycle() throws {
    let (db, _) = try builtAndReopened()
    let tree = try root(db, .adjacency)
    let first: PageNumber = try db.read { tx in
      try tx.withPage(tree.root) { bytes in
        let node = try NodeView(bytes, page: tree.root)
        #expect(!node.isLeaf, "the adjacency tree has more than one level")
        return try node.child(0, pageCount: tx.header.pageCount)
      }
    }
    try db.write { tx in try tx.pages.withMutablePage(tree.root) { $0.putLE(first, at: BTreeNode.rightmostOffset) } }
    let report = try db.verify()
    #expect(codes(report) == ["BTREE_CYCLE"], "\(report.problems)")
    #expect(report.problems.first?.page == tree.root)
  }

  @Test func aCatalogNameWithoutItsReverseEntryIsACatalogProblem() throws {
    let (db, _) = try builtAndReopened()
    let catalog = try root(db, .catalog)
    try db.write { tx in _ = try catalog.insert(CatalogKey.name(.label, "Ghost"), le(77), in: tx.pages) }
    let report = try db.verify(VerifyOptions(level: .structure))
    #expect(codes(report) == ["CATALOG_INVALID"], "\(report.problems)")
  }

  // MARK: Graph

  @Test func anEdgeWhoseTargetIsGoneIsDangling() throws {
    let (db, built) = try builtAndReopened()
    let nodes = try root(db, .nodes)
    let catalog = try root(db, .catalog)
    try db.write { tx in
      _ = try nodes.remove(KeyEncoding.u64(built.lonely), in: tx.pages)
      _ = try catalog.insert([4, 0], le64(UInt64(built.nodes - 1)), in: tx.pages)  // keep the total right
    }
    let report = try db.verify()
    #expect(codes(report) == ["EDGE_DANGLING"], "\(report.problems)")
    #expect(report.problems.first?.record == "edge \(built.lonelyEdge)")
  }

  @Test func aMissingAdjacencyEntryIsReportedForItsEdge() throws {
    let (db, built) = try builtAndReopened()
    let removed = try db.write { tx in
      let stored = try #require(try tx.storedEdge(built.firstEdge))
      let item = AdjacencyItem(type: stored.type, neighbour: stored.source, edge: built.firstEdge)
      return try tx.removeAdjacency(stored.target, outgoing: false, item)
    }
    #expect(removed)
    let report = try db.verify()
    #expect(codes(report) == ["ADJACENCY_MISSING"], "\(report.problems)")
    #expect(report.problems.first?.record == "edge \(built.firstEdge)")
    #expect(try db.verify(VerifyOptions(checkAdjacency: false)).isClean)
  }

  @Test func anAdjacencyItemWithTheWrongTypeIsFoundThoughEveryCountStillMatches() throws {
    // Same number of items, same nodes, same edge ids: only the multiset
    // fingerprint tells, and the exact pass must then name both sides.
    let (db, built) = try builtAndReopened()
    try db.write { tx in
      let stored = try #require(try tx.storedEdge(built.firstEdge))
      let right = AdjacencyItem(type: stored.type, neighbour: stored.target, edge: built.firstEdge)
      let wrong = AdjacencyItem(type: stored.type + 1, neighbour: stored.target, edge: built.firstEdge)
      #expect(try tx.removeAdjacency(stored.source, outgoing: true, right))
      #expect(try tx.addAdjacency(stored.source, outgoing: true, wrong))
    }
    let report = try db.verify()
    #expect(Set(codes(report)) == ["ADJACENCY_EXTRA", "ADJACENCY_MISSING"], "\(report.problems)")
    #expect(report.counts.adjacencyEntries == 2 * built.edges)
  }

  @Test func anAdjacencyEntryWithoutAnEdgeIsExtra() throws {
    let (db, _) = try builtAndReopened()
    let added = try db.write { tx in try tx.addAdjacency(1, outgoing: true, AdjacencyItem(type: 1, neighbour: 2, edge: 9999)) }
    #expect(added)
    let report = try db.verify()
    #expect(codes(report) == ["ADJACENCY_EXTRA"], "\(report.problems)")
    #expect(report.problems.first?.record == "node 1 out edge 9999")
  }

  @Test func aLabelIndexEntryWithoutItsRecordIsExtra() throws {
    let (db, _) = try builtAndReopened()
    let labels = try root(db, .labels)
    try db.write { tx in _ = try labels.insert(GraphKeys.label(1, 9999), [], in: tx.pages) }
    let report = try db.verify()
    #expect(codes(report) == ["LABEL_INDEX_EXTRA"], "\(report.problems)")
    #expect(report.problems.first?.record == "node 9999")
    #expect(try db.verify(VerifyOptions(checkIndexes: false)).isClean)
  }

  @Test func aMissingLabelIndexEntryIsReportedForItsNode() throws {
    let (db, _) = try builtAndReopened()
    let labels = try root(db, .labels)
    let person = try db.read { try #require(try $0.nameID(.label, "Person")) }
    #expect(try db.write { tx in try labels.remove(GraphKeys.label(person, 3), in: tx.pages) })
    let report = try db.verify()
    #expect(codes(report) == ["LABEL_INDEX_MISSING"], "\(report.problems)")
    #expect(report.problems.first?.record == "node 3")
  }

  @Test func aMissingPropertyIndexEntryIsReportedForItsNode() throws {
    let (db, _) = try builtAndReopened()
    let properties = try root(db, .properties)
    let key = try db.read { tx in
      let def = try #require(try tx.indexDefinitions().first { $0.label == 0 })
      let node = try #require(try tx.storedNode(5))
      let value = try #require(node.properties.first { $0.key == def.key }?.value)
      return try #require(GraphKeys.property(def.id, value, 5))
    }
    #expect(try db.write { tx in try properties.remove(key, in: tx.pages) })
    let report = try db.verify()
    #expect(codes(report) == ["PROPERTY_INDEX_MISSING"], "\(report.problems)")
    #expect(report.problems.first?.record == "node 5")
  }

  @Test func aPropertyIndexEntryWithAStaleValueIsExtraAndTheRightOneMissing() throws {
    let (db, _) = try builtAndReopened()
    let properties = try root(db, .properties)
    let (old, stale) = try db.read { tx in
      let def = try #require(try tx.indexDefinitions().first { $0.label != 0 })
      let node = try #require(try tx.storedNode(2))
      let value = try #require(node.properties.first { $0.key == def.key }?.value)
      return (try #require(GraphKeys.property(def.id, value, 2)), try #require(GraphKeys.property(def.id, .int(-5), 2)))
    }
    try db.write { tx in
      _ = try properties.remove(old, in: tx.pages)
      _ = try properties.insert(stale, [], in: tx.pages)
    }
    let report = try db.verify()
    #expect(codes(report) == ["PROPERTY_INDEX_EXTRA", "PROPERTY_INDEX_MISSING"], "\(report.problems)")
    #expect(report.problems.allSatisfy { $0.record == "node 2" })
  }

  @Test func aWrongStoredCountIsReportedWithBothNumbers() throws {
    let (db, _) = try builtAndReopened()
    let catalog = try root(db, .catalog)
    let person = try db.read { try #require(try $0.nameID(.label, "Person")) }
    try db.write { tx in _ = try catalog.insert(CatalogKey.Count.label(person).key, le64(7), in: tx.pages) }
    let report = try db.verify()
    #expect(codes(report) == ["COUNT_MISMATCH"], "\(report.problems)")
    #expect(report.problems.first?.record == "label Person")
    #expect(report.problems.first?.message == "the stored count is 7 but \(Self.people) were counted")
  }

  @Test func aRecordThatDoesNotDecodeIsReportedOnceWithItsID() throws {
    let (db, _) = try builtAndReopened()
    let nodes = try root(db, .nodes)
    try db.write { tx in _ = try nodes.insert(KeyEncoding.u64(4), [0x05, 0xFF], in: tx.pages) }
    let report = try db.verify()
    #expect(codes(report) == ["RECORD_INVALID"], "\(report.problems)")
    #expect(report.problems.first?.record == "node 4")
  }

  // MARK: Limits and concurrency

  @Test func problemsPastMaxErrorsAreCountedButNotListed() throws {
    let (db, _) = try builtAndReopened()
    try db.write { tx in for _ in 0..<10 { _ = try tx.pages.allocate(.btreeLeaf) } }
    let capped = try db.verify(VerifyOptions(maxErrors: 3))
    #expect(capped.problems.count == 3)
    #expect(capped.totalProblems == 10 && capped.totalErrors == 10)
    #expect(capped.stoppedEarly)
    let all = try db.verify(VerifyOptions(maxErrors: 0))
    #expect(all.problems.count == 10 && !all.stoppedEarly)
  }

  @Test func verifyingNextToALiveWriterNeverReportsAFalseProblem() throws {
    let writer = try open()
    try build(writer)
    let reader = try open(readOnly: true)
    let stop = Atomic<Bool>(false)
    let commits = Atomic<Int>(0)
    let failure = Mutex<String?>(nil)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      defer { done.signal() }
      var i = 0
      while !stop.load(ordering: .relaxed) {
        do {
          try writer.write { tx in
            let a = try tx.createNode(labels: ["Person"], properties: ["name": .string("n\(i)"), "age": .int(Int64(i))])
            try tx.createEdge(from: a, to: 1, type: "KNOWS")
            if i % 3 == 0 { try tx.deleteNode(a, detach: true) }
          }
          if i % 5 == 0 { _ = try writer.checkpoint(.passive) }
          commits.add(1, ordering: .relaxed)
        } catch {
          failure.withLock { $0 = "writer: \(error)" }
          return
        }
        i += 1
      }
    }
    var reports: [VerifyReport] = []
    for round in 0..<8 {
      // Let the writer commit between rounds however loaded the machine is.
      let seen = commits.load(ordering: .relaxed)
      waitUntil { commits.load(ordering: .relaxed) != seen || failure.withLock({ $0 }) != nil }
      reports.append(try reader.verify())
      reports.append(try writer.verify(VerifyOptions(level: round % 2 == 0 ? .graph : .checksums)))
    }
    stop.store(true, ordering: .relaxed)
    done.wait()
    #expect(failure.withLock { $0 } == nil)
    for report in reports { #expect(report.problems == [], "transaction \(report.transactionID)") }
    #expect(Set(reports.map(\.transactionID)).count > 1, "the writer committed in between")
  }
}
