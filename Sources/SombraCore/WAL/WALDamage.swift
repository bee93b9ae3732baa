/// Telling a torn tail from damage, and a WAL from another database's.
///
/// A crash can only tear what no sync had covered: the frames of commits
/// that had not returned. Recovery (`WALScanner`) keeps every transaction up
/// to the first invalid frame, which is right for a torn tail and wrong for
/// damage: a bad sector, a flipped bit or a lost write inside frames that a
/// sync had covered would silently cut off commits that were acknowledged.
///
/// Rules (the read-write open refuses with `corruption` when one proves
/// damage, and never writes over or deletes the WAL; a read-only open serves
/// the prefix and reports it):
/// 1. Every commit writes in its page 0 the frames of this generation a sync
///    had covered when it was written (`DatabaseHeader.durableWALFrames`; page
///    0's delta records always carry those bytes). Those are claims made by the
///    writer, which knew.
/// 2. Past the first invalid frame, a frame is *genuine* when it carries the
///    generation's salts and its running checksum holds when continued from the
///    checksum stored in the frame before it (or, for frame 0, the header's):
///    the pair was written as the writer wrote it. Only genuine frames are
///    believed; a torn frame fails its checksum, and a stale one its salts.
/// 3. Damage is proven when a genuine frame claims more durable frames than
///    recovery could keep (the first frame of the transaction it cut): a frame
///    a sync had covered is bad. Under group commit a commit written before an
///    earlier one was synced claims only what was synced, so commits that land
///    out of order and tear are still a torn tail.
/// 4. A WAL header that fails its checks (all zeros or not) is damage only
///    when a genuine frame of a transaction the main file does not hold yet
///    claims durable frames: that claim was made after a sync of this
///    generation, which covered the header. Without one, the header may be a
///    torn write that no sync covered (a crash can cut a write at any byte).
///    A WAL of a newer version is not ours to replay or reset.
/// 5. A version 3 WAL names its database (`WALHeader.databaseID`); one whose
///    id is not the database's is a stray (a restored backup beside a leftover
///    WAL, a copied file) and is never replayed.
///
/// The limit: a claim is read from a genuine frame after the damage. When the
/// damaged frames are the last commits, or every frame after them is bad too
/// (or more than a growth step of the WAL in a row is), nothing proves they had
/// been acknowledged, and recovery keeps the prefix.
package struct WALDamage: Sendable, Equatable, CustomStringConvertible {
  package enum Kind: Sendable, Equatable {
    /// The WAL header fails its checks (why).
    case header(WALInvalid)
    /// Frame `frame` is invalid (why).
    case frame(Int, WALInvalid)
    /// A version 3 WAL bound to another database (its id's low 32 bits).
    case foreign(walID: UInt32, databaseID: UInt64)
  }

  package var kind: Kind
  /// Frames recovery keeps: the committed prefix before the damage.
  package var keptFrames = 0
  /// The most durable frames a genuine frame after the damage claims.
  package var claimedDurable = 0
  /// Committed transactions lost with the damage: from the one after the last
  /// kept to the newest genuine commit frame found.
  package var lostCommits = 0
  /// The ids of those transactions (lowest, highest), when any were found.
  package var lostTransactions: ClosedRange<UInt64>?
  /// Where the damage is in the WAL file: the damaged frame's first byte, or
  /// 0 for the header; nil for another database's WAL.
  package var offset: UInt64?

  package var description: String {
    let lost: String
    if let range = lostTransactions {
      let ids =
        range.lowerBound == range.upperBound
        ? "transaction \(range.lowerBound)" : "transactions \(range.lowerBound)...\(range.upperBound)"
      lost = "\(lostCommits) committed transaction(s) after it (\(ids)) would be lost"
    } else {
      lost = "the commits after it would be lost"
    }
    switch kind {
    case .header(let why):
      return "the WAL header is damaged (\(why)) in front of committed frames; \(lost)"
    case .frame(let frame, let why):
      return
        "WAL frame \(frame) is damaged (\(why)), but a later commit records that \(claimedDurable) frames had been made durable; \(lost)"
    case .foreign(let walID, let databaseID):
      return "the WAL belongs to another database (its id ends 0x\(hex(walID)); this database's id is 0x\(hex(databaseID)))"
    }
  }

  private func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }
}

