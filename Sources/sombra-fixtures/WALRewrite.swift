import SombraCore

/// Deterministic WAL bytes. A WAL's salts are random (`WALHeader.fresh`,
/// `next`), so a WAL left by the engine differs on every run; these rewrite
/// the header with fixed salts and re-chain every frame (`WALFormat.swift`
/// has the byte map): the result is the WAL the engine would have written had
/// its random numbers been these, and it recovers exactly as the original.
/// The zeros a WAL is grown by past its frames (invariant 4 of `WALFormat`)
/// are dropped: they carry nothing, and the fixture stays small.
enum WALRewrite {
  static let salt1: UInt32 = 0x5EED_0001
  static let salt2: UInt32 = 0x5EED_0002

  struct Frame {
    var index: Int
    var offset: Int
    var page: PageNumber
    var commitPageCount: UInt32
    var transaction: UInt64
    /// L of a delta frame (0: an image frame).
    var deltaBytes: Int = 0

    /// Bytes of the frame: a delta frame's slot counts only as far as its records.
    func size(pageSize: Int) -> Int { WALFormat.frameHeaderSize + (deltaBytes > 0 ? deltaBytes : pageSize) }
  }

  /// The header and whole frames of a WAL the engine just wrote (all valid),
  /// up to the unwritten space after them, if any.
  static func frames(_ wal: [UInt8], pageSize: Int) throws -> (header: WALHeader, frames: [Frame]) {
    let header: WALHeader
    switch wal.withUnsafeBytes({ WALHeader.decode($0) }) {
    case .success(let h): header = h
    case .failure(let why): throw SombraError.corruption("the generated WAL is not valid: \(why)")
    }
    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    var frames: [Frame] = []
    var offset = WALFormat.headerSize
    while offset + WALFormat.frameHeaderSize <= wal.count {
      if wal[offset..<min(offset + frameSize, wal.count)].allSatisfy({ $0 == 0 }) {
        guard wal[offset...].allSatisfy({ $0 == 0 }) else {
          throw SombraError.corruption("the generated WAL has bytes after its unwritten space")
        }
        return (header, frames)
      }
      let head = wal.withUnsafeBytes { WALFrameHeader.read(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 32])) }
      let frame = Frame(
        index: frames.count, offset: offset, page: head.page, commitPageCount: head.commitPageCount,
        transaction: head.transaction,
        deltaBytes: Int(head.deltaBytes))
      guard offset + frame.size(pageSize: pageSize) <= wal.count else { break }
      frames.append(frame)
      if offset + frameSize > wal.count {
        // A delta frame ends the log inside its slot.
        offset += frame.size(pageSize: pageSize)
        break
      }
      offset += frameSize
    }
    guard offset == wal.count else { throw SombraError.corruption("the generated WAL ends inside a frame") }
    return (header, frames)
  }

  /// `wal` with the fixed salts in its header and every frame, the header CRC
  /// and the running checksums recomputed.
  static func normalized(_ wal: [UInt8], pageSize: Int) throws -> [UInt8] {
    let (old, frames) = try frames(wal, pageSize: pageSize)
    let header = WALHeader(
      pageSize: old.pageSize, sequence: old.sequence, salt1: salt1, salt2: salt2, version: old.version, databaseID: old.databaseID
    )
    let end = frames.last.map { $0.offset + $0.size(pageSize: pageSize) } ?? WALFormat.headerSize
    var out = Array(wal[0..<end])
    out.replaceSubrange(0..<WALFormat.headerSize, with: header.encode())
    var running = header.checksum
    for frame in frames {
      running = rewrite(&out, frame, header: header, previous: running, pageSize: pageSize)
    }
    return out
  }

  /// Rewrites one frame's header under `header`, continuing the chain from
  /// `previous`; returns the new running checksum.
  @discardableResult
  static func rewrite(_ wal: inout [UInt8], _ frame: Frame, header: WALHeader, previous: UInt32, pageSize: Int) -> UInt32 {
    let start = frame.offset
    let pageStart = start + WALFormat.frameHeaderSize
    var head = [UInt8](repeating: 0, count: WALFormat.frameHeaderSize)
    if frame.deltaBytes > 0 {
      let records = Array(wal[pageStart..<pageStart + frame.deltaBytes])
      let crc = head.withUnsafeMutableBytes { out in
        records.withUnsafeBytes { bytes in
          WALFrameHeader.writeDelta(
            into: out, commitPageCount: frame.commitPageCount, transaction: frame.transaction, header: header,
            previous: previous, records: bytes)
        }
      }
      wal.replaceSubrange(start..<pageStart, with: head)
      return crc
    }
    let page = Array(wal[pageStart..<pageStart + pageSize])
    let crc = head.withUnsafeMutableBytes { out in
      page.withUnsafeBytes { pageBytes in
        WALFrameHeader.write(
          into: out, page: frame.page, commitPageCount: frame.commitPageCount, transaction: frame.transaction,
          header: header, previous: previous, pageBytes: pageBytes)
      }
    }
    wal.replaceSubrange(start..<pageStart, with: head)
    return crc
  }
}
