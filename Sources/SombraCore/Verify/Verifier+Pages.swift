/// Level `checksums`: every page of the snapshot, read from the files in large
/// sequential chunks (never through the page cache, which would hide a bad
/// main-file page behind a cached or newer copy).
///
/// For page p below the snapshot's page count, the copy in use is the newest
/// committed WAL frame of p below the snapshot's mark, else the main file.
/// 1. Main file, pages 0..<min(page count, whole pages in the file): each must
///    pass its CRC trailer, have a known type (page 0: a valid header) and hold
///    its own number. A failure is an error when the snapshot uses that copy;
///    when a WAL frame supersedes it, the page is read again (a checkpoint may
///    be rewriting it right now) and a repeated failure is a warning,
///    `PAGE_SUPERSEDED`: the data is safe in the WAL and a checkpoint rewrites it.
/// 2. A page the snapshot takes from the main file but which lies past its end:
///    `PAGE_MISSING`.
/// 3. WAL frames 0..<mark (all committed ones the snapshot sees, also those
///    superseded by later frames): salts equal to the WAL header's
///    (`WAL_STALE_FRAME`), the page number it was indexed under
///    (`WAL_FRAME_PAGE`), the running checksum continued from the previous
///    frame's stored value, so one bad frame does not condemn the rest, and
///    the page inside (`WAL_FRAME_CHECKSUM`, `PAGE_TYPE`, `PAGE_NUMBER`).
///    Frames past the mark are not the snapshot's (a live writer may be
///    appending them) and are not checked as data; `Verifier+WALTail.swift`
///    only looks past the first invalid one for commits recovery cannot reach.
/// 4. Page 0 in use: decodes as a header that agrees with the snapshot's
///    header on page count, free list, roots and next ids.
extension Verifier {
  /// Bytes per read of the main file or the WAL.
  static let chunkBytes = 4 << 20

  func checkPages() throws {
    let pageSize = pager.pageSize
    let snapshot = self.snapshot
    let (frames, walHeader, wal) = try pager.lock.withLock { state -> ([PageNumber], WALHeader?, (any StorageFile)?) in
      try pager.checkUsable(state)
      guard snapshot.generation == state.generation, snapshot.mark <= state.framePages.count else {
        throw SombraError.misuse("the verifier's snapshot is from an earlier WAL generation")
      }
      return (Array(state.framePages[0..<snapshot.mark]), state.walHeader, state.walFile)
    }
    // The newest frame of each page below the mark (-1: the main file's copy).
    var newest = [Int32](repeating: -1, count: pageCount)
    for (f, page) in frames.enumerated() where Int(page) < pageCount { newest[Int(page)] = Int32(f) }
    // Pages whose newest version is in a delta frame (`WALFormat`): the version
    // in use is rebuilt from its base and records, and checked as a page.
    let (deltaPages, deltaVersions) = pager.lock.withLock { state in
      var pagesOf: [Int: [PageNumber]] = [:]
      var versions: [(page: PageNumber, source: PageSource)] = []
      for (page, list) in state.index.all {
        for f in list where Int(f) < snapshot.mark && state.isDeltaFrame(f) { pagesOf[Int(f), default: []].append(page) }
        guard Int(page) < pageCount, let f = list.last(where: { Int($0) < snapshot.mark }), state.isDeltaFrame(f) else {
          continue
        }
        newest[Int(page)] = Int32(f)
        versions.append((page, state.source(of: page, at: f)))
      }
      for f in pagesOf.keys { pagesOf[f]?.sort() }
      return (pagesOf, versions.sorted { $0.page < $1.page })
    }

    beginPhase("checksums", total: pageCount + frames.count)
    let checkedThrough = try checkMainFile(newest: newest, pageSize: pageSize)
    for page in checkedThrough..<pageCount where newest[page] < 0 {
      badPages.insert(PageNumber(page))
      problem(
        .pageMissing, page: PageNumber(page),
        "the page lies beyond the end of the main file and no committed WAL frame holds it (the file is truncated)",
        hint: VerifyHint.salvage)
    }
    try checkFrames(frames, deltaPages: deltaPages, newest: newest, walHeader: walHeader, wal: wal, pageSize: pageSize)
    try checkDeltaVersions(deltaVersions, pageSize: pageSize)
    try checkWALTail()
    endPhase()
  }