extension WALDamage {
  /// Assesses what a scan stopped at. `checkpointed` is the change counter of
  /// the main file's header (0 when it has none): transactions at or below it
  /// are home already, whatever happens to the WAL. Nil: nothing acknowledged
  /// is lost (no stop, a torn tail, or a damaged header with nothing behind it).
  package static func assess(
    _ wal: any StorageFile, scan: WALScan, pageSize: Int, checkpointed: UInt64
  ) throws -> WALDamage? {
    guard scan.fileSize > 0 else { return nil }
    if let header = scan.header {
      guard let stop = scan.stop else { return nil }
      let kept = scan.committed.count
      // The frame before the stop seeds the pair check of the frame after it.
      var walker = GenuineFrames(salts: (header.salt1, header.salt2), pageSize: pageSize, checkpointed: 0)
      try walker.walk(
        wal, from: stop.frame + 1, seed: try storedChecksum(wal, frame: stop.frame, pageSize: pageSize), fileSize: scan.fileSize)
      guard walker.claimed > kept else { return nil }
      var damage = WALDamage(kind: .frame(stop.frame, stop.reason), keptFrames: kept, claimedDurable: walker.claimed)
      damage.offset = WALFormat.frameOffset(stop.frame, pageSize: pageSize)
      damage.lose(after: scan.committed.last?.transaction ?? checkpointed, through: walker.transactions?.upperBound)
      return damage
    }
    guard let problem = scan.headerProblem else { return nil }
    if case .badPageSize = problem { return nil }  // the open refuses it on its own
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    let n = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    let zeros = raw[0..<n].allSatisfy { $0 == 0 }
    let newer: Bool
    if case .unsupportedVersion(let v) = problem, v > WALFormat.version { newer = true } else { newer = false }
    // Candidate generations: the salts the header bytes hold, and frame 0's.
    var candidates: [(salts: (UInt32, UInt32), seed: UInt32?)] = []
    if n == WALFormat.headerSize, !zeros {
      raw.withUnsafeBytes { candidates.append(((($0.le(16) as UInt32), $0.le(20) as UInt32), $0.le(28) as UInt32)) }
    }
    // The first frames' salts too: damage may have hit frame 0's header with the WAL's.
    for frame in 0..<8 {
      guard let head = try frameHeader(wal, frame: frame, pageSize: pageSize) else { break }
      // Zeros are unwritten space (`WALFormat` invariant 4), not a generation.
      if head.isUnwritten { continue }
      if !candidates.contains(where: { $0.salts == (head.salt1, head.salt2) }) {
        candidates.append(((head.salt1, head.salt2), candidates.first?.seed))
      }
    }
    var best: WALDamage?
    for candidate in candidates {
      var walker = GenuineFrames(salts: candidate.salts, pageSize: pageSize, checkpointed: checkpointed)
      try walker.walk(wal, from: 0, seed: candidate.seed, fileSize: scan.fileSize)
      // A claim > 0 was made after a sync of this generation, which covered
      // the header: only then can a bad header not be a tear of unsynced bytes.
      let damaged = newer || walker.claimed > 0
      guard damaged else { continue }
      var found = WALDamage(kind: .header(problem), keptFrames: 0, claimedDurable: walker.claimed, offset: 0)
      found.lose(after: checkpointed, through: walker.transactions?.upperBound)
      if best.map({ $0.lostCommits < found.lostCommits }) ?? true { best = found }
    }
    if best == nil && newer { best = WALDamage(kind: .header(problem), offset: 0) }
    return best
  }

  /// Records the transactions lost: transaction ids are consecutive, so they
  /// run from the one after the last kept to the newest genuine commit found.
  mutating func lose(after kept: UInt64, through newest: UInt64?) {
    guard let newest, newest > kept else { return }
    lostTransactions = (kept + 1)...newest
    lostCommits = Int(clamping: newest - kept)
  }

  /// The stray check of rule 5: a damage report when `header` binds the WAL to
  /// another database than `databaseID`.
  package static func foreign(_ header: WALHeader?, databaseID: UInt64) -> WALDamage? {
    guard let header, !header.belongs(to: databaseID) else { return nil }
    return WALDamage(kind: .foreign(walID: header.databaseID, databaseID: databaseID))
  }

  /// The running checksum stored in frame `frame`'s header (nil past the file).
  static func storedChecksum(_ wal: any StorageFile, frame: Int, pageSize: Int) throws -> UInt32? {
    try frameHeader(wal, frame: frame, pageSize: pageSize)?.checksum
  }

  static func frameHeader(_ wal: any StorageFile, frame: Int, pageSize: Int) throws -> WALFrameHeader? {
    guard let offset = WALFormat.frameOffset(frame, pageSize: pageSize) else { return nil }
    var head = [UInt8](repeating: 0, count: WALFormat.frameHeaderSize)
    let n = try head.withUnsafeMutableBytes { try wal.read(into: $0, at: offset) }
    guard n == WALFormat.frameHeaderSize else { return nil }
    return head.withUnsafeBytes { WALFrameHeader.read($0) }
  }
}

