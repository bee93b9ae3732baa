/// The write-ahead log `NAME.wal`, beside the database file.
///
/// Header (32 bytes, offset 0):
///
/// | offset | size | meaning                                                  |
/// |--------|------|----------------------------------------------------------|
/// | 0      | 4    | magic `SWAL`                                             |
/// | 4      | 4    | WAL format version (3; 1 and 2 are read)                 |
/// | 8      | 4    | page size (equals the database's)                        |
/// | 12     | 4    | checkpoint sequence: +1 at every reset (0 in a new WAL)  |
/// | 16     | 4    | salt 1: +1 at every reset (random in a new WAL)          |
/// | 20     | 4    | salt 2: random at every reset                            |
/// | 24     | 4    | version 3: database id, low 32 bits (`DatabaseHeader`);  |
/// |        |      | versions 1-2: 0 (other bytes here make it invalid)       |
/// | 28     | 4    | CRC-32C of bytes [0, 28)                                 |
///
/// Version 1 has image frames only; 2 added delta frames; 3 binds the WAL to
/// its database (offset 24): a WAL whose id is not its database's is never
/// replayed. A version 1-2 WAL (id 0) is unbound: it is replayed as before.
///
/// Frame i starts at 32 + i × (32 + P): a frame takes one slot of 32 + P bytes
/// whatever it holds. It is a 32-byte frame header and either a page image or
/// delta records:
///
/// | offset | size | meaning                                                  |
/// |--------|------|----------------------------------------------------------|
/// | 0      | 4    | page number; 0xFFFFFFFF in a delta frame                 |
/// | 4      | 4    | commit marker: the database's page count after this      |
/// |        |      | transaction on its last frame, 0 on the others           |
/// | 8      | 8    | transaction id                                           |
/// | 16     | 8    | salt 1, salt 2 (must equal the header's)                 |
/// | 24     | 4    | running checksum: CRC-32C continued from the previous    |
/// |        |      | frame's (the header CRC for frame 0). An image frame     |
/// |        |      | covers frame-header bytes [0, 24) and the page (computed |
/// |        |      | by combining with the page's own trailer CRC: same value,|
/// |        |      | one pass less); a delta frame covers [0, 24), [28, 32)   |
/// |        |      | and its L record bytes                                   |
/// | 28     | 4    | 0 in an image frame; L (1 ... P) in a delta frame        |
/// | 32     | P    | image frame: the page image, with its own CRC trailer    |
/// | 32     | L    | delta frame: records; the slot's other P - L bytes are   |
/// |        |      | not part of the frame and may hold anything              |
///
/// A delta record (`WALDelta`) is `page u32, runs u16` and `runs` times
/// `offset u16, length u16, bytes`: the runs, in ascending order and not
/// overlapping, are where the page's new version differs from its previous one.
/// The page's version at a delta frame is its version at its previous frame in
/// this generation (the main file's page when it has none) with the runs
/// written over it. Because a run sets bytes to values rather than transforming
/// them, replaying a page's runs from the start of the generation gives the same
/// page over any main-file copy of it that a checkpoint wrote part or all of:
/// recovery and a checkpoint interrupted at any point agree. Writers log a page
/// as an image when it is new to the database (at or past the last commit's page
/// count), page 0 when it has no frame yet in the generation (a checkpoint stamps
/// its main-file copy), and when the records would be large or the page's chain
/// of deltas long (`Pager.deltaChainLimit`).
///
/// Invariants:
/// 1. A frame is valid when its salts match the header, its running checksum
///    matches, and what it holds checks out: an image verifies (own CRC trailer,
///    a known page type, its own page number equal to the frame's); delta
///    records parse, stay inside the page and the L bytes, name each page once
///    in ascending order, and only in a version 2 WAL. The chain makes a stale
///    frame (older salt) or a torn frame (any byte missing) invalid, and
///    everything after an invalid frame unreachable. A commit frame whose
///    transaction names a page at or beyond its commit marker invalidates that
///    whole transaction.
/// 2. A transaction is committed when its commit frame is valid. Recovery keeps
///    every committed transaction up to the first invalid frame and ignores the
///    frames after the last commit; it never applies half a transaction.
/// 3. Frames are only ever appended after the last committed frame; a reset (new
///    salts) happens only after every frame is in the main file and it is synced.
/// 4. The file may be longer than its frames. A reset keeps the file and the next
///    generation overwrites it from frame 0: what follows the new frames is stale
///    (older salts, invalid by 1). A commit that needs room past the end of the
///    file also writes zeros after its frames up to the next growth boundary
///    (`grownSize`), before its one sync: later commits then overwrite blocks the
///    file system has already allocated, and their sync carries no size change.
///    A frame whose 32 header bytes are all zero is such unwritten space: invalid
///    by 1 (its salts are not the header's) and reported as `unwritten`, the
///    normal end of the log rather than damage.
package enum WALFormat {
  package static let magic: UInt32 = 0x4C41_5753  // "SWAL" little-endian
  /// The version new WAL generations are written with.
  package static let version: UInt32 = 3
  /// Versions this build reads (1 has image frames only, 2 no database id).
  package static let readableVersions: ClosedRange<UInt32> = 1...3
  /// The page-number field of a delta frame.
  package static let deltaFrameMarker: PageNumber = .max
  package static let headerSize = 32
  package static let frameHeaderSize = 32
  /// Where the header holds the page size (the byte map above).
  package static let headerPageSizeOffset: UInt64 = 8

  package static func frameSize(pageSize: Int) -> Int { frameHeaderSize + pageSize }

  /// Byte offset of frame `index`, or nil when it does not fit 64 bits.
  package static func frameOffset(_ index: Int, pageSize: Int) -> UInt64? {
    let (product, o1) = UInt64(index).multipliedReportingOverflow(by: UInt64(frameSize(pageSize: pageSize)))
    let (sum, o2) = product.addingReportingOverflow(UInt64(headerSize))
    return o1 || o2 ? nil : sum
  }

  /// Growth of the file in frames: at least this many frames past the end...
  package static let minGrowthFrames = 16
  /// ...and at most this many bytes (rounded down to whole frames) at a time.
  package static let maxGrowthBytes = 4 << 20

  /// The size to zero-fill the file to when a commit's frames end at `needed`
  /// bytes and the file has `allocated`: `allocated` when that already holds
  /// them, else the end of a whole frame at least one step past `allocated`,
  /// where a step is as many frames as the file holds, clamped to
  /// `minGrowthFrames` and `maxGrowthBytes` (so a small WAL stays small and a
  /// large one grows by 4 MiB). Nil when the sizes do not fit 64 bits.
  package static func grownSize(needed: UInt64, allocated: UInt64, pageSize: Int) -> UInt64? {
    guard needed > allocated else { return allocated }
    let frame = UInt64(frameSize(pageSize: pageSize))
    let held = allocated > UInt64(headerSize) ? (allocated - UInt64(headerSize)) / frame : 0
    let maxFrames = max(UInt64(maxGrowthBytes) / frame, UInt64(minGrowthFrames))
    let step = min(max(held, UInt64(minGrowthFrames)), maxFrames) * frame  // at most 4 MiB + 16 frames: no wrap
    let (target, o1) = allocated.addingReportingOverflow(step)
    guard !o1 else { return nil }
    // Round up to the end of a whole frame: frames start at headerSize.
    let wanted = max(target, needed)
    let body = wanted > UInt64(headerSize) ? wanted - UInt64(headerSize) : 0
    let (frames, partial) = body.quotientAndRemainder(dividingBy: frame)
    let (whole, o2) = (frames + (partial > 0 ? 1 : 0)).multipliedReportingOverflow(by: frame)
    let (end, o3) = whole.addingReportingOverflow(UInt64(headerSize))
    return o2 || o3 ? nil : end
  }
}

