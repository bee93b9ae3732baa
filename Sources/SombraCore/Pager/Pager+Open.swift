/// Opening and closing.
///
/// Read-write open:
/// 1. Open (or create) the main file and take the writer lock (`locked` when
///    another handle has it, after `lockTimeout`).
/// 2. An empty file becomes a new database: header page written and synced, the
///    directory synced, any old WAL beside it discarded.
/// 3. Check magic, version and page size from the first bytes (specific errors).
/// 4. Scan the WAL: every committed transaction up to the first invalid frame is
///    recovered; frames after the last commit are ignored.
/// 5. Read and verify the header as of the last commit; report an unclean
///    shutdown when its clean flag is off; commit clean = false for this session.
/// 6. Checkpoint recovered frames into the main file when no reader prevents it.
///
/// Read-only open reads the same way and writes nothing: it takes only the shared
/// readers lock while it reads, and keeps the WAL's frames in its index.
///
/// Close: commit clean = true, checkpoint with `truncate`, release the lock.
extension Pager {
  package static func open(_ path: String, options: OpenOptions, storage: any StorageSystem) throws -> Pager {
    try options.validate()
    if options.readOnly { return try openReadOnly(path, options: options, storage: storage) }

    let main = try storage.open(path, options.create ? .readWriteCreate : .readWrite)
    var ok = false
    defer { if !ok { main.close() } }
    let deadline = monotonicSeconds() + options.lockTimeout
    while !(try main.lock(.writer, .exclusive, wait: false)) {
      guard monotonicSeconds() < deadline else {
        throw SombraError(.locked, "the database is open for writing by another process (or handle); close it or use a read-only open", path: path)
      }
      usleepSeconds(0.002)
    }

    var created = false
    if try main.size() == 0 {
      guard options.create else {
        throw SombraError(.notASombraFile, "not a Sombra database: the file is empty", path: path)
      }
      let header = DatabaseHeader(pageSize: UInt32(options.pageSize))
      let page = UnsafeMutableRawBufferPointer.allocate(byteCount: options.pageSize, alignment: 64)
      defer { page.deallocate() }
      header.encode(into: page)
      try main.write(UnsafeRawBufferPointer(page), at: 0)
      try main.sync()
      try storage.syncDirectory(of: path)
      created = true
    }
    let pageSize = try probe(main, path: path)
    let pager = Pager(path: path, options: options, storage: storage, main: main, pageSize: pageSize)
    let wal = try storage.open(pager.walPath, .readWriteCreate)
    pager.walFile = wal
    if created {
      try wal.truncate(to: 0)
      try wal.sync()
    }
    try pager.recover()
    pager.report.created = created
    ok = true

    // This session is now responsible for closing cleanly.
    if pager.header.cleanShutdown {
      let writer = try pager.beginWrite()
      writer.setCleanShutdown(false)
      try pager.commit(writer)
    }
    if pager.report.recoveredFrames > 0 {
      _ = try? pager.checkpoint(.passive)
    }
    return pager
  }

  private static func openReadOnly(_ path: String, options: OpenOptions, storage: any StorageSystem) throws -> Pager {
    let main = try storage.open(path, .readOnly)
    var ok = false
    defer { if !ok { main.close() } }
    let pageSize = try probe(main, path: path)
    let pager = Pager(path: path, options: options, storage: storage, main: main, pageSize: pageSize)
    let snapshot = try pager.beginRead()
    defer { pager.endRead(snapshot) }
    try pager.lock.withLock { _ in
      pager.report.uncleanShutdown = !pager.header.cleanShutdown
      try pager.checkGeometry()
    }
    ok = true
    return pager
  }

  /// Reads the first bytes and checks magic, version and page size.
  private static func probe(_ file: any StorageFile, path: String) throws -> Int {
    let size = try file.size()
    var prefix = [UInt8](repeating: 0, count: DatabaseHeader.prefixSize)
    let n = try prefix.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
    let geometry = try prefix.withUnsafeBytes {
      try DatabaseHeader.probe(UnsafeRawBufferPointer(rebasing: $0[0..<n]), fileSize: size, path: path)
    }
    guard size >= UInt64(geometry.pageSize) else {
      throw SombraError(.corruption, "the file is truncated: \(size) bytes, less than one \(geometry.pageSize)-byte page", path: path, page: 0)
    }
    return geometry.pageSize
  }

