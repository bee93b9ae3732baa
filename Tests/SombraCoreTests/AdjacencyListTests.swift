import Glibc
import SombraTestSupport
import Testing

@testable import SombraCore

/// Adjacency lists (`AdjacencyList.swift`): the chunk encoding against its
/// decoder and against hostile bytes; a supernode whose lists span many chunks,
/// driven through the public graph API and compared with a model; and what the
/// verifier and salvage make of multi-chunk lists.
@Suite struct AdjacencyListTests {
  // MARK: Encoding

  @Test func randomSortedItemsSurviveEncodeAndDecode() throws {
    var rng = SplitMix64(seed: 0xAD01)
    var longest = 0
    for round in 0..<300 {
      let items = AdjacencyItems.random(&rng, count: 1 + rng.below(round < 100 ? 6 : 300))
      let bytes = AdjacencyList.encode(items)
      #expect(try AdjacencyList.decode(bytes) == items, "round \(round)")
      longest = max(longest, bytes.count)
    }
    #expect(longest > 4 * AdjacencyList.chunkLimit, "some lists are long enough to need several chunks")
  }

  @Test func theExtremesOfEachFieldSurviveEncodeAndDecode() throws {
    let top = AdjacencyItem(type: .max, neighbour: .max, edge: .max)
    // One item: count, then three varints of 5, 10 and 10 bytes.
    #expect(AdjacencyList.encode([top]).count == 26)
    let lists: [[AdjacencyItem]] = [
      [top],
      [AdjacencyItem(type: 1, neighbour: 0, edge: 0)],
      [AdjacencyItem(type: 1, neighbour: 0, edge: 0), AdjacencyItem(type: 1, neighbour: 0, edge: .max)],
      [AdjacencyItem(type: 1, neighbour: .max, edge: .max - 1), top.with(type: 1)],
      [AdjacencyItem(type: 1, neighbour: 7, edge: .max), AdjacencyItem(type: 1, neighbour: .max, edge: 1), top],
      [AdjacencyItem(type: .max - 1, neighbour: .max, edge: .max), top],
      // Parallel edges: one neighbour under one type, edge ids one apart.
      (1...200).map { AdjacencyItem(type: 3, neighbour: 42, edge: .max - 200 + $0) },
    ]
    for items in lists {
      #expect(try AdjacencyList.decode(AdjacencyList.encode(items)) == items, "\(items.prefix(3))")
    }
    // Parallel edges one id apart cost three bytes each: count, first item, the rest.
    #expect(AdjacencyList.encode(lists[6]).count == 2 + 12 + 3 * 199)
  }