package struct WALHeader: Sendable, Equatable {
  /// The format version (`WALFormat.readableVersions`); delta frames need 2.
  package var version: UInt32
  package var pageSize: UInt32
  package var sequence: UInt32
  package var salt1: UInt32
  package var salt2: UInt32
  /// The low 32 bits of the database's id (version 3); 0: unbound (versions 1-2).
  package var databaseID: UInt32

  package init(
    pageSize: UInt32, sequence: UInt32, salt1: UInt32, salt2: UInt32, version: UInt32 = WALFormat.version, databaseID: UInt32 = 0
  ) {
    self.version = version
    self.pageSize = pageSize
    self.sequence = sequence
    self.salt1 = salt1
    self.salt2 = salt2
    self.databaseID = version >= 3 ? databaseID : 0
  }

  /// The WAL header's form of a database id (`DatabaseHeader.databaseID`).
  package static func binding(_ databaseID: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: databaseID) }

  /// Whether this WAL may be replayed into a database with id `databaseID`:
  /// an unbound WAL (id 0: version 1-2, or a database made before ids) or
  /// database (id 0) binds nothing; otherwise the ids must agree.
  package func belongs(to databaseID: UInt64) -> Bool {
    self.databaseID == 0 || databaseID == 0 || self.databaseID == Self.binding(databaseID)
  }

  /// Whether frames of this generation may hold delta records.
  package var allowsDeltas: Bool { version >= 2 }

  /// The header that follows this one at a reset (in the current version),
  /// bound to the database whose id is `databaseID`.
  package func next(databaseID: UInt64) -> WALHeader {
    var rng = SystemRandomNumberGenerator()
    var salt2 = rng.next() as UInt32
    if salt2 == self.salt2 { salt2 &+= 1 }  // wrapping: salts are arbitrary bits
    return WALHeader(
      pageSize: pageSize, sequence: sequence &+ 1, salt1: salt1 &+ 1, salt2: salt2, databaseID: Self.binding(databaseID))
  }

  /// The header of a new WAL for the database whose id is `databaseID`.
  package static func fresh(pageSize: UInt32, databaseID: UInt64) -> WALHeader {
    var rng = SystemRandomNumberGenerator()
    return WALHeader(pageSize: pageSize, sequence: 0, salt1: rng.next(), salt2: rng.next(), databaseID: binding(databaseID))
  }

  package func encode() -> [UInt8] {
    var w = ByteWriter(capacity: WALFormat.headerSize)
    w.u32(WALFormat.magic)
    w.u32(version)
    w.u32(pageSize)
    w.u32(sequence)
    w.u32(salt1)
    w.u32(salt2)
    w.u32(databaseID)
    let crc = w.bytes.withUnsafeBytes { CRC32C.checksum($0) }
    w.u32(crc)
    return w.bytes
  }

  /// The CRC in the header's last four bytes; it seeds the frame chain.
  package var checksum: UInt32 {
    let bytes = encode()
    return bytes.withUnsafeBytes { $0.le(28, as: UInt32.self) }
  }

  /// Parses a header; nil with a reason when it is not a valid one.
  package static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<WALHeader, WALInvalid> {
    guard bytes.count >= WALFormat.headerSize else { return .failure(.shortHeader(bytes.count)) }
    guard bytes.le(0, as: UInt32.self) == WALFormat.magic else { return .failure(.badMagic) }
    let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28]))
    guard crc == bytes.le(28, as: UInt32.self) else { return .failure(.headerChecksum) }
    let version: UInt32 = bytes.le(4)
    guard WALFormat.readableVersions.contains(version) else { return .failure(.unsupportedVersion(version)) }
    let id: UInt32 = bytes.le(24)
    guard version >= 3 || id == 0 else { return .failure(.headerChecksum) }
    let header = WALHeader(
      pageSize: bytes.le(8), sequence: bytes.le(12), salt1: bytes.le(16), salt2: bytes.le(20), version: version, databaseID: id)
    guard let size = Int(exactly: header.pageSize), PageLayout.isValidPageSize(size) else {
      return .failure(.badPageSize(header.pageSize))
    }
    return .success(header)
  }
}