  /// Scans the WAL and installs its committed frames and the header (read-write open).
  private func recover() throws {
    guard let wal = walFile else { return }
    let scan = try WALScanner.scan(wal, pageSize: pageSize)
    if case .badPageSize(let size)? = scan.headerProblem {
      throw SombraError.corruption("the WAL is for \(size)-byte pages but the database has \(pageSize)-byte pages: it belongs to another database; move it away", path: walPath)
    }
    try lock.withLock { _ in
      adopt(scan, replacing: true)
      walHeaderOnDisk = scan.header != nil
      if scan.header == nil { walHeader = nil }
      report.recoveredTransactions = scan.transactions
      report.recoveredFrames = scan.committed.count
      report.discardedFrames = scan.uncommittedFrames
      if let problem = scan.headerProblem, scan.fileSize > 0 {
        report.walStopReason = "\(problem)"
      } else if let stop = scan.stop {
        report.walStopReason = "frame \(stop.frame): \(stop.reason)"
      }
      let slot = try pin(0, mark: committedFrames)
      defer { cache.unpin(slot) }
      header = try DatabaseHeader.decode(UnsafeRawBufferPointer(cache.buffer(slot)), path: path)
      if header.minor > DatabaseHeader.currentMinor {
        throw SombraError(.unsupportedVersion, "format 2.\(header.minor) is newer than this build (2.\(DatabaseHeader.currentMinor)); open it read-only or upgrade Sombra", path: path)
      }
      if let count = scan.committedPageCount, count != header.pageCount {
        throw SombraError.corruption("the last commit says \(count) pages but its header says \(header.pageCount)", page: 0, path: walPath)
      }
      report.uncleanShutdown = !header.cleanShutdown
      try checkGeometry()
    }
  }

  /// Every page below the page count must be in the main file or the WAL. Call under `lock`.
  func checkGeometry() throws {
    let size = try main.size()
    let whole = size / UInt64(pageSize)
    guard whole < UInt64(header.pageCount) else { return }
    for page in PageNumber(truncatingIfNeeded: whole)..<header.pageCount where index[page] == nil {
      throw SombraError.corruption(
        "the file is truncated: \(size) bytes hold \(whole) whole pages but the database has \(header.pageCount) and page \(page) is in neither the file nor the WAL",
        page: page, path: path)
    }
  }

  /// Closes the handle: a read-write handle marks the header clean, checkpoints
  /// and truncates the WAL. Fails with `misuse` while a write transaction is open.
  package func close() throws {
    guard gate.tryEnter() else {
      throw SombraError.misuse("a write transaction is still open; commit or roll it back before closing")
    }
    defer { gate.leave() }
    let (alreadyClosed, healthy, readers) = lock.withLock { _ in (closed, poison == nil, readerMarks.values.reduce(0, +)) }
    if alreadyClosed { return }
    guard readers == 0 else {
      throw SombraError.misuse("\(readers) read transaction(s) are still open; end them before closing")
    }
    var failure: Error?
    if !readOnly && healthy {
      do {
        let writer = PageWriter(pager: self, base: lock.withLock { _ in Snapshot(mark: committedFrames, generation: generation, header: header) })
        writer.setCleanShutdown(true)
        try commitHoldingGate(writer)
        _ = try checkpointHoldingGate(.truncate)
      } catch let error as SombraError where error.code == .busy {
        // A reader in another process: the WAL stays; the next open replays it.
      } catch {
        failure = error
      }
    }
    lock.withLock { _ in
      closed = true
      cache.removeAll()
    }
    if !readOnly { try? main.unlock(.writer) }
    walFile?.close()
    main.close()
    if let failure { throw failure }
  }
}