  /// Checks the main file's pages; returns how many pages were whole in it.
  private func checkMainFile(newest: [Int32], pageSize: Int) throws -> Int {
    let main = pager.main
    let fileSize = try main.size()
    let filePages = Int(min(UInt64(pageCount), fileSize / UInt64(pageSize)))
    let chunkPages = max(1, Self.chunkBytes / pageSize)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkPages * pageSize, alignment: 64)
    defer { buffer.deallocate() }
    var page = 0
    while page < filePages {
      let n = min(chunkPages, filePages - page)
      let want = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * pageSize])
      let got = try main.read(into: want, at: UInt64(page) * UInt64(pageSize)) / pageSize
      for i in 0..<got {
        let number = page + i
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[i * pageSize..<(i + 1) * pageSize])
        let superseded = newest[number] >= 0
        report.counts.mainFilePages += 1
        report.counts.bytesChecked += pageSize
        if superseded { report.counts.supersededPages += 1 }
        guard let failure = pageFailure(bytes, number: PageNumber(number), inUse: !superseded) else { continue }
        if superseded {
          try recheckSuperseded(PageNumber(number), pageSize: pageSize)
        } else {
          badPages.insert(PageNumber(number))
          problem(failure.code, page: PageNumber(number), record: "main file", failure.message, hint: VerifyHint.salvage)
        }
      }
      if got < n { return page + got }
      page += n
      guard tick(page) else { throw VerifyInterrupted() }
    }
    return filePages
  }

  /// A superseded main-file page failed: read it once more (a checkpoint may be
  /// writing it) and warn when it still fails.
  private func recheckSuperseded(_ number: PageNumber, pageSize: Int) throws {
    let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
    defer { page.deallocate() }
    let n = try pager.main.read(into: page, at: UInt64(number) * UInt64(pageSize))
    guard n == pageSize, let failure = pageFailure(UnsafeRawBufferPointer(page), number: number, inUse: false) else { return }
    problem(
      .pageSuperseded, severity: .warning, page: number, record: "main file",
      "the main-file copy fails (\(failure.code): \(failure.message)); a committed WAL frame replaces it",
      hint: VerifyHint.checkpoint)
  }

  /// Checks the snapshot's committed frames against the WAL file.
  private func checkFrames(
    _ frames: [PageNumber], deltaPages: [Int: [PageNumber]], newest: [Int32], walHeader: WALHeader?, wal: (any StorageFile)?,
    pageSize: Int
  ) throws {
    guard !frames.isEmpty else { return }
    guard let wal, let walHeader else {
      for page in Set(frames) { badPages.insert(page) }
      problem(
        .walHeader, record: "WAL", "the snapshot uses \(frames.count) WAL frames but no WAL is open", hint: VerifyHint.salvage)
      return
    }
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    let n = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    switch raw.withUnsafeBytes({ WALHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
    case .failure(let why):
      problem(.walHeader, record: "WAL", "\(why) while the snapshot uses \(frames.count) of its frames", hint: VerifyHint.salvage)
    case .success(let onDisk) where onDisk != walHeader:
      problem(
        .walHeader, record: "WAL",
        "the WAL header (sequence \(onDisk.sequence)) is not the one its frames were read under (sequence \(walHeader.sequence))",
        hint: VerifyHint.salvage)
    case .success: break
    }

    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    let chunkFrames = max(1, Self.chunkBytes / frameSize)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkFrames * frameSize, alignment: 64)
    defer { buffer.deallocate() }
    var running = walHeader.checksum
    var frame = 0
    while frame < frames.count {
      let n = min(chunkFrames, frames.count - frame)
      guard let offset = WALFormat.frameOffset(frame, pageSize: pageSize) else { break }
      let read = try wal.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * frameSize]), at: offset)
      var got = read / frameSize
      for i in 0..<got {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[i * frameSize..<(i + 1) * frameSize])
        running = checkFrame(
          frame + i, bytes, expected: frames[frame + i], deltaPages: deltaPages, newest: newest, walHeader: walHeader,
          running: running)
      }
      // The log's last frame may be a delta frame written only as far as its records.
      if got < n, read - got * frameSize >= WALFormat.frameHeaderSize, frames[frame + got] == WALFormat.deltaFrameMarker {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[got * frameSize..<read])
        if Int(WALFrameHeader.read(bytes).deltaBytes) <= bytes.count - WALFormat.frameHeaderSize {
          running = checkFrame(
            frame + got, bytes, expected: frames[frame + got], deltaPages: deltaPages, newest: newest, walHeader: walHeader,
            running: running)
          got += 1
        }
      }
      if got < n {
        for f in frame + got..<frames.count {
          let page = frames[f]
          if Int(page) < newest.count, newest[Int(page)] == Int32(f) { badPages.insert(page) }
          problem(
            .walFrameChecksum, page: page, record: "WAL frame \(f)",
            "the WAL ends inside or before this committed frame (the file was truncated)", hint: VerifyHint.salvage)
        }
        return
      }
      frame += n
      guard tick(pageCount + frame) else { throw VerifyInterrupted() }
    }
  }

  /// Checks one committed frame; returns the running checksum to continue from.
  private func checkFrame(
    _ index: Int, _ frame: UnsafeRawBufferPointer, expected: PageNumber, deltaPages: [Int: [PageNumber]], newest: [Int32],
    walHeader: WALHeader, running: UInt32
  ) -> UInt32 {
    report.counts.walFrames += 1
    let head = WALFrameHeader.read(frame)
    if expected == WALFormat.deltaFrameMarker || head.isDelta {
      return checkDeltaFrame(
        index, frame, head: head, expected: expected, pages: deltaPages[index] ?? [], newest: newest, walHeader: walHeader,
        running: running)
    }
    report.counts.bytesChecked += frame.count
    let headBytes = UnsafeRawBufferPointer(rebasing: frame[0..<24])
    let page = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize...])
    let inUse = Int(expected) < newest.count && newest[Int(expected)] == Int32(index)
    // The newest frame of a page is what the snapshot reads; an older one only
    // matters to a checkpoint that copies it, which reads it again first.
    let hint = inUse ? VerifyHint.salvage : VerifyHint.checkpoint
    let record = "WAL frame \(index)"
    var bad = false
    if head.page != expected {
      bad = true
      problem(
        .walFramePage, page: expected, record: record, "the frame holds page \(head.page), not the page it was committed for",
        hint: hint)
    }
    if head.salt1 != walHeader.salt1 || head.salt2 != walHeader.salt2 {
      bad = true
      problem(
        .walStaleFrame, page: expected, record: record,
        "the frame's salt is from another WAL generation (a stale frame where a committed one belongs)", hint: hint)
    } else if WALFrameHeader.chain(running, head: headBytes, page: page) != head.checksum {
      bad = true
      problem(
        .walFrameChecksum, page: expected, record: record, "the frame's running checksum does not match its bytes", hint: hint)
    }
    if let failure = pageFailure(page, number: expected, inUse: inUse) {
      bad = true
      let code = failure.code == .pageChecksum ? .walFrameChecksum : failure.code
      problem(code, page: expected, record: record, failure.message, hint: hint)
    }
    if bad && inUse { badPages.insert(expected) }
    return head.checksum
  }

  /// Checks one committed delta frame: salts, running checksum and records.
  /// The versions it holds are checked as pages by `checkDeltaVersions`.
  private func checkDeltaFrame(
    _ index: Int, _ frame: UnsafeRawBufferPointer, head: WALFrameHeader, expected: PageNumber, pages: [PageNumber],
    newest: [Int32], walHeader: WALHeader, running: UInt32
  ) -> UInt32 {
    let record = "WAL frame \(index)"
    let length = Int(head.deltaBytes)
    let inUse = pages.contains { Int($0) < newest.count && newest[Int($0)] == Int32(index) }
    let hint = inUse ? VerifyHint.salvage : VerifyHint.checkpoint
    var bad = false
    if expected != WALFormat.deltaFrameMarker || !head.isDelta || length > frame.count - WALFormat.frameHeaderSize {
      bad = true
      problem(
        .walFramePage, page: expected == WALFormat.deltaFrameMarker ? nil : expected, record: record,
        head.isDelta
          ? "the frame's delta records run past the WAL's end"
          : "the frame holds page \(head.page), not the delta records it was committed with",
        hint: hint)
    } else if head.salt1 != walHeader.salt1 || head.salt2 != walHeader.salt2 {
      bad = true
      problem(
        .walStaleFrame, record: record,
        "the frame's salt is from another WAL generation (a stale frame where a committed one belongs)", hint: hint)
    } else {
      let records = UnsafeRawBufferPointer(rebasing: frame[WALFormat.frameHeaderSize..<WALFormat.frameHeaderSize + length])
      if WALFrameHeader.deltaChain(running, head: frame, records: records) != head.checksum {
        bad = true
        problem(.walFrameChecksum, record: record, "the frame's running checksum does not match its bytes", hint: hint)
      } else if WALDelta.records(records, pageSize: pager.pageSize)?.map(\.page) != pages {
        bad = true
        problem(
          .walFrameChecksum, record: record, "the frame's delta records do not parse or name other pages than were committed",
          hint: hint)
      }
    }
    if bad && inUse {
      for page in pages where Int(page) < newest.count && newest[Int(page)] == Int32(index) { badPages.insert(page) }
    }
    report.counts.bytesChecked += WALFormat.frameHeaderSize + max(0, min(length, frame.count - WALFormat.frameHeaderSize))
    return head.checksum
  }

  /// Rebuilds each page version the snapshot takes from a delta frame (its
  /// base, main file or image, with the records written over it, read from the
  /// files) and checks it as a page.
  private func checkDeltaVersions(_ versions: [(page: PageNumber, source: PageSource)], pageSize: Int) throws {
    guard !versions.isEmpty else { return }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
    defer { buffer.deallocate() }
    for (page, source) in versions where !badPages.contains(page) {
      let record = "WAL frame \(source.deltas.last.map { "\($0)" } ?? "?")"
      do {
        try pager.lock.withLock { state in try pager.load(page, from: source, into: buffer, wal: state.walFile) }
      } catch let error as SombraError where error.code == .corruption {
        badPages.insert(page)
        problem(
          .walFrameChecksum, page: page, record: record, "the page rebuilt from its delta records fails: \(error.message)",
          hint: VerifyHint.salvage)
        continue
      }
      if let failure = pageFailure(UnsafeRawBufferPointer(buffer), number: page, inUse: true) {
        badPages.insert(page)
        problem(failure.code, page: page, record: record, failure.message, hint: VerifyHint.salvage)
      }
    }
  }

  /// What is wrong with a page image that should be page `number`, or nil. A
  /// header page the snapshot uses (`inUse`) must also agree with its header.
  func pageFailure(_ bytes: UnsafeRawBufferPointer, number: PageNumber, inUse: Bool) -> (
    code: VerifyProblem.Code, message: String
  )? {
    let (stored, computed) = PageLayout.checksums(bytes)
    guard stored == computed else {
      return (.pageChecksum, "the CRC trailer says 0x\(PageLayout.hex(stored)) but the bytes give 0x\(PageLayout.hex(computed))")
    }
    if number == 0 { return headerFailure(bytes, compare: inUse) }
    let type = bytes[PageLayout.typeOffset]
    guard PageType(rawValue: type) != nil, type != PageType.header.rawValue else {
      return (.pageType, "unknown page type 0x\(PageLayout.hex(type))")
    }
    let claimed: UInt32 = bytes.le(PageLayout.numberOffset)
    guard claimed == number else {
      return (.pageNumber, "the page holds the contents of page \(claimed) (a misdirected write)")
    }
    return nil
  }

  /// Page 0 must decode and agree with the snapshot on what it describes.
  private func headerFailure(_ bytes: UnsafeRawBufferPointer, compare: Bool) -> (code: VerifyProblem.Code, message: String)? {
    let decoded: DatabaseHeader
    do {
      decoded = try DatabaseHeader.decode(bytes, path: pager.path)
    } catch let error as SombraError {
      return (.headerInvalid, error.message)
    } catch {
      return (.headerInvalid, "\(error)")
    }
    guard compare else { return nil }
    let h = header
    var differences: [String] = []
    if decoded.pageCount != h.pageCount { differences.append("page count \(decoded.pageCount) vs \(h.pageCount)") }
    if decoded.freeListHead != h.freeListHead || decoded.freeListCount != h.freeListCount {
      differences.append("free list \(decoded.freeListHead)/\(decoded.freeListCount) vs \(h.freeListHead)/\(h.freeListCount)")
    }
    if decoded.roots != h.roots { differences.append("tree roots") }
    if decoded.nextNodeID != h.nextNodeID || decoded.nextEdgeID != h.nextEdgeID { differences.append("next ids") }
    guard differences.isEmpty else {
      return (.headerInvalid, "the header page disagrees with the snapshot's header: " + differences.joined(separator: ", "))
    }
    return nil
  }
}