  /// `splice` (the in-place add) against decode, insert and encode: the same
  /// bytes, `present` for an item already there, `overLimit` exactly when the
  /// new value would pass `chunkLimit`; an empty value makes a one-item chunk.
  @Test func spliceWritesWhatDecodingInsertingAndEncodingWould() throws {
    var rng = SplitMix64(seed: 0xAD05)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: AdjacencyList.spliceCapacity, alignment: 8)
    defer { output.deallocate() }
    var outcomes: [String: Int] = [:]
    for round in 0..<3000 {
      let items = AdjacencyItems.random(&rng, count: round % 10 == 0 ? 0 : 1 + rng.below(round < 1500 ? 8 : 120))
      let item: AdjacencyItem
      switch rng.below(4) {
      case 0 where !items.isEmpty: item = items[rng.below(items.count)]
      case 1 where !items.isEmpty:
        item = AdjacencyItem(type: items[0].type, neighbour: items[0].neighbour, edge: items[0].edge &+ 1)
      default: item = AdjacencyItems.random(&rng, count: 1)[0]
      }
      let value = items.isEmpty ? [] : AdjacencyList.encode(items)
      let result = try value.withUnsafeBytes { try AdjacencyList.splice(item, into: $0, output: output) }
      guard !items.contains(item) else {
        #expect(result == .present, "round \(round)")
        outcomes["present", default: 0] += 1
        continue
      }
      let expected = AdjacencyList.encode((items + [item]).sorted())
      if expected.count > AdjacencyList.chunkLimit {
        #expect(result == .overLimit, "round \(round): \(expected.count) bytes")
        outcomes["overLimit", default: 0] += 1
      } else {
        #expect(result == .written(expected.count), "round \(round)")
        #expect(Array(output.prefix(expected.count)) == expected, "round \(round)")
        outcomes[items.isEmpty ? "new" : "written", default: 0] += 1
      }
    }
    #expect(outcomes.values.allSatisfy { $0 >= 100 } && outcomes.count == 4, "every outcome is exercised: \(outcomes)")
  }

  /// Hostile chunk values: `splice` throws `corruption` or returns, never traps,
  /// and never writes past its output.
  @Test func spliceSurvivesHostileChunkValues() throws {
    var rng = SplitMix64(seed: 0xAD06)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: AdjacencyList.spliceCapacity, alignment: 8)
    defer { output.deallocate() }
    var rejected = 0
    for _ in 0..<20_000 {
      var bytes = AdjacencyList.encode(AdjacencyItems.random(&rng, count: 1 + rng.below(60)))
      for _ in 0..<1 + rng.below(4) where !bytes.isEmpty { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
      if rng.below(4) == 0 {
        bytes = (0..<rng.below(2 * AdjacencyList.chunkLimit)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      }
      let item = AdjacencyItems.random(&rng, count: 1)[0]
      do {
        if case .written(let n) = try bytes.withUnsafeBytes({ try AdjacencyList.splice(item, into: $0, output: output) }) {
          #expect(n <= AdjacencyList.chunkLimit)
        }
      } catch let error as SombraError {
        #expect(error.code == .corruption)
        rejected += 1
      }
    }
    #expect(rejected > 1000)
  }

  @Test func packCutsSortedItemsIntoConsecutiveChunksWithinTheLimit() throws {
    var rng = SplitMix64(seed: 0xAD02)
    var multiChunk = 0
    for round in 0..<200 {
      let items = AdjacencyItems.random(&rng, count: 1 + rng.below(800))
      let chunks = AdjacencyList.pack(items)
      try AdjacencyItems.expectPacked(chunks, items, "round \(round)")
      if chunks.count > 2 { multiChunk += 1 }
    }
    #expect(multiChunk > 100, "most lists need several chunks")
    #expect(AdjacencyList.pack([]).isEmpty)
  }

  /// Every item of a different type whose id is far from the one before: each
  /// type delta takes four varint bytes (ids from the catalog are small, but
  /// the encoding takes any u32).
  @Test func packKeepsTheLimitWhenTypeIDsJumpFar() throws {
    let items = (0..<400).map { AdjacencyItem(type: 1 + UInt32($0) << 21, neighbour: 9, edge: UInt64($0) + 1) }
    try AdjacencyItems.expectPacked(AdjacencyList.pack(items), items, "far types")
    let spread = (0..<300).map { AdjacencyItem(type: UInt32.max - UInt32(299 - $0) * 14_000_000, neighbour: 1, edge: 1) }
    try AdjacencyItems.expectPacked(AdjacencyList.pack(spread), spread, "types across the whole range")
  }

  @Test func packCutsItemsWithTheLargestIDsIntoSeveralChunks() throws {
    let top = AdjacencyItem(type: .max, neighbour: .max, edge: .max)
    #expect(AdjacencyList.pack([top]).map(\.lowerBound) == [nil])
    let many = (0..<100).map { AdjacencyItem(type: .max, neighbour: .max - 100 + UInt64($0), edge: .max - UInt64($0)) }
    let chunks = AdjacencyList.pack(many)
    try AdjacencyItems.expectPacked(chunks, many, "large ids")
    // The first item takes 25 bytes, each next one 12 (type delta 0, neighbour
    // delta 1, a 10-byte edge id): 1,213 bytes of items need three chunks.
    #expect(chunks.count == 3)
  }

  // MARK: Hostile bytes

  /// In a child process, so that a trap fails this test instead of the run.
  /// The child writes each wrong outcome to its standard error and exits
  /// normally; the test records what it wrote.
  @Test func hostileValuesAreCorruptionAndNeverTrap() async {
    let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      let failures = HostileAdjacencyValues.failures()
      for failure in failures.prefix(20) { HostileAdjacencyValues.printError(failure + "\n") }
      if failures.count > 20 { HostileAdjacencyValues.printError("... and \(failures.count - 20) more\n") }
    }
    if let result, !result.standardErrorContent.isEmpty {
      Issue.record("\(String(decoding: result.standardErrorContent, as: UTF8.self))")
    }
  }

  @Test func parseKeyTakesOnlyNineAndTwentyNineByteKeysWithADirectionOfZeroOrOne() throws {
    let item = AdjacencyItem(type: 0xDEAD_BEEF, neighbour: .max - 3, edge: 0x0102_0304_0506_0708)
    for outgoing in [true, false] {
      let group = try #require(AdjacencyList.parseKey(AdjacencyList.groupKey(.max, outgoing: outgoing)))
      #expect(group.node == .max && group.outgoing == outgoing && group.lowerBound == nil)
      let bounded = try #require(AdjacencyList.parseKey(AdjacencyList.chunkKey(77, outgoing: outgoing, from: item)))
      #expect(bounded.node == 77 && bounded.outgoing == outgoing && bounded.lowerBound == item)
    }
    let full = AdjacencyList.chunkKey(5, outgoing: false, from: item)
    for length in 0...40 where length != 9 && length != 29 {
      let key = (full + full).prefix(length)
      #expect(AdjacencyList.parseKey(Array(key)) == nil, "\(length) bytes")
    }
    for direction in UInt8(2)...255 {
      var group = AdjacencyList.groupKey(5, outgoing: true)
      group[8] = direction
      var bounded = full
      bounded[8] = direction
      #expect(AdjacencyList.parseKey(group) == nil && AdjacencyList.parseKey(bounded) == nil, "direction \(direction)")
    }
  }

  // MARK: A supernode through the graph API

  @Test func aSupernodeSpanningManyChunksAgreesWithTheModelThroughEveryChange() throws {
    let dir = try ScratchDirectory()
    var hub = Supernode(path: dir.path + "/hub.sombra")
    try hub.open()
    defer { try? hub.db?.close() }
    try hub.createNodes(300)
    // Three types first; the fourth is interned later and gets id 4.
    for _ in 0..<4 { try hub.addEdges(750, types: Supernode.types.prefix(3)) }
    let outChunks = try hub.chunks(outgoing: true)
    let inChunks = try hub.chunks(outgoing: false)
    #expect(outChunks.count >= 8 && inChunks.count >= 8, "\(outChunks.count) out and \(inChunks.count) in chunks")
    #expect(try hub.adjacencyDepth() >= 2, "the adjacency tree has interior pages")

    // The group's first chunk (the 9-byte key), emptied: the list goes on from
    // its bounded chunks.
    let firstOut = try #require(outChunks.first)
    #expect(firstOut.key.count == AdjacencyList.groupKeySize)
    try hub.deleteEdges(firstOut.items.map(\.edge))
    #expect(try hub.chunks(outgoing: true).first?.key.count == AdjacencyList.boundedKeySize)

    // A chunk in the middle of the in-list, emptied.
    let middle = inChunks[inChunks.count / 2]
    let stillThere = middle.items.map(\.edge).filter { hub.edges[$0] != nil }
    try hub.deleteEdges(stillThere)
    #expect(try !hub.chunks(outgoing: false).contains { $0.key == middle.key }, "an emptied chunk is deleted")

    // A random third of all edges, in two transactions; two other nodes with theirs.
    try hub.deleteRandomThird()
    try hub.deleteNodes(2)
    #expect(try hub.chunks(outgoing: true).first?.key.count == AdjacencyList.boundedKeySize)
    // Self-loops of type id 1 (the hub has the lowest node id) land below
    // the first bounded chunk: a 9-byte chunk again.
    let firstKey = try #require(hub.chunks(outgoing: true).first).key
    let bound = try #require(AdjacencyList.parseKey(firstKey)?.lowerBound)
    try #require(bound.type > 1 || bound.neighbour > hub.hub)
    let lowest = try #require(hub.typeIDs.first { $0.value == 1 }?.key)
    try hub.addEdges(20, types: [lowest], selfLoops: true)
    #expect(try hub.chunks(outgoing: true).first?.key.count == AdjacencyList.groupKeySize)
    let before = try hub.chunks(outgoing: true).count + hub.chunks(outgoing: false).count
    for _ in 0..<2 { try hub.addEdges(600, types: Supernode.types[...]) }
    #expect(try hub.chunks(outgoing: true).count + hub.chunks(outgoing: false).count > before)

    let dump = try GraphDump.of(try #require(hub.db))
    try hub.reopen()
    try hub.check("after reopening")
    #expect(try GraphDump.of(try #require(hub.db)) == dump)

    let result = try #require(hub.db).rebuildIndexes()
    #expect(result.adjacencyEntries == 2 * hub.edges.count)
    #expect(result.danglingEdges.isEmpty && result.abandonedTrees.isEmpty)
    try hub.check("after rebuild-indexes")
    #expect(try GraphDump.of(try #require(hub.db)) == dump)
    #expect(try hub.chunks(outgoing: true).count >= 4)

    // The hub deleted with its edges: none of its chunks is left.
    try hub.deleteHub()
    #expect(try hub.chunks(outgoing: true).isEmpty && hub.chunks(outgoing: false).isEmpty)
    let gone = #expect(throws: SombraError.self) { try hub.db?.read { try $0.edges(of: hub.hub) } }
    #expect(gone?.code == .notFound)
  }

  // MARK: Verifier

  enum LayoutDamage: String, CaseIterable, Sendable {
    /// The last item of chunk k - 1 moved to the front of chunk k, below its key.
    case itemBelowItsChunksBound
    /// Chunk k re-keyed to the last item of chunk k - 1 (its items stay above).
    case boundNotAbovePreviousChunk
    /// Chunk k re-keyed as above and also holding that last item again.
    case itemRepeatedAcrossChunks
    /// Chunk k's value replaced by bytes that do not decode.
    case valueDoesNotDecode
    /// Chunk k's value an item count of zero.
    case emptyChunk
  }

  // MARK: Items queued by createEdge

  /// `createEdge` queues its items until something reads or changes adjacency
  /// or the transaction commits; every read in the transaction sees them, a
  /// delete finds them, a rollback drops them, and a transaction with more
  /// than `pendingAdjacencyLimit` items adds them as it goes.
  @Test func queuedItemsAreSeenByEveryReadAndLostOnlyWithARollback() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.pageSize = 4096
    let db = try Database.open("/db/queue.sombra", options: options, storage: disk)
    defer { try? db.close() }
    let nodes = try db.write { tx in try (0..<200).map { _ in try tx.createNode() } }
    try db.write { tx throws in
      let a = try tx.createEdge(from: nodes[0], to: nodes[1], type: "T")
      _ = try tx.createEdge(from: nodes[0], to: nodes[2], type: "U")
      #expect(try tx.neighbors(of: nodes[0]) == [nodes[1], nodes[2]])
      #expect(try tx.degree(of: nodes[1], direction: .incoming) == 1)
      let c = try tx.createEdge(from: nodes[2], to: nodes[0], type: "T")
      try tx.deleteEdge(a)
      #expect(try tx.edges(of: nodes[0], direction: .both).map(\.id).sorted() == [a + 1, c])
      try tx.deleteNode(nodes[3])  // no edges: nothing to flush, nothing lost
    }
    #expect(try db.read { try $0.neighbors(of: nodes[0], direction: .both) } == [nodes[2], nodes[2]])
    let tx = try db.beginWrite()
    for i in 0..<50 { _ = try tx.createEdge(from: nodes[10], to: nodes[11 + i], type: "T") }
    try tx.rollback()
    #expect(try db.read { try $0.degree(of: nodes[10]) } == 0)

    // Past the queue's limit: the items are added in several flushes.
    let edges = WriteTransaction.pendingAdjacencyLimit / 2 + 5000
    var rng = SplitMix64(seed: 0xAD07)
    var expected = [Int](repeating: 0, count: nodes.count)
    try db.write { tx throws in
      for _ in 0..<edges {
        let (from, to) = (rng.below(nodes.count), rng.below(nodes.count))
        guard from != 3, to != 3 else { continue }
        _ = try tx.createEdge(from: nodes[from], to: nodes[to], type: "Bulk")
        expected[from] += 1
      }
      #expect(tx.pendingAdjacency.count < WriteTransaction.pendingAdjacencyLimit)
    }
    try db.read { tx throws in
      for (i, node) in nodes.enumerated() where i != 3 {
        #expect(try tx.degree(of: node, direction: .outgoing, type: "Bulk") == expected[i], "node \(node)")
      }
    }
    #expect(try db.verify().problems == [])
  }

  /// A queued item that cannot be added (its list's chunk is damaged) leaves
  /// the transaction fit only for a rollback: the other queued items went
  /// with the failed flush, so a commit would lose their edges' adjacency.
  @Test func aFlushThatFailsLeavesTheTransactionOnlyToRollBack() throws {
    let disk = SimulatedDisk()
    let db = try Database.open("/db/flush.sombra", options: OpenOptions(), storage: disk)
    defer { try? db.close() }
    try db.write { tx in
      for _ in 0..<3 { _ = try tx.createNode() }
      _ = try tx.createEdge(from: 1, to: 2, type: "T")
      try tx.flushAdjacency()
      // Node 1's out-list: a chunk whose count claims more items than it has.
      let adjacency = BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue])
      try adjacency.insert(AdjacencyList.groupKey(1, outgoing: true), [0x7F, 1, 2, 3], in: tx.pages)
    }
    let tx = try db.beginWrite()
    _ = try tx.createEdge(from: 1, to: 2, type: "T")
    _ = try tx.createEdge(from: 3, to: 3, type: "T")
    #expect(throws: SombraError.self) { _ = try tx.neighbors(of: 3) }
    #expect(throws: SombraError.self) { _ = try tx.createNode() }
    #expect(throws: SombraError.self) { try tx.commit() }
    #expect(try db.read { try $0.edgeCount } == 1)
    #expect(try db.read { try $0.degree(of: 3) } == 0)
  }

  @Test(arguments: LayoutDamage.allCases)
  func damagedChunkLayoutIsAdjacencyProblems(_ damage: LayoutDamage) throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.pageSize = 4096
    let db = try Database.open("/db/hub.sombra", options: options, storage: disk)
    defer { try? db.close() }
    let hub = try db.write { tx in
      let hub = try tx.createNode(labels: ["Hub"])
      let others = try (0..<60).map { _ in try tx.createNode() }
      for i in 0..<500 { try tx.createEdge(from: hub, to: others[(i * 7) % others.count], type: i % 3 == 0 ? "A" : "B") }
      return hub
    }
    #expect(try db.verify().problems == [])
    let group = AdjacencyList.groupKey(hub, outgoing: true)
    let chunks = try db.read { tx in try AdjacencyChunk.all(prefix: group, in: tx) }
    try #require(chunks.count >= 4)
    let (previous, chunk) = (chunks[1], chunks[2])
    try #require(previous.items.count >= 2)
    let moved = try #require(previous.items.last)

    try db.write { tx in
      let adjacency = BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue])
      func put(_ key: [UInt8], _ value: [UInt8]) throws { try adjacency.insert(key, value, in: tx.pages) }
      let movedKey = AdjacencyList.chunkKey(hub, outgoing: true, from: moved)
      switch damage {
      case .itemBelowItsChunksBound:
        try put(previous.key, AdjacencyList.encode(previous.items.dropLast()))
        try put(chunk.key, AdjacencyList.encode([moved] + chunk.items))
      case .boundNotAbovePreviousChunk:
        #expect(try adjacency.remove(chunk.key, in: tx.pages))
        try put(movedKey, AdjacencyList.encode(chunk.items))
      case .itemRepeatedAcrossChunks:
        #expect(try adjacency.remove(chunk.key, in: tx.pages))
        try put(movedKey, AdjacencyList.encode([moved] + chunk.items))
      case .valueDoesNotDecode:
        try put(chunk.key, [0x03, 0x01, 0xFF])
      case .emptyChunk:
        try put(chunk.key, [0x00])
      }
    }
    let report = try db.verify(VerifyOptions(maxErrors: 0))
    let codes = report.problems.map(\.code.rawValue)
    let record = "node \(hub) out"
    switch damage {
    case .itemBelowItsChunksBound:
      #expect(codes == ["ADJACENCY_EXTRA"], "\(report.problems)")
      #expect(report.problems.first?.record == record)
      #expect(report.problems.first?.message.contains("below the lower bound") == true)
    case .boundNotAbovePreviousChunk:
      #expect(codes == ["ADJACENCY_EXTRA"], "\(report.problems)")
      #expect(report.problems.first?.record == record)
      #expect(report.problems.first?.message.contains("the chunk before it") == true)
    case .itemRepeatedAcrossChunks:
      #expect(codes == ["ADJACENCY_EXTRA", "ADJACENCY_EXTRA"], "\(report.problems)")
      #expect(report.problems.map(\.record) == [record, record + " edge \(moved.edge)"])
    case .valueDoesNotDecode, .emptyChunk:
      // The chunk's edges have lost their out-entries.
      #expect(codes == ["ADJACENCY_EXTRA"] + chunk.items.map { _ in "ADJACENCY_MISSING" }, "\(report.problems)")
      #expect(report.problems.first?.record == record)
      #expect(report.problems.first?.message.contains("does not decode") == true)
      #expect(report.problems.dropFirst().compactMap(\.record) == chunk.items.map(\.edge).sorted().map { "edge \($0)" })
      let error = #expect(throws: SombraError.self) { try db.read { try $0.edges(of: hub) } }
      #expect(error?.code == .corruption)
    }
    #expect(!report.isClean)
    #expect(report.problems.allSatisfy { $0.hint == VerifyHint.rebuildIndexes })
    // rebuild-indexes, the repair the report names, makes it clean again.
    _ = try db.rebuildIndexes()
    #expect(try db.verify().problems == [])
    #expect(try db.read { try $0.degree(of: hub, direction: .outgoing) } == 500)
  }

  // MARK: Salvage

  /// A hub with 1,200 edges to 80 nodes (lists of several chunks), open, and its dump.
  func salvageSource(in dir: ScratchDirectory) throws -> (Supernode, Database, GraphDump) {
    var hub = Supernode(path: dir.path + "/hub.sombra")
    try hub.open()
    try hub.createNodes(80)
    try hub.addEdges(1200, types: Supernode.types[...])
    return (hub, try #require(hub.db), try GraphDump.of(try #require(hub.db)))
  }

  @Test func salvageOfAMultiChunkHubRecoversEveryEdge() throws {
    let dir = try ScratchDirectory()
    let (hub, db, original) = try salvageSource(in: dir)
    #expect(try hub.chunks(outgoing: true).count >= 4)
    try db.close()

    let report = try Database.salvage(hub.path, into: dir.path + "/new.sombra")
    #expect(report.isComplete, "\(report)")
    #expect(report.recoveredEdges == hub.edges.count)
    let salvaged = try Database.open(dir.path + "/new.sombra", options: .readOnly)
    defer { try? salvaged.close() }
    #expect(try GraphDump.of(salvaged) == original)
    #expect(try salvaged.verify().problems == [])
  }

  /// With the adjacency root unreadable its leaves are judged by their contents;
  /// the chunks there name the edges of a lost edges leaf, with their types. The
  /// leaf holds a self-loop of the hub, which only the hub's chunks name.
  @Test func salvageReadsOrphanedHubChunksToListTheEdgesItLost() throws {
    let dir = try ScratchDirectory()
    let (hub, db, original) = try salvageSource(in: dir)
    let (adjacencyRoot, edgesLeaf) = try db.read { tx -> (PageNumber, (page: PageNumber, ids: [EdgeID])) in
      let root = tx.header.roots[GraphRoot.adjacency.rawValue]
      let isLeaf = try tx.withPage(root) { try NodeView($0, page: root).isLeaf }
      #expect(!isLeaf, "the adjacency root is an interior page")
      let pages = try BTree(root: tx.header.roots[GraphRoot.edges.rawValue]).collectPages(in: tx)
      let leaves = try pages.compactMap { page -> (page: PageNumber, ids: [EdgeID])? in
        let bytes = try db.rawPage(page, in: tx)
        guard bytes[0] == PageType.btreeLeaf.rawValue else { return nil }
        let node = try bytes.withUnsafeBytes { try InspectedNode($0, page: page) }
        return (page: page, ids: node.cells.compactMap { KeyEncoding.readU64($0.key, at: 0) })
      }.sorted { $0.page < $1.page }
      let withLoop = leaves.dropFirst().first { $0.ids.contains(where: hub.isSelfLoopOfTheHub) }
      return (root, try #require(withLoop, "an edges leaf with a self-loop of the hub"))
    }
    try db.close()
    try Supernode.flip(hub.path, page: adjacencyRoot)
    try Supernode.flip(hub.path, page: edgesLeaf.page)

    let report = try Database.salvage(hub.path, into: dir.path + "/new.sombra")
    #expect(report.badPages == [adjacencyRoot, edgesLeaf.page].sorted())
    #expect(report.lostNodes.isEmpty)
    #expect(report.lostEdges.map(\.id) == edgesLeaf.ids.sorted())
    for lost in report.lostEdges { #expect(lost.names == [hub.edges[lost.id]?.type ?? "?"], "edge \(lost.id)") }
    #expect(report.recoveredEdges == hub.edges.count - edgesLeaf.ids.count)
    let salvaged = try Database.open(dir.path + "/new.sombra", options: .readOnly)
    defer { try? salvaged.close() }
    let lost = Set(edgesLeaf.ids)
    #expect(try GraphDump.of(salvaged).edges == original.edges.filter { !lost.contains($0.id) })
    #expect(try salvaged.verify().problems == [])
  }
}

// MARK: - Items and chunks

extension AdjacencyItem {
  fileprivate func with(type: UInt32) -> AdjacencyItem { AdjacencyItem(type: type, neighbour: neighbour, edge: edge) }
}

enum AdjacencyItems {
  /// An id: small, near the top, at a varint length step, or anything.
  static func id(_ rng: inout SplitMix64) -> UInt64 {
    switch rng.below(4) {
    case 0: UInt64(rng.below(300))
    case 1: UInt64.max - UInt64(rng.below(300))
    case 2: (UInt64(1) << UInt64(7 * (1 + rng.below(9)))) &+ UInt64(rng.below(3)) &- 1
    default: rng.next()
    }
  }

  /// A type id ≥ 1: small, near the top, or anything.
  static func type(_ rng: inout SplitMix64) -> UInt32 {
    switch rng.below(3) {
    case 0: 1 + UInt32(rng.below(5))
    case 1: UInt32.max - UInt32(rng.below(5))
    default: UInt32(truncatingIfNeeded: rng.next()) | 1
    }
  }

  /// `count` distinct items, sorted: a few types (or, now and then, hundreds of
  /// them), runs of parallel edges to one neighbour, ids near the top of their range.
  static func random(_ rng: inout SplitMix64, count: Int) -> [AdjacencyItem] {
    let types = (0..<(rng.below(5) == 0 ? 300 : 1 + rng.below(4))).map { _ in type(&rng) }
    var items = Set<AdjacencyItem>()
    while items.count < count {
      let type = types[rng.below(types.count)]
      let neighbour = id(&rng)
      var edge = id(&rng)
      for _ in 0..<(rng.below(4) == 0 ? 2 + rng.below(6) : 1) where items.count < count {
        items.insert(AdjacencyItem(type: type, neighbour: neighbour, edge: edge))
        edge = rng.below(2) == 0 ? edge &+ 1 : id(&rng)
      }
    }
    return items.sorted()
  }

  /// `pack`'s contract: chunk values decode to consecutive slices of `items`,
  /// each at most `chunkLimit` bytes unless it holds one item; the first chunk
  /// has no lower bound, every other one its first item.
  static func expectPacked(
    _ chunks: [(lowerBound: AdjacencyItem?, value: [UInt8])], _ items: [AdjacencyItem], _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    var rest = items[...]
    for (i, chunk) in chunks.enumerated() {
      let decoded = try AdjacencyList.decode(chunk.value)
      #expect(
        !decoded.isEmpty && decoded[...] == rest.prefix(decoded.count), "\(context): chunk \(i)", sourceLocation: sourceLocation)
      rest = rest.dropFirst(decoded.count)
      #expect(
        chunk.value.count <= AdjacencyList.chunkLimit || decoded.count == 1,
        "\(context): chunk \(i) of \(decoded.count) items is \(chunk.value.count) bytes", sourceLocation: sourceLocation)
      #expect(chunk.lowerBound == (i == 0 ? nil : decoded.first), "\(context): chunk \(i)", sourceLocation: sourceLocation)
    }
    #expect(rest.isEmpty, "\(context): \(rest.count) items not packed", sourceLocation: sourceLocation)
  }
}

