/// The database header on page 0 (format 3.1). All integers little-endian.
///
/// | offset | size | field                                                        |
/// |--------|------|--------------------------------------------------------------|
/// | 0      | 8    | magic `GRPHITE\0` (its `G` is page 0's type byte)            |
/// | 8      | 2    | format major (3)                                             |
/// | 10     | 2    | format minor (1)                                             |
/// | 12     | 4    | page size (power of two, 4096...65536, fixed at creation)    |
/// | 16     | 4    | page count (pages 0..<count exist in the committed state)   |
/// | 20     | 4    | free-list head (0 = empty)                                   |
/// | 24     | 4    | free-list length                                             |
/// | 28     | 4    | flags: bit 0 = clean shutdown                                |
/// | 32     | 8    | change counter = id of the last committed transaction       |
/// | 40     | 8    | last checkpointed transaction                                |
/// | 48     | 8    | next node id                                                 |
/// | 56     | 8    | next edge id                                                 |
/// | 64     | 4    | creator version (major << 16 \| minor << 8 \| patch)         |
/// | 68     | 4    | durable WAL frames: frames of the current WAL generation a   |
/// |        |      | sync had covered when this commit was written (see below)    |
/// | 72     | 64   | 16 tree roots, u32 each (assigned by the graph store; 0 = none) |
/// | 136    | 8    | lifetime commits (transactions ever committed to the file)  |
/// | 144    | 8    | lifetime checkpoints (that copied pages into the main file)  |
/// | 152    | 8    | last checkpoint time, seconds since the Unix epoch (0 never) |
/// | 160    | 8    | unclean shutdowns detected at open                           |
/// | 168    | 8    | corruption events seen by read-write sessions                |
/// | 176    | 8    | database id: random, made at creation (0: a file made before |
/// |        |      | format 3.1, until its next read-write open gives it one)     |
/// | 184    | P-188| zero                                                         |
/// | P-4    | 4    | CRC-32C of bytes [0, P-4)                                    |
///
/// Bytes 136..<176 (the lifetime facts) were zero before they existed, so an
/// older file reads as zero counts and the format stayed 2.0; they are informative
/// only (nothing depends on them) and written with every commit's page 0. A
/// checkpoint stamps its count and time into the page 0 it copies home (as it
/// does the last checkpointed transaction).
///
/// The header changes only inside transactions: every commit writes page 0 as a
/// WAL frame (the change counter moves), and a checkpoint copies it home.
///
/// Format 3.1 added two fields that format 3.0 wrote as zeros (a 3.0 file is
/// read as it is; a 3.0 build opens a 3.1 file read-only only, since it would
/// neither keep the fields nor honour them):
/// - The database id binds a WAL to its database: every WAL header of version 3
///   holds its low 32 bits, and a WAL whose id differs is never replayed
///   (`WALDamage`). Vacuum and salvage write a new file, which gets a new id.
/// - The durable WAL frames are the writer's claim, made in every commit's page
///   0, that the frames before that count had been made durable by a sync when
///   the commit was written. Recovery reads the claims of frames past a bad one
///   to tell a torn tail (which only a crash makes, of frames no sync had
///   covered) from damage to frames that had been acknowledged (`WALDamage`).
///   Meaningless in the main file's copy of page 0.
package struct DatabaseHeader: Sendable, Equatable {
  package static let magic: [UInt8] = Array("GRPHITE".utf8) + [0]
  /// Format 3 packs adjacency lists (`AdjacencyList.swift`); format 2 (Sombra
  /// 0.3 development builds) kept one adjacency entry per edge and is refused.
  package static let currentMajor: UInt16 = 3
  package static let currentMinor: UInt16 = 1
  /// The release writing the file (`SombraVersion`, the one source of it).
  package static let creatorVersion =
    UInt32(SombraVersion.major) << 16 | UInt32(SombraVersion.minor) << 8 | UInt32(SombraVersion.patch)
  package static let rootSlots = 16
  /// Bytes of page 0 that must be readable to learn the geometry.
  package static let prefixSize = 16

  package var major: UInt16 = currentMajor
  package var minor: UInt16 = currentMinor
  package var pageSize: UInt32
  package var pageCount: UInt32 = 1
  package var freeListHead: PageNumber = 0
  package var freeListCount: UInt32 = 0
  package var cleanShutdown: Bool = true
  package var changeCounter: UInt64 = 0
  package var lastCheckpointedTransaction: UInt64 = 0
  package var nextNodeID: UInt64 = 1
  package var nextEdgeID: UInt64 = 1
  package var creator: UInt32 = creatorVersion
  package var roots: [PageNumber] = Array(repeating: 0, count: rootSlots)
  /// Bytes 136..<176: the lifetime facts.
  package var lifetime = LifetimeFacts()
  /// Bytes 176..<184: the database id (0 in a file made before format 3.1).
  package var databaseID: UInt64 = 0
  /// Bytes 68..<72: frames of the WAL generation durable when the commit was written.
  package var durableWALFrames: UInt32 = 0

  /// Offset of `durableWALFrames` in page 0 (recovery reads it from WAL frames).
  package static let durableWALFramesOffset = 68
  /// The bytes of `durableWALFrames`: every delta record of page 0 writes them.
  package static let durableClaimBytes = durableWALFramesOffset..<durableWALFramesOffset + 4
  /// Offset of `databaseID` in page 0.
  package static let databaseIDOffset = 176

  /// A random database id, never 0 (0 means "none").
  package static func newDatabaseID() -> UInt64 {
    var rng = SystemRandomNumberGenerator()
    return max(rng.next() as UInt64, 1)
  }

  package init(pageSize: UInt32) {
    self.pageSize = pageSize
  }

  /// Writes the header into a whole page buffer and seals it.
  package func encode(into page: UnsafeMutableRawBufferPointer) {
    page.initializeMemory(as: UInt8.self, repeating: 0)
    for (i, b) in Self.magic.enumerated() { page[i] = b }
    page.putLE(major, at: 8)
    page.putLE(minor, at: 10)
    page.putLE(pageSize, at: 12)
    page.putLE(pageCount, at: 16)
    page.putLE(freeListHead, at: 20)
    page.putLE(freeListCount, at: 24)
    page.putLE(UInt32(cleanShutdown ? 1 : 0), at: 28)
    page.putLE(changeCounter, at: 32)
    page.putLE(lastCheckpointedTransaction, at: 40)
    page.putLE(nextNodeID, at: 48)
    page.putLE(nextEdgeID, at: 56)
    page.putLE(creator, at: 64)
    page.putLE(durableWALFrames, at: Self.durableWALFramesOffset)
    for (i, root) in roots.prefix(Self.rootSlots).enumerated() { page.putLE(root, at: 72 + 4 * i) }
    page.putLE(lifetime.commits, at: 136)
    page.putLE(lifetime.checkpoints, at: 144)
    page.putLE(lifetime.lastCheckpointTime, at: 152)
    page.putLE(lifetime.uncleanShutdowns, at: 160)
    page.putLE(lifetime.corruptionEvents, at: 168)
    page.putLE(databaseID, at: Self.databaseIDOffset)
    PageLayout.seal(page)
  }

  /// The geometry in the first bytes of a file: checks magic, version and page
  /// size and says precisely what is wrong. Returns the page size and version.
  package static func probe(_ prefix: UnsafeRawBufferPointer, fileSize: UInt64, path: String) throws -> (
    pageSize: Int, major: UInt16, minor: UInt16
  ) {
    guard prefix.count >= prefixSize else {
      throw SombraError(
        .notASombraFile, "not a Sombra database: the file is \(fileSize) bytes, too short for a header", path: path)
    }
    var r = ByteReader(prefix, page: 0)
    let magic = try r.bytes(8)
    guard magic == Self.magic else {
      let shown = magic.map { (0x20...0x7E).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
      throw SombraError(
        .notASombraFile, "not a Sombra database: the file starts with \"\(shown)\", expected \"GRPHITE\\0\"", path: path)
    }
    let major = try r.u16()
    let minor = try r.u16()
    let pageSize = try r.u32()
    if major == 1 {
      throw SombraError(
        .legacyFormat,
        "a Sombra 0.x database (format 1.\(minor)); this engine opens format \(currentMajor) only: read it with the legacy reader or migrate it",
        path: path)
    }
    guard major == currentMajor else {
      if major > currentMajor {
        throw SombraError(
          .unsupportedVersion,
          "format \(major).\(minor) was written by a newer Sombra; this build reads format \(currentMajor).x: upgrade to a Sombra release that reads format \(major)",
          path: path)
      }
      if major == 2 {
        throw SombraError(
          .unsupportedVersion,
          "format 2.\(minor) was written by a Sombra 0.3 development build, whose adjacency layout this build does not read; export it with that build (sombra .export) and import it here",
          path: path)
      }
      throw SombraError(
        .unsupportedVersion,
        "format \(major).\(minor) is not a Sombra format version (0.x files are format 1, this build reads format \(currentMajor))",
        path: path)
    }
    guard let size = Int(exactly: pageSize), PageLayout.isValidPageSize(size) else {
      throw SombraError.corruption(
        "invalid page size \(pageSize) in the header: must be a power of two from 4096 to 65536", page: 0, offset: 12, path: path)
    }
    return (size, major, minor)
  }

  /// Parses a verified page 0.
  package static func decode(_ page: UnsafeRawBufferPointer, path: String) throws -> DatabaseHeader {
    let geometry = try probe(page, fileSize: UInt64(page.count), path: path)
    guard geometry.pageSize == page.count else {
      throw SombraError.corruption(
        "header page size \(geometry.pageSize) disagrees with the \(page.count)-byte page", page: 0, offset: 12, path: path)
    }
    var r = ByteReader(page, offset: 16, page: 0)
    var h = DatabaseHeader(pageSize: UInt32(geometry.pageSize))
    h.major = geometry.major
    h.minor = geometry.minor
    h.pageCount = try r.u32()
    h.freeListHead = try r.u32()
    h.freeListCount = try r.u32()
    let flags = try r.u32()
    h.cleanShutdown = flags & 1 != 0
    h.changeCounter = try r.u64()
    h.lastCheckpointedTransaction = try r.u64()
    h.nextNodeID = try r.u64()
    h.nextEdgeID = try r.u64()
    h.creator = try r.u32()
    h.durableWALFrames = try r.u32()
    for i in 0..<rootSlots { h.roots[i] = try r.u32() }
    h.lifetime = LifetimeFacts(
      commits: try r.u64(), checkpoints: try r.u64(), lastCheckpointTime: try r.u64(),
      uncleanShutdowns: try r.u64(), corruptionEvents: try r.u64())
    h.databaseID = try r.u64()
    guard h.pageCount >= 1 else {
      throw SombraError.corruption("header page count is 0", page: 0, offset: 16, path: path)
    }
    guard h.freeListHead < h.pageCount, h.freeListCount < h.pageCount else {
      throw SombraError.corruption(
        "free list (head \(h.freeListHead), length \(h.freeListCount)) lies outside the \(h.pageCount) pages", page: 0,
        offset: 20, path: path)
    }
    for (i, root) in h.roots.enumerated() where root >= h.pageCount {
      throw SombraError.corruption(
        "tree root \(i) points at page \(root), beyond the \(h.pageCount) pages", page: 0, offset: UInt64(72 + 4 * i), path: path)
    }
    return h
  }
}
