/// Where one version of a page is read from: a base (a WAL image frame, or the
/// main file's page) and the delta frames whose records for the page are
/// written over it, in order (see `WALFormat`).
package struct PageSource: Sendable, Equatable {
  /// The WAL image frame it starts from; nil: the main file's page.
  package var base: UInt32?
  /// Delta frames whose records for the page are written over the base, in order.
  package var deltas: [UInt32] = []

  package init(base: UInt32?, deltas: [UInt32] = []) {
    self.base = base
    self.deltas = deltas
  }

  /// The source of the version at frame `newest`, given the page's frames of
  /// the generation (`frames`, ascending) and which of them are delta frames.
  package static func of(newest: UInt32, among frames: [UInt32], isDelta: (UInt32) -> Bool) -> PageSource {
    var deltas: [UInt32] = []
    var base: UInt32?
    for f in frames.reversed() where f <= newest {
      guard isDelta(f) else {
        base = f
        break
      }
      deltas.append(f)
    }
    return PageSource(base: base, deltas: deltas.reversed())
  }

  /// Reads the version of `page` into `buffer` (of the page size). With
  /// `verify`, an image base and the result must pass the page checks
  /// (`PageLayout.verify`); without, the bytes are returned as they are (for
  /// inspection and salvage), but records that do not parse still throw.
  ///
  /// A main-file base that a checkpoint was writing when the power failed may be
  /// torn; the records written over it repair it (the runs set every byte any
  /// version since the base changed), so a main-file base is not checked on its
  /// own when records follow.
  package func read(
    _ page: PageNumber, main: any StorageFile, wal: (any StorageFile)?, pageSize: Int,
    into buffer: UnsafeMutableRawBufferPointer, verify: Bool
  ) throws {
    let walPath = wal?.path
    if let frame = base {
      guard let wal, let start = WALFormat.frameOffset(Int(frame), pageSize: pageSize) else {
        throw SombraError.corruption("WAL frame \(frame) of page \(page) is unreachable", page: page, path: walPath)
      }
      let offset = start + UInt64(WALFormat.frameHeaderSize)
      try wal.readExactly(into: buffer, at: offset, what: "WAL frame \(frame) (page \(page))")
      if verify {
        try PageLayout.verify(UnsafeRawBufferPointer(buffer), number: page, path: walPath, source: "WAL frame \(frame)")
      }
    } else {
      let offset = UInt64(page) * UInt64(pageSize)
      let n = try main.read(into: buffer, at: offset)
      if n < pageSize && !deltas.isEmpty {
        UnsafeMutableRawBufferPointer(rebasing: buffer[n...]).initializeMemory(as: UInt8.self, repeating: 0)
      } else if n < pageSize {
        throw SombraError.corruption(
          "page \(page) lies beyond the end of the main file (\(offset + UInt64(n)) bytes): the file is truncated",
          page: page, offset: UInt64(n), path: main.path)
      }
      if verify && deltas.isEmpty {
        try PageLayout.verify(UnsafeRawBufferPointer(buffer), number: page, path: main.path, source: "the main file")
      }
    }
    guard let last = deltas.last else { return }
    try applyDeltas(of: page, wal: wal, pageSize: pageSize, to: buffer)
    if verify {
      try PageLayout.verify(UnsafeRawBufferPointer(buffer), number: page, path: walPath, source: "WAL delta frame \(last)")
    }
  }

  /// Writes the records for `page` of each delta frame over `buffer`, in order.
  private func applyDeltas(of page: PageNumber, wal: (any StorageFile)?, pageSize: Int, to buffer: UnsafeMutableRawBufferPointer)
    throws
  {
    guard let wal else { throw SombraError.corruption("no WAL holds the delta frames of page \(page)", page: page) }
    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 64)
    defer { raw.deallocate() }
    for frame in deltas {
      guard let offset = WALFormat.frameOffset(Int(frame), pageSize: pageSize) else {
        throw SombraError.corruption("WAL frame \(frame) of page \(page) is unreachable", page: page, path: wal.path)
      }
      let n = try wal.read(into: raw, at: offset)
      let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<n])
      let length = n >= WALFormat.frameHeaderSize ? Int(bytes.le(28, as: UInt32.self)) : 0
      guard length > 0, length <= n - WALFormat.frameHeaderSize else {
        // The damage is the frame's, in the WAL file: its offset there, not a page's.
        throw SombraError.corruption(
          "WAL frame \(frame), a delta for page \(page), is short or no longer a delta frame", offset: offset, path: wal.path)
      }
      let records = UnsafeRawBufferPointer(rebasing: bytes[WALFormat.frameHeaderSize..<WALFormat.frameHeaderSize + length])
      guard let parsed = WALDelta.records(records, pageSize: pageSize), let record = parsed.first(where: { $0.page == page })
      else {
        throw SombraError.corruption(
          "WAL frame \(frame) holds no valid delta record for page \(page)", offset: offset, path: wal.path)
      }
      WALDelta.apply(record, from: records, to: buffer)
    }
  }
}