/// One stored chunk: its key and its items.
struct AdjacencyChunk {
  var key: [UInt8]
  var items: [AdjacencyItem]

  /// The chunks under `prefix` (a group key), in key order.
  static func all(prefix: [UInt8], in pages: Transaction) throws -> [AdjacencyChunk] {
    var chunks: [AdjacencyChunk] = []
    try BTree(root: pages.header.roots[GraphRoot.adjacency.rawValue]).scan(prefix: prefix, in: pages) { key, value in
      chunks.append(AdjacencyChunk(key: key, items: try AdjacencyList.decode(value)))
      return true
    }
    return chunks
  }
}

// MARK: - Hostile values

enum HostileAdjacencyValues {
  static func printError(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
  }

  static func varint(_ v: UInt64) -> [UInt8] {
    var w = ByteWriter(capacity: 10)
    w.varint(v)
    return w.bytes
  }

  /// Each case where decoding did not go as it must: bytes the encoder did not
  /// write are `corruption`, and what decodes re-encodes to the same bytes.
  static func failures() -> [String] {
    var failures: [String] = []
    func mustFail(_ bytes: [UInt8], _ what: String) {
      do {
        let items = try AdjacencyList.decode(bytes)
        failures.append("\(what): \(bytes.prefix(40)) decoded as \(items.prefix(4))")
      } catch let error as SombraError where error.code == .corruption {
        return
      } catch {
        failures.append("\(what): \(bytes.prefix(40)) threw \(error), not corruption")
      }
    }
    /// Either corruption or items that ascend, with type ids ≥ 1 (and, when
    /// every varint was canonical, the same bytes again from `encode`).
    func mayDecode(_ bytes: [UInt8], canonical: Bool, _ what: String) {
      do {
        let items = try AdjacencyList.decode(bytes)
        let ascending = zip(items, items.dropFirst()).allSatisfy { $0 < $1 }
        if items.isEmpty || !ascending || items.contains(where: { $0.type == 0 }) {
          failures.append("\(what): \(bytes.prefix(40)) decoded as \(items.prefix(4)), which is not a list")
        } else if canonical, AdjacencyList.encode(items) != bytes {
          failures.append("\(what): \(bytes.prefix(40)) decoded as \(items.prefix(4)), which encodes otherwise")
        }
      } catch let error as SombraError where error.code == .corruption {
        return
      } catch {
        failures.append("\(what): \(bytes.prefix(40)) threw \(error), not corruption")
      }
    }

    // Crafted values.
    let one = AdjacencyList.encode([AdjacencyItem(type: 1, neighbour: 2, edge: 3)])
    mustFail([], "no bytes")
    mustFail([0x00], "count 0")
    mustFail([0x00, 1, 2, 3], "count 0 before an item")
    mustFail([0x02, 1, 2, 3], "count 2, one item")
    mustFail([0x05] + one.dropFirst() + one.dropFirst(), "count 5, two items")
    mustFail(varint(.max) + [1, 2, 3], "count 2^64 - 1")
    mustFail(varint(1 << 62) + [UInt8](repeating: 1, count: 30), "count 2^62")
    mustFail([1] + varint(UInt64(UInt32.max) + 1) + [1, 1], "a first type delta of 2^32")
    mustFail([1] + varint(.max) + [1, 1], "a first type delta of 2^64 - 1")
    mustFail([2] + varint(UInt64(UInt32.max)) + [1, 1] + [1, 1, 1], "a type delta past type id 2^32 - 1")
    mustFail([2, 5, 1, 1] + varint(UInt64(UInt32.max)) + [1, 1], "type 5 then a delta of 2^32 - 1")
    mustFail([2, 5, 1, 1] + varint(.max) + [1, 1], "type 5 then a delta of 2^64 - 1")
    mustFail([2, 1] + varint(.max) + [1] + [0, 1, 1], "a neighbour delta past 2^64 - 1")
    mustFail([2, 1, 1] + varint(.max) + [0, 0, 1], "an edge delta past 2^64 - 1")
    mustFail([2, 1, 5, 7, 0, 0, 0], "a repeated item")
    mustFail([3, 1, 5, 7, 0, 1, 1, 0, 0, 0], "a repeated item after a neighbour step")
    mustFail([1, 0, 5, 7], "type id 0 by a neighbour")
    mustFail([1, 0, 0, 7], "type id 0 by an edge")
    mustFail([1, 0, 0, 0], "the item (0, 0, 0)")
    mustFail(one + [0], "a trailing zero byte")
    mustFail(one + [0x80], "a trailing varint start")
    mustFail(one + one, "a second value after the first")
    mustFail([1] + [UInt8](repeating: 0xFF, count: 10) + [0x01, 1, 1], "an 11-byte varint")
    mustFail([1] + [UInt8](repeating: 0xFF, count: 9) + [0x02, 1, 1], "a varint past 64 bits")
    mustFail([1, 1, 1, 0x80], "a truncated varint")

    var rng = SplitMix64(seed: 0xAD03)
    // Every truncation and extension of valid values.
    for round in 0..<150 {
      let items = AdjacencyItems.random(&rng, count: 1 + rng.below(round < 100 ? 4 : 40))
      let bytes = AdjacencyList.encode(items)
      for length in 0..<bytes.count { mustFail(Array(bytes[..<length]), "round \(round) cut to \(length) bytes") }
      mustFail(bytes + [UInt8(truncatingIfNeeded: rng.next())], "round \(round) with a byte more")
    }
    // Random bytes.
    for round in 0..<20_000 {
      let count = rng.below(round < 10_000 ? 8 : 64)
      var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // Small counts and small deltas make more of them decode.
      if !bytes.isEmpty, round % 2 == 0 { bytes[0] = UInt8(rng.below(4)) }
      if round % 3 == 0 { bytes = bytes.map { $0 & 0x83 } }
      mayDecode(bytes, canonical: false, "random bytes \(round)")
    }
    // Random canonical varints: a count, then triples of interesting values.
    let u32 = UInt64(UInt32.max)
    let interesting: [UInt64] = [0, 1, 2, 127, 128, u32 - 1, u32, u32 + 1, .max - 1, .max]
    for round in 0..<20_000 {
      let n = rng.below(5)
      var bytes = varint(UInt64(rng.below(8) == 0 ? rng.below(8) : n))
      for _ in 0..<(3 * n) {
        bytes += varint(rng.below(3) == 0 ? rng.next() >> UInt64(rng.below(64)) : interesting[rng.below(interesting.count)])
      }
      mayDecode(bytes, canonical: true, "random varints \(round)")
    }
    return failures
  }
}

