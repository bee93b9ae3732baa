/// Reads a WAL file and finds its committed prefix (recovery, read-only
/// snapshots and `sombra-inspect wal` all use this).
///
/// The scan walks frames in order, checking each against invariant 1 of
/// `WALFormat`; it stops at the first invalid frame (`unwritten` when that is
/// the zeros a growing WAL is extended with: the normal end of the log). Frames of a transaction
/// become `committed` only when that transaction's commit frame is valid.
package struct WALScan: Sendable {
  package struct Frame: Sendable, Equatable {
    /// The page of an image frame; `WALFormat.deltaFrameMarker` for a delta frame.
    package var page: PageNumber
    package var commitPageCount: UInt32
    package var transaction: UInt64
    /// The pages a delta frame has records for, ascending; empty for an image.
    package var deltaPages: [PageNumber] = []

    package var isDelta: Bool { page == WALFormat.deltaFrameMarker }
    /// The pages whose versions this frame holds.
    package var pages: [PageNumber] { isDelta ? deltaPages : [page] }
  }

  /// The header, when it is valid.
  package var header: WALHeader?
  /// Why the header is not valid (nil for an empty file or a valid header).
  package var headerProblem: WALInvalid?
  /// Committed frames, in order: frame i of the WAL is `committed[i]`.
  package var committed: [Frame] = []
  /// Running checksum after the last committed frame.
  package var checksum: UInt32 = 0
  /// Valid frames after the last commit (an interrupted transaction).
  package var uncommittedFrames = 0
  /// Where and why the scan stopped before the end of the file, if it did.
  package var stop: (frame: Int, reason: WALInvalid)?
  /// Where the scan stopped at something other than unwritten space (a torn,
  /// stale or damaged frame): what reports call the reason recovery stopped.
  package var problem: (frame: Int, reason: WALInvalid)? {
    guard let stop, stop.reason != .unwritten else { return nil }
    return stop
  }
  /// Committed transactions found.
  package var transactions = 0
  package var fileSize: UInt64 = 0

  /// The page count after the last committed transaction.
  package var committedPageCount: UInt32? { committed.last?.commitPageCount }
}

package enum WALScanner {
  /// Scans `file` from frame `start` (0 for a full scan). When resuming, `resume`
  /// carries the header and running checksum at `start`. Frames at or past
  /// `limit` are not read (a reader's durable mark): the scan ends there as at
  /// the end of the file.
  package static func scan(
    _ file: any StorageFile, pageSize: Int, start: Int = 0, resume: (header: WALHeader, checksum: UInt32)? = nil,
    limit: Int = .max
  ) throws -> WALScan {
    var result = WALScan()
    result.fileSize = try file.size()
    let header: WALHeader
    var running: UInt32
    if let resume {
      header = resume.header
      running = resume.checksum
    } else {
      if result.fileSize == 0 { return result }
      var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
      let n = try raw.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
      switch raw.withUnsafeBytes({ WALHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
      case .failure(let problem):
        result.headerProblem = problem
        return result
      case .success(let h):
        header = h
      }
      running = header.checksum
    }
    result.header = header
    result.checksum = running
    guard Int(header.pageSize) == pageSize else {
      result.headerProblem = .badPageSize(header.pageSize)
      result.header = nil
      return result
    }

    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 64)
    defer { buffer.deallocate() }
    var pending: [WALScan.Frame] = []
    var index = start
    while index < limit {
      guard let offset = WALFormat.frameOffset(index, pageSize: pageSize), offset < result.fileSize else { break }
      let n = try file.read(into: buffer, at: offset)
      if n < WALFormat.frameHeaderSize {
        result.stop = (index, .shortFrame)
        break
      }
      let frame = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n])
      let fh = WALFrameHeader.read(frame)
      guard fh.salt1 == header.salt1, fh.salt2 == header.salt2 else {
        // Zeros are space the WAL was grown by (invariant 4), not an old frame.
        let zeros = frame[0..<WALFormat.frameHeaderSize].allSatisfy { $0 == 0 }
        result.stop = (index, zeros ? .unwritten : .saltMismatch)
        break
      }
      if fh.isDelta {
        guard let length = Int(exactly: fh.deltaBytes), length <= pageSize else {
          result.stop = (index, .chainChecksum)
          break
        }
        guard n >= WALFormat.frameHeaderSize + length else {
          result.stop = (index, .shortFrame)
          break
        }
        let bytes = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize..<WALFormat.frameHeaderSize + length])
        let crc = WALFrameHeader.deltaChain(running, head: frame, records: bytes)
        guard crc == fh.checksum else {
          result.stop = (index, .chainChecksum)
          break
        }
        guard header.allowsDeltas, fh.page == WALFormat.deltaFrameMarker,
          let records = WALDelta.records(bytes, pageSize: pageSize)
        else {
          result.stop = (index, .badDelta)
          break
        }
        running = crc
        pending.append(
          WALScan.Frame(
            page: WALFormat.deltaFrameMarker, commitPageCount: fh.commitPageCount, transaction: fh.transaction,
            deltaPages: records.map(\.page)))
      } else {
        if n < frameSize {
          result.stop = (index, .shortFrame)
          break
        }
        let page = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize...])
        // The page's own checksum first: the chain below trusts its trailer.
        if (try? PageLayout.verify(page, number: fh.page, path: nil, source: "WAL")) == nil {
          // A torn frame usually fails both; report the chain unless it holds.
          let crc = CRC32C.update(CRC32C.update(running, UnsafeRawBufferPointer(rebasing: frame[0..<24])), page)
          result.stop = (index, crc == fh.checksum ? .pageChecksum : .chainChecksum)
          break
        }
        let crc = WALFrameHeader.chain(running, head: UnsafeRawBufferPointer(rebasing: frame[0..<24]), page: page)
        guard crc == fh.checksum else {
          result.stop = (index, .chainChecksum)
          break
        }
        running = crc
        pending.append(WALScan.Frame(page: fh.page, commitPageCount: fh.commitPageCount, transaction: fh.transaction))
      }
      if fh.isCommit {
        if let bad = pending.lazy.flatMap(\.pages).first(where: { $0 >= fh.commitPageCount }) {
          result.stop = (index, .badPageNumber(bad))
          pending.removeAll()
          break
        }
        result.committed.append(contentsOf: pending)
        result.transactions += 1
        result.checksum = running
        pending.removeAll()
      }
      index += 1
    }
    result.uncommittedFrames = pending.count
    return result
  }
}