/// Why a WAL header or frame is not valid (for reports and `sombra-inspect wal`).
package enum WALInvalid: Error, Sendable, Equatable, CustomStringConvertible {
  case shortHeader(Int)
  case badMagic
  case headerChecksum
  case unsupportedVersion(UInt32)
  case badPageSize(UInt32)
  case shortFrame
  case saltMismatch
  case unwritten
  case chainChecksum
  case pageChecksum
  case badPageNumber(UInt32)
  case badDelta

  package var description: String {
    switch self {
    case .shortHeader(let n): "the WAL header is incomplete (\(n) of 32 bytes)"
    case .badMagic: "the WAL does not start with SWAL"
    case .headerChecksum: "the WAL header fails its checksum"
    case .unsupportedVersion(let v): "unknown WAL version \(v)"
    case .badPageSize(let s): "invalid WAL page size \(s)"
    case .shortFrame: "torn frame: the file ends inside it"
    case .saltMismatch: "stale frame: its salt is from an earlier WAL generation"
    case .unwritten: "unwritten space: zeros the WAL was extended with ahead of its frames"
    case .chainChecksum: "torn or damaged frame: the running checksum does not match"
    case .pageChecksum: "damaged frame: the page inside fails its checksum, type or page-number check"
    case .badPageNumber(let p): "frame names page \(p), which a commit's page count excludes"
    case .badDelta: "damaged frame: its delta records do not parse or leave the page"
    }
  }
}

