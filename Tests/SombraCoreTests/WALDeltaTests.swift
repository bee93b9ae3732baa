import SombraTestSupport
import Testing

@testable import SombraCore

/// Delta records (`WALDelta`) and the page versions the pager rebuilds from them.
@Suite struct WALDeltaTests {
  static let pageSize = 4096

  /// A page of random bytes and a copy with `edits` random runs changed.
  static func pagePair(_ rng: inout SplitMix64, edits: Int) -> (old: [UInt8], new: [UInt8]) {
    let old = (0..<pageSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    var new = old
    for _ in 0..<edits {
      let start = rng.below(pageSize)
      let length = min(1 + rng.below(40), pageSize - start)
      for i in start..<start + length { new[i] = UInt8(truncatingIfNeeded: rng.next()) }
    }
    return (old, new)
  }

  static func encode(_ page: PageNumber, _ old: [UInt8], _ new: [UInt8], limit: Int = pageSize) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: pageSize + 64)
    let end = out.withUnsafeMutableBytes { o in
      old.withUnsafeBytes { a in
        new.withUnsafeBytes { b in WALDelta.encode(page: page, old: a, new: b, into: o, at: 0, limit: limit) }
      }
    }
    return end.map { Array(out[0..<$0]) }
  }

  /// Writes the record for `page` in `records` over `base`.
  static func apply(_ records: [UInt8], page: PageNumber, to base: [UInt8]) throws -> [UInt8] {
    var result = base
    try records.withUnsafeBytes { bytes in
      let parsed = try #require(WALDelta.records(bytes, pageSize: pageSize))
      let record = try #require(parsed.first { $0.page == page })
      result.withUnsafeMutableBytes { WALDelta.apply(record, from: bytes, to: $0) }
    }
    return result
  }

  @Test func recordsRebuildTheNewVersionEvenOverATornMixOfOldAndNew() throws {
    var rng = SplitMix64(seed: 0xDE17A)
    for round in 0..<500 {
      let (old, new) = Self.pagePair(&rng, edits: rng.below(12))
      let records = try #require(Self.encode(7, old, new), "round \(round)")
      if old == new {
        #expect(records.isEmpty, "no record for an unchanged page")
        continue
      }
      #expect(try Self.apply(records, page: 7, to: old) == new, "round \(round)")
      // A checkpoint torn at any byte leaves new bytes up to there, old after.
      let cut = rng.below(Self.pageSize + 1)
      let torn = Array(new[0..<cut] + old[cut...])
      #expect(try Self.apply(records, page: 7, to: torn) == new, "round \(round), torn at \(cut)")
      // Runs cover only changed bytes, each run header costing 4 bytes.
      let changed = zip(old, new).filter { $0 != $1 }.count
      #expect(records.count >= WALDelta.recordHeaderSize + changed)
    }
  }

  @Test func aRecordOverTheLimitIsRefused() throws {
    var rng = SplitMix64(seed: 0xDE17B)
    let (old, new) = Self.pagePair(&rng, edits: 200)
    #expect(Self.encode(1, old, new, limit: Self.pageSize / 4) == nil)
    #expect(Self.encode(1, old, new, limit: Self.pageSize + 64) != nil)
  }

  @Test func hostileRecordsNeverTrapAndWhatParsesStaysInsideThePage() throws {
    var rng = SplitMix64(seed: 0xDE17C)
    var parsedSome = 0
    for _ in 0..<20_000 {
      var bytes = (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // Plausible headers now and then, so some of them parse.
      if bytes.count >= 10, rng.below(2) == 0 {
        bytes[4] = 1
        bytes[5] = 0
        bytes[6] = UInt8(rng.below(200))
        bytes[7] = UInt8(rng.below(16))
        bytes[8] = UInt8(1 + rng.below(3))
        bytes[9] = 0
      }
      guard let records = bytes.withUnsafeBytes({ WALDelta.records($0, pageSize: Self.pageSize) }) else { continue }
      parsedSome += 1
      var page = [UInt8](repeating: 0, count: Self.pageSize)
      bytes.withUnsafeBytes { b in page.withUnsafeMutableBytes { p in for r in records { WALDelta.apply(r, from: b, to: p) } } }
      for r in records { #expect(r.body.upperBound <= bytes.count) }
    }
    #expect(parsedSome > 100)
  }

  // MARK: Through the pager

  static let path = "/db/delta.sombra"

  static func options(cachePages: Int) -> OpenOptions {
    var o = OpenOptions()
    o.pageSize = pageSize
    o.cachePages = cachePages
    return o
  }

  /// A snapshot taken before more small commits keeps reading its own
  /// versions after a checkpoint copied newer ones into the main file (the
  /// base its delta chains start from), with a cache too small to hold them.
  @Test func anOldSnapshotReadsItsVersionsAfterACheckpointRewroteTheirBase() throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: Self.options(cachePages: 8), storage: disk)
    var ids: [NodeID] = []
    try db.write { tx in
      for i in 0..<300 { ids.append(try tx.createNode(labels: ["N"], properties: ["v": .int(Int64(i))])) }
    }
    _ = try db.checkpoint(.full)
    var values = (0..<300).map { Int64($0) }
    var rng = SplitMix64(seed: 0xDE17D)
    func smallCommits(_ n: Int) throws {
      for _ in 0..<n {
        let i = rng.below(ids.count)
        values[i] += 1000
        try db.write { try $0.setProperties(["v": .int(values[i])], onNode: ids[i]) }
      }
    }
    try smallCommits(60)
    let frames = try db.read { db.visibleFrames(in: $0) }
    #expect(frames.contains { $0.page == WALFormat.deltaFrameMarker }, "small commits log delta frames")
    let reader = try db.beginRead()
    let seen = values
    try smallCommits(60)
    let result = try db.checkpoint(.passive)
    #expect(result.pagesCopied > 0 && !result.walReset, "copied up to the reader's mark, no reset")
    for (i, id) in ids.enumerated() {
      #expect(try reader.node(id)?.properties["v"] == .int(seen[i]), "node \(id) as the reader saw it")
    }
    reader.end()
    for (i, id) in ids.enumerated() {
      #expect(try db.read { try $0.node(id)?.properties["v"] } == .int(values[i]))
    }
    #expect(try db.verify().problems == [])
    try db.close()
    let again = try Database.open(Self.path, options: Self.options(cachePages: 8), storage: disk)
    for (i, id) in ids.enumerated() {
      #expect(try again.read { try $0.node(id)?.properties["v"] } == .int(values[i]))
    }
    try again.close()
  }

  /// A record that grows a little in a packed leaf moves to the leaf's free
  /// gap instead of sliding the records below it (`NodeEditor.replace` with
  /// `fewBytes`), so a small transaction logs a few bytes, not the leaf.
  @Test func aGrowingRecordInAPackedLeafIsLoggedAsAFewBytes() throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: Self.options(cachePages: 256), storage: disk)
    var ids: [NodeID] = []
    var names = (0..<300).map { "n\($0)" }
    try db.write { tx in
      for i in 0..<300 { ids.append(try tx.createNode(labels: ["N"], properties: ["s": .string(names[i])])) }
    }
    // Appended leaves are full; growing the first records splits the first
    // leaf, which leaves both halves with room.
    try db.write { tx in
      for i in 0..<20 {
        names[i] += "-x"
        try tx.setProperties(["s": .string(names[i])], onNode: ids[i])
      }
    }
    _ = try db.checkpoint(.full)
    #expect(db.pager.lock.withLock { $0.walHeader?.allowsDeltas } ?? true)
    // Records near the top of their leaf (small ids), below which many others lie.
    for (round, i) in [1, 2, 3, 5, 8, 13, 4, 6, 7, 9].enumerated() {
      names[i] += "-grown-\(round)"
      try db.write { try $0.setProperties(["s": .string(names[i])], onNode: ids[i]) }
    }
    let frames = try db.read { db.visibleFrames(in: $0) }
    let images = frames.filter { $0.page != WALFormat.deltaFrameMarker }.map(\.page)
    #expect(images.allSatisfy { $0 == 0 }, "only the header page is logged whole: \(images)")
    #expect(frames.count > 10, "a frame per commit at least")
    for (i, id) in ids.enumerated() { #expect(try db.read { try $0.node(id)?.properties["s"] } == .string(names[i])) }
    #expect(try db.verify().problems == [])
    try db.close()
    let again = try Database.open(Self.path, options: Self.options(cachePages: 256), storage: disk)
    for (i, id) in ids.enumerated() { #expect(try again.read { try $0.node(id)?.properties["s"] } == .string(names[i])) }
    try again.close()
  }

  /// A version 1 WAL (image frames only, as earlier releases wrote) still
  /// recovers; the generation after it is written as version 2.
  @Test func aVersion1WALRecoversAndTheNextGenerationIsVersion2() throws {
    let disk = SimulatedDisk()
    do {
      // A cache of 8 pages lets a transaction of more than 2 pages log images
      // only (`Pager.logPlan`): the WAL then reads as a version 1 one would.
      let db = try Database.open(Self.path, options: Self.options(cachePages: 8), storage: disk)
      _ = try db.write { try $0.createNode(labels: ["Old"], properties: ["k": .string("v1")]) }
      _ = db  // dropped without close: the commit lives in the WAL
    }
    var wal = try #require(disk.contents(Self.path + ".wal"))
    let scan = try WALScanner.scan(try disk.open(Self.path + ".wal", .readOnly), pageSize: Self.pageSize)
    #expect(scan.transactions >= 1 && !scan.committed.contains { $0.isDelta }, "images only")
    // Rewrite the header as version 1; the frames' chain starts from its CRC.
    let header = try #require(scan.header)
    let old = WALHeader(
      pageSize: header.pageSize, sequence: header.sequence, salt1: header.salt1, salt2: header.salt2, version: 1)
    wal.replaceSubrange(0..<WALFormat.headerSize, with: old.encode())
    var running = old.checksum
    var offset = WALFormat.headerSize
    for _ in scan.committed {
      let head = wal.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 24]) }
      let page = wal.withUnsafeBytes { Array($0[offset + 32..<offset + 32 + Self.pageSize]) }
      running = page.withUnsafeBytes { WALFrameHeader.chain(running, head: head, page: $0) }
      withUnsafeBytes(of: running.littleEndian) { wal.replaceSubrange(offset + 24..<offset + 28, with: $0) }
      offset += WALFormat.frameSize(pageSize: Self.pageSize)
    }
    disk.setContents(Self.path + ".wal", wal)

    let db = try Database.open(Self.path, options: Self.options(cachePages: 64), storage: disk)
    #expect(db.openReport.recoveredTransactions == scan.transactions)
    #expect(try db.read { try $0.nodeIDs(label: "Old").count } == 1)
    _ = try db.write { try $0.createNode(labels: ["New"]) }
    let reopened = try WALScanner.scan(try disk.open(Self.path + ".wal", .readOnly), pageSize: Self.pageSize)
    #expect(reopened.header?.version == WALFormat.version, "the open's checkpoint started a version 2 generation")
    #expect(try db.verify().problems == [])
    try db.close()
  }
}