// MARK: - The supernode scenario

/// One hub node with thousands of edges out and in, other nodes with a few,
/// and a model of every edge: what `edges`, `neighbors` and `degree` must say.
struct Supernode {
  static let types = ["FOLLOWS", "LIKES", "BLOCKS", "MENTIONS"]

  struct EdgeFacts: Equatable {
    var source: NodeID
    var target: NodeID
    var type: String
  }

  let path: String
  var db: Database?
  var hub: NodeID = 0
  private(set) var hubDeleted = false
  var others: [NodeID] = []
  private(set) var edges: [EdgeID: EdgeFacts] = [:]
  /// Type ids in interning order: the first type used is 1.
  private(set) var typeIDs: [String: UInt32] = [:]
  /// Every (source, target, type) used, for parallel edges.
  private var pairs: [EdgeFacts] = []
  var rng = SplitMix64(seed: 0xAD04)

  init(path: String) { self.path = path }

  static var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    o.sync = .off
    return o
  }

  mutating func open() throws { db = try Database.open(path, options: Self.options) }

  mutating func reopen() throws {
    try db?.close()
    db = nil
    try open()
  }

  private func database() throws -> Database {
    guard let db else { throw SombraError.misuse("the supernode database is not open") }
    return db
  }

  mutating func createNodes(_ count: Int) throws {
    (hub, others) = try database().write { tx in
      (try tx.createNode(labels: ["Hub"]), try (0..<count).map { _ in try tx.createNode(labels: ["Other"]) })
    }
  }

  /// `count` edges in one transaction: most from or to the hub (parallel edges,
  /// self-loops), some between other nodes; or only self-loops of the hub.
  /// Checked after the commit.
  mutating func addEdges(_ count: Int, types: ArraySlice<String>, selfLoops: Bool = false) throws {
    var planned: [EdgeFacts] = []
    for _ in 0..<count {
      let type = types[types.startIndex + rng.below(types.count)]
      let other = others[rng.below(others.count)]
      let roll = selfLoops ? 0 : rng.below(40)
      let facts: EdgeFacts
      if roll == 0 {
        facts = EdgeFacts(source: hub, target: hub, type: type)
      } else if roll < 8, !pairs.isEmpty {
        facts = pairs[rng.below(pairs.count)]
      } else if roll < 11 {
        facts = EdgeFacts(source: other, target: others[rng.below(others.count)], type: type)
      } else {
        let out = rng.below(2) == 0
        facts = EdgeFacts(source: out ? hub : other, target: out ? other : hub, type: type)
      }
      planned.append(facts)
    }
    let ids = try database().write { tx in
      try planned.map { try tx.createEdge(from: $0.source, to: $0.target, type: $0.type) }
    }
    for (id, facts) in zip(ids, planned) {
      if typeIDs[facts.type] == nil { typeIDs[facts.type] = UInt32(typeIDs.count + 1) }
      edges[id] = facts
      pairs.append(facts)
    }
    try check("after adding \(count) edges (\(edges.count) in all)")
  }

  /// Deletes edges in one transaction; checked after the commit.
  mutating func deleteEdges(_ ids: [EdgeID]) throws {
    try database().write { tx in
      for id in ids { try tx.deleteEdge(id) }
    }
    for id in ids { edges[id] = nil }
    try check("after deleting \(ids.count) edges (\(edges.count) left)")
  }

  /// A third of all edges, chosen at random, in two transactions.
  mutating func deleteRandomThird() throws {
    var ids = edges.keys.sorted()
    ids.shuffle(using: &rng)
    let doomed = ids.prefix(ids.count / 3)
    let half = doomed.count / 2
    try deleteEdges(Array(doomed.prefix(half)))
    try deleteEdges(Array(doomed.dropFirst(half)))
  }

  /// The `count` lowest other nodes that have edges, deleted with them.
  mutating func deleteNodes(_ count: Int) throws {
    let linked = Set(edges.values.flatMap { [$0.source, $0.target] }).subtracting([hub]).sorted().prefix(count)
    try database().write { tx in
      for node in linked { try tx.deleteNode(node, detach: true) }
    }
    for node in linked {
      for (id, facts) in edges where facts.source == node || facts.target == node { edges[id] = nil }
    }
    others.removeAll { linked.contains($0) }
    pairs.removeAll { linked.contains($0.source) || linked.contains($0.target) }
    try check("after deleting \(count) nodes with their edges")
  }

  func isSelfLoopOfTheHub(_ id: EdgeID) -> Bool { edges[id].map { $0.source == hub && $0.target == hub } ?? false }

  /// Deletes the hub with its edges; later checks look at the other nodes only.
  mutating func deleteHub() throws {
    let hub = self.hub
    try database().write { tx in try tx.deleteNode(hub, detach: true) }
    for (id, facts) in edges where facts.source == hub || facts.target == hub { edges[id] = nil }
    pairs.removeAll { $0.source == hub || $0.target == hub }
    hubDeleted = true
    try check("after deleting the hub")
  }

  /// One entry of a node's list as the model sees it.
  struct Listed {
    var typeID: UInt32
    var type: String
    var neighbour: NodeID
    var edge: EdgeID
  }

  /// The out- and in-lists of `nodes`, each by (type id, neighbour, edge id).
  func lists(of nodes: Set<NodeID>) -> [NodeID: (out: [Listed], in: [Listed])] {
    var result: [NodeID: (out: [Listed], in: [Listed])] = [:]
    for (id, facts) in edges {
      let typeID = typeIDs[facts.type] ?? 0
      if nodes.contains(facts.source) {
        result[facts.source, default: ([], [])].out.append(
          Listed(typeID: typeID, type: facts.type, neighbour: facts.target, edge: id))
      }
      if nodes.contains(facts.target) {
        result[facts.target, default: ([], [])].in.append(
          Listed(typeID: typeID, type: facts.type, neighbour: facts.source, edge: id))
      }
    }
    func sorted(_ list: [Listed]) -> [Listed] {
      list.sorted { ($0.typeID, $0.neighbour, $0.edge) < ($1.typeID, $1.neighbour, $1.edge) }
    }
    return result.mapValues { (sorted($0.out), sorted($0.in)) }
  }

  /// The model's answer to `edges(of:direction:type:)`: outgoing entries before
  /// incoming ones (a self-loop is in both), each list in its order.
  static func expected(_ lists: (out: [Listed], in: [Listed])?, _ direction: Direction, _ type: String?) -> [Listed] {
    let all = (direction == .incoming ? [] : lists?.out ?? []) + (direction == .outgoing ? [] : lists?.in ?? [])
    return all.filter { type == nil || $0.type == type }
  }

  /// The hub and a few other nodes against the model, the hub's chunks against
  /// the layout invariants, and a clean verify.
  func check(_ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let db = try database()
    var degrees: [NodeID: Int] = [:]
    for facts in edges.values where facts.source != hub && facts.target != hub {
      degrees[facts.source, default: 0] += 1
      degrees[facts.target, default: 0] += 1
    }
    let busiest = degrees.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(3).map(\.key)
    let quiet = others.filter { degrees[$0] == nil }.prefix(1)
    try db.read { tx in
      for (name, id) in try tx.edgeTypes().map({ ($0.name, try tx.nameID(.type, $0.name)) }) {
        #expect(id == typeIDs[name], "\(step): type \(name)", sourceLocation: sourceLocation)
      }
      let nodes = (hubDeleted ? [] : [hub]) + busiest + quiet
      let model = lists(of: Set(nodes))
      for node in nodes {
        for direction in Direction.allCases {
          for type in [nil] + Self.types {
            let want = Self.expected(model[node], direction, type)
            let what = "\(step): node \(node) \(direction) \(type ?? "any type")"
            let neighbours = try tx.neighbors(of: node, direction: direction, type: type)
            #expect(neighbours == want.map(\.neighbour), "\(what)", sourceLocation: sourceLocation)
            let degree = try tx.degree(of: node, direction: direction, type: type)
            #expect(degree == want.count, "\(what)", sourceLocation: sourceLocation)
            // Edge records for one typed and one untyped listing per direction.
            guard type == nil || type == Self.types[1] else { continue }
            let got = try tx.edges(of: node, direction: direction, type: type)
            #expect(got.map(\.id) == want.map(\.edge), "\(what)", sourceLocation: sourceLocation)
            let mismatched = got.filter { EdgeFacts(source: $0.source, target: $0.target, type: $0.type) != edges[$0.id] }
            #expect(mismatched.isEmpty, "\(what): \(mismatched.prefix(3))", sourceLocation: sourceLocation)
          }
        }
      }
      for outgoing in [true, false] {
        let chunks = try AdjacencyChunk.all(prefix: AdjacencyList.groupKey(hub, outgoing: outgoing), in: tx)
        let problems = Self.layoutProblems(chunks)
        let what = "\(step): hub \(outgoing ? "out" : "in")"
        #expect(problems.isEmpty, "\(what): \(problems.prefix(3))", sourceLocation: sourceLocation)
      }
    }
    let report = try db.verify()
    #expect(report.problems == [], "\(step)", sourceLocation: sourceLocation)
    #expect(report.counts.adjacencyEntries == 2 * edges.count, "\(step)", sourceLocation: sourceLocation)
  }

  /// Invariants 1 and 2 of `AdjacencyList` and the size limit, for one group.
  static func layoutProblems(_ chunks: [AdjacencyChunk]) -> [String] {
    var problems: [String] = []
    var previousLast: AdjacencyItem?
    for (i, chunk) in chunks.enumerated() {
      guard let parsed = AdjacencyList.parseKey(chunk.key), let first = chunk.items.first, let last = chunk.items.last else {
        problems.append("chunk \(i): malformed key or no items")
        continue
      }
      if let bound = parsed.lowerBound, first < bound { problems.append("chunk \(i): \(first) below its bound \(bound)") }
      if parsed.lowerBound == nil, i > 0 { problems.append("chunk \(i): a second chunk without a bound") }
      if let previousLast, let bound = parsed.lowerBound, !(previousLast < bound) {
        problems.append("chunk \(i): bound \(bound) not above \(previousLast)")
      }
      if AdjacencyList.encode(chunk.items).count > AdjacencyList.chunkLimit, chunk.items.count > 1 {
        problems.append("chunk \(i): \(chunk.items.count) items over the limit")
      }
      previousLast = last
    }
    return problems
  }

  /// Chunks of the hub's list in one direction.
  func chunks(outgoing: Bool) throws -> [AdjacencyChunk] {
    try database().read { tx in try AdjacencyChunk.all(prefix: AdjacencyList.groupKey(hub, outgoing: outgoing), in: tx) }
  }

  /// Levels of the adjacency tree (1: the root is a leaf).
  func adjacencyDepth() throws -> Int {
    try database().read { tx in
      let root = tx.header.roots[GraphRoot.adjacency.rawValue]
      return try tx.withPage(root) { 1 + (try NodeView($0, page: root).level) }
    }
  }

  /// Inverts eight bytes inside `page` of the file at `path` (its checksum no longer matches).
  static func flip(_ path: String, page: PageNumber, at offset: Int = 100) throws {
    let file = try POSIXStorageSystem().open(path, .readWrite)
    defer { file.close() }
    let at = UInt64(page) * UInt64(options.pageSize) + UInt64(offset)
    var bytes = [UInt8](repeating: 0, count: 8)
    _ = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: at) }
    bytes = bytes.map { ~$0 }
    try bytes.withUnsafeBytes { try file.write($0, at: at) }
  }
}