/// Fields of one frame header.
package struct WALFrameHeader: Sendable, Equatable {
  package var page: PageNumber
  package var commitPageCount: UInt32
  package var transaction: UInt64
  package var salt1: UInt32
  package var salt2: UInt32
  package var checksum: UInt32
  /// L, the bytes of delta records; 0 in an image frame.
  package var deltaBytes: UInt32 = 0

  package var isCommit: Bool { commitPageCount != 0 }
  package var isDelta: Bool { deltaBytes != 0 }

  /// Writes the 32-byte frame header for `page` (already sealed) into `out`,
  /// continuing the chain from `previous`; returns the new running checksum.
  package static func write(
    into out: UnsafeMutableRawBufferPointer, page number: PageNumber, commitPageCount: UInt32,
    transaction: UInt64, header: WALHeader, previous: UInt32, pageBytes: UnsafeRawBufferPointer
  ) -> UInt32 {
    out.putLE(number, at: 0)
    out.putLE(commitPageCount, at: 4)
    out.putLE(transaction, at: 8)
    out.putLE(header.salt1, at: 16)
    out.putLE(header.salt2, at: 20)
    let crc = chain(previous, head: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<24]), page: pageBytes)
    out.putLE(crc, at: 24)
    out.putLE(UInt32(0), at: 28)
    return crc
  }

  /// Writes the 32-byte header of a delta frame whose `records.count` bytes
  /// follow it, continuing the chain from `previous`; returns the new running checksum.
  package static func writeDelta(
    into out: UnsafeMutableRawBufferPointer, commitPageCount: UInt32, transaction: UInt64, header: WALHeader,
    previous: UInt32, records: UnsafeRawBufferPointer
  ) -> UInt32 {
    out.putLE(WALFormat.deltaFrameMarker, at: 0)
    out.putLE(commitPageCount, at: 4)
    out.putLE(transaction, at: 8)
    out.putLE(header.salt1, at: 16)
    out.putLE(header.salt2, at: 20)
    out.putLE(UInt32(records.count), at: 28)
    let crc = deltaChain(previous, head: UnsafeRawBufferPointer(out), records: records)
    out.putLE(crc, at: 24)
    return crc
  }

  /// The running checksum after a delta frame: continued from `previous` over
  /// frame-header bytes [0, 24) and [28, 32) of `head`, then the records.
  package static func deltaChain(_ previous: UInt32, head: UnsafeRawBufferPointer, records: UnsafeRawBufferPointer) -> UInt32 {
    var crc = CRC32C.update(previous, UnsafeRawBufferPointer(rebasing: head[0..<24]))
    crc = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: head[28..<32]))
    return CRC32C.update(crc, records)
  }

  /// The running checksum after a frame: continued from `previous` over the
  /// frame-header bytes [0, 24) and the page. The page is sealed, so the CRC of
  /// its body is its trailer: the chain combines it instead of reading the page
  /// again (`CRC32C.combine`), which is the same value as a pass over the bytes.
  @inline(__always)
  package static func chain(_ previous: UInt32, head: UnsafeRawBufferPointer, page: UnsafeRawBufferPointer) -> UInt32 {
    let body = page.count - PageLayout.trailerSize
    let bodyCRC: UInt32 = page.le(body)
    var crc = CRC32C.update(previous, head)
    crc = CRC32C.combine(crc, bodyCRC, shift: bodyShift(pageSize: page.count))
    return CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: page[body...]))
  }

  /// `CRC32C.shift` past a page body, for each valid page size (4 KiB ... 64 KiB).
  private static let bodyShifts: [UInt32] = (12...16).map { CRC32C.shift(bytes: (1 << $0) - PageLayout.trailerSize) }

  @inline(__always)
  static func bodyShift(pageSize: Int) -> UInt32 {
    let log2 = Int.bitWidth - 1 - pageSize.leadingZeroBitCount
    let index = log2 - 12
    return bodyShifts.indices.contains(index) ? bodyShifts[index] : CRC32C.shift(bytes: pageSize - PageLayout.trailerSize)
  }

  /// Parses a frame header (32 bytes, length checked by the caller).
  package static func read(_ bytes: UnsafeRawBufferPointer) -> WALFrameHeader {
    WALFrameHeader(
      page: bytes.le(0), commitPageCount: bytes.le(4), transaction: bytes.le(8),
      salt1: bytes.le(16), salt2: bytes.le(20), checksum: bytes.le(24), deltaBytes: bytes.le(28))
  }
}