/// Rule 2's walk: every genuine frame of one generation from a frame on, and
/// what they claim and commit.
struct GenuineFrames {
  let salts: (UInt32, UInt32)
  let pageSize: Int
  /// Frames of transactions at or below this are ignored (home already).
  let checkpointed: UInt64
  var claimed = 0
  var transactions: ClosedRange<UInt64>?

  init(salts: (UInt32, UInt32), pageSize: Int, checkpointed: UInt64) {
    self.salts = salts
    self.pageSize = pageSize
    self.checkpointed = checkpointed
  }

  /// Walks frames `start...` to the end of the file, or until more frames
  /// than a growth step of the WAL (`WALFormat.maxGrowthBytes`) in a row are
  /// not of this generation: a generation's frames follow one another, so past
  /// such a run lie only stale frames and zeros (a huge or sparse file is not
  /// read to its end). `seed` is the checksum stored before frame `start` (nil:
  /// unknown, so that frame cannot be proved).
  mutating func walk(_ wal: any StorageFile, from start: Int, seed: UInt32?, fileSize: UInt64) throws {
    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 64)
    defer { buffer.deallocate() }
    let missLimit = max(WALFormat.maxGrowthBytes / frameSize, WALFormat.minGrowthFrames)
    var misses = 0
    var previous = seed
    var index = start
    while let offset = WALFormat.frameOffset(index, pageSize: pageSize), offset < fileSize {
      let headBytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<WALFormat.frameHeaderSize])
      guard try wal.read(into: headBytes, at: offset) == WALFormat.frameHeaderSize else { break }
      let head = WALFrameHeader.read(UnsafeRawBufferPointer(headBytes))
      defer {
        previous = head.checksum
        index += 1
      }
      // Skip a stale or unwritten frame without reading its body.
      guard !head.isUnwritten, head.salt1 == salts.0, head.salt2 == salts.1 else {
        misses += 1
        if misses > missLimit { break }
        continue
      }
      misses = 0
      guard let seed = previous else { continue }
      let n = try wal.read(into: buffer, at: offset)
      guard n >= WALFormat.frameHeaderSize else { break }  // the file shrank meanwhile
      let frame = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n])
      guard let claim = Self.prove(frame, head: head, seed: seed, pageSize: pageSize) else { continue }
      guard head.transaction > checkpointed else { continue }
      if let claim { claimed = max(claimed, claim) }
      if head.isCommit {
        transactions =
          transactions.map { min($0.lowerBound, head.transaction)...max($0.upperBound, head.transaction) }
          ?? head.transaction...head.transaction
      }
    }
  }

  /// Whether the frame is genuine (rule 2); when it is, the durable frames its
  /// page 0 claims (inner nil when it holds no page 0 or not the claim's bytes).
  static func prove(_ frame: UnsafeRawBufferPointer, head: WALFrameHeader, seed: UInt32, pageSize: Int) -> Int?? {
    let headBytes = UnsafeRawBufferPointer(rebasing: frame[0..<WALFormat.frameHeaderSize])
    if head.isDelta {
      guard let length = Int(exactly: head.deltaBytes), length <= pageSize, frame.count >= WALFormat.frameHeaderSize + length
      else {
        return nil
      }
      let bytes = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize..<WALFormat.frameHeaderSize + length])
      guard WALFrameHeader.deltaChain(seed, head: headBytes, records: bytes) == head.checksum,
        head.page == WALFormat.deltaFrameMarker, let records = WALDelta.records(bytes, pageSize: pageSize)
      else { return nil }
      guard let zero = records.first, zero.page == 0,
        let claim = WALDelta.bytes(DatabaseHeader.durableClaimBytes, in: zero, from: bytes)
      else { return .some(nil) }
      return .some(Int(claim.withUnsafeBytes { $0.le(0, as: UInt32.self) }))
    }
    guard frame.count == WALFormat.frameSize(pageSize: pageSize) else { return nil }
    let page = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize...])
    guard (try? PageLayout.verify(page, number: head.page, path: nil, source: "WAL")) != nil,
      WALFrameHeader.chain(seed, head: UnsafeRawBufferPointer(rebasing: headBytes[0..<24]), page: page) == head.checksum
    else { return nil }
    guard head.page == 0 else { return .some(nil) }
    return .some(Int(page.le(DatabaseHeader.durableWALFramesOffset, as: UInt32.self)))
  }
}

extension WALFrameHeader {
  /// All 32 bytes zero: space the WAL was grown by, never a frame.
  var isUnwritten: Bool {
    page == 0 && commitPageCount == 0 && transaction == 0 && salt1 == 0 && salt2 == 0 && checksum == 0 && deltaBytes == 0
  }
}
