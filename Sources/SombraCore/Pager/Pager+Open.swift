#if canImport(Glibc)
  import Glibc
#endif

/// Opening and closing.
///
/// Read-write open:
/// 1. Open (or create, empty) the main file and take the writer lock (`locked`
///    when another handle has it, after `lockTimeout`).
/// 2. Check magic, version and page size from the first bytes (a specific error
///    for each); when the main file has no header yet, take the geometry from a
///    WAL whose committed page 0 agrees with the bytes that are there.
/// 3. An empty main file with no committed WAL is a new database: nothing is
///    written to it; its header exists in memory until the first commit (step 6)
///    puts page 0 in the WAL. A leftover WAL of ours is discarded; a WAL that is
///    not ours (another format) is refused, never overwritten.
/// 4. Scan the WAL: every committed transaction up to the first invalid frame is
///    recovered; frames after the last commit are ignored.
/// 5. Read and verify the header as of the last commit; report an unclean
///    shutdown when its clean flag is off. Only then create the WAL if missing
///    (and sync the directory), so a foreign file gets nothing beside it.
/// 6. Sync the WAL when frames were recovered and place the durable mark
///    (`Pager+DurableMark.swift`), before anything of this session is written.
///    Then commit clean = false for this session (the first commit of a new database).
/// 7. Checkpoint recovered frames into the main file when no reader prevents it.
///
/// Read-only open reads the same way and writes nothing: it takes only the shared
/// readers lock while it reads (from before the probe, so a checkpoint cannot
/// move pages between the main file and the WAL under it), and keeps the WAL's
/// frames, up to the durable mark, in its index.
///
/// Close: commit clean = true, checkpoint with `truncate`, release the lock.
extension Pager {
  package static func open(_ path: String, options: OpenOptions, storage: any StorageSystem, attempt: Int = 0) throws -> Pager {
    try options.validate()
    if options.readOnly { return try openReadOnly(path, options: options, storage: storage) }

    let main = try storage.open(path, options.create ? .readWriteCreate : .readWrite)
    var ok = false
    defer { if !ok { main.close() } }
    let deadline = monotonicSeconds() + options.lockTimeout
    while !(try main.lock(.writer, .exclusive, wait: false)) {
      guard monotonicSeconds() < deadline else {
        throw SombraError(
          .locked, "the database is open for writing by another process (or handle); close it or use a read-only open", path: path
        )
      }
      usleepSeconds(0.002)
    }
    // A vacuum renames a new file over the path while it holds the lock: what
    // we locked may no longer be the database. Open the path again.
    if let now = storage.identity(of: path), try main.identity() != now, attempt < 8 {
      main.close()
      return try open(path, options: options, storage: storage, attempt: attempt + 1)
    }

    // Geometry from the main file, else (a new database whose first commit is
    // only in the WAL so far) from the WAL header.
    // The WAL is created only once the main file has proved to be a database
    // (or empty): opening a foreign file leaves nothing behind.
    let walPath = path + ".wal"
    let existingWAL = storage.exists(walPath) ? try storage.open(walPath, .readWrite) : nil
    defer { if let existingWAL, !ok { existingWAL.close() } }
    var pageSize = try probe(main, path: path, walFallback: existingWAL)
    let created = pageSize == nil
    if created {
      guard options.create else {
        throw SombraError(.notASombraFile, "not a Sombra database: the file is empty", path: path)
      }
      if let existingWAL, try existingWAL.size() > 0 {
        // Leftovers of a database at this path that never committed (a torn
        // first commit starts with our magic, or zeros); anything else is not
        // ours. A young database (everything still in the WAL) whose WAL is
        // damaged looks the same until `WALDamage` has looked: never truncated.
        try refuseForeignWAL(existingWAL, path: walPath)
        if let damage = try assessLeftoverWAL(existingWAL) {
          try refuseDamagedWAL(damage, path: path, walPath: walPath, options: options)
        }
        try existingWAL.truncate(to: 0)
        try existingWAL.sync()
      }
      pageSize = options.pageSize
    }
    let pager = Pager(path: path, options: options, storage: storage, main: main, pageSize: pageSize ?? options.pageSize)
    pager.lock.withLock { $0.walFile = existingWAL }
    if created {
      pager.lock.withLock { state in
        state.header = DatabaseHeader(pageSize: UInt32(pager.pageSize))
        state.header.databaseID = options.newDatabaseID ?? DatabaseHeader.newDatabaseID()
        state.report.created = true
      }
    } else {
      try pager.recover()
    }
    if existingWAL == nil || created {
      if existingWAL == nil {
        let wal = try storage.open(walPath, .readWriteCreate)
        pager.lock.withLock { $0.walFile = wal }
      }
      // The new directory entries (NAME and NAME.wal) must survive a power loss
      // as surely as the commits inside them.
      try storage.syncDirectory(of: path)
    }
    // Before the first commit of the session: other processes read no
    // further than this (`Pager+DurableMark.swift`).
    try pager.publishRecoveredFrames()
    ok = true

    // This session is now responsible for closing cleanly; an unclean shutdown
    // found here is counted in the header's lifetime facts.
    pager.logOpen()
    let (header, report) = pager.lock.withLock { ($0.header, $0.report) }
    if header.cleanShutdown || report.uncleanShutdown {
      let writer = try pager.beginWrite()
      writer.setCleanShutdown(false)
      // A file made before format 3.1 gets its id (and the minor that says so).
      if header.databaseID == 0 || header.minor < DatabaseHeader.currentMinor {
        writer.adoptCurrentFormat(databaseID: header.databaseID == 0 ? DatabaseHeader.newDatabaseID() : header.databaseID)
      }
      if report.uncleanShutdown { writer.recordUncleanShutdown() }
      try pager.commit(writer)
    }
    if report.recoveredFrames > 0 {
      // Passive: readers in other processes only postpone it; so does a full
      // disk (the WAL keeps the frames, and the database is readable). Any
      // other I/O error fails the open.
      do {
        _ = try pager.checkpoint(.passive)
      } catch let error as SombraError where error.errno == ENOSPC || error.errno == EDQUOT {
        pager.logger.warning("the open's checkpoint is postponed: the disk is full", metadata: ["error": "\(error)"])
      }
    }
    return pager
  }

  private static func openReadOnly(_ path: String, options: OpenOptions, storage: any StorageSystem) throws -> Pager {
    let main = try storage.open(path, .readOnly)
    var ok = false
    defer { if !ok { main.close() } }
    // The probe looks at the main file, then at the WAL. Holding the readers lock
    // across both keeps a checkpoint in another process from moving a new
    // database's pages from the WAL into the main file in between (the probe would
    // then see an empty main file and an empty WAL). The first `endRead` releases
    // it (the same open file holds it once), or this defer when the open fails.
    let deadline = monotonicSeconds() + max(options.lockTimeout, readerLockWait)
    while !(try main.lock(.readers, .shared, wait: false)) {
      guard monotonicSeconds() < deadline else {
        throw SombraError(.locked, "a checkpoint holds the database; try again or raise the lock timeout", path: path)
      }
      usleepSeconds(0.002)
    }
    defer { try? main.unlock(.readers) }
    let walPath = path + ".wal"
    let wal = storage.exists(walPath) ? try storage.open(walPath, .readOnly) : nil
    guard let pageSize = try probe(main, path: path, walFallback: wal) else {
      // A young database (all of it still in the WAL) whose WAL is damaged.
      if let wal, try wal.size() > 0, let damage = try assessLeftoverWAL(wal) {
        throw SombraError.corruption(
          "\(youngDamagedWAL) \(damage); nothing can be read without the damaged part, and the WAL is kept as it is: 'sombra-repair DB recover' says what can be done",
          offset: damage.offset, path: walPath)
      }
      throw SombraError(.notASombraFile, "not a Sombra database: the file is empty", path: path)
    }
    let pager = Pager(path: path, options: options, storage: storage, main: main, pageSize: pageSize)
    pager.lock.withLock { $0.walFile = wal }
    let snapshot = try pager.beginRead()
    defer { pager.endRead(snapshot) }
    try pager.lock.withLock { state in
      state.report.uncleanShutdown = !state.header.cleanShutdown
      try pager.checkGeometry(state)
    }
    ok = true
    pager.logOpen()
    return pager
  }

  /// The page size: from the main file's first bytes, checking magic, version
  /// and page size with a specific error for each; nil for an empty main file
  /// with no committed WAL (a new database).
  ///
  /// When the main file does not start with a header yet (a new database whose
  /// first commits are only in the WAL, or a first checkpoint torn by a crash),
  /// the WAL's geometry is used, but only if every byte the main file has of
  /// that prefix is zero or equals the WAL's committed page 0: a foreign file
  /// beside a stray WAL is never taken for a database.
  static func probe(_ file: any StorageFile, path: String, walFallback wal: (any StorageFile)?) throws -> Int? {
    let size = try file.size()
    var prefix = [UInt8](repeating: 0, count: DatabaseHeader.prefixSize)
    let n = try prefix.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
    let fromMain = Result {
      try prefix.withUnsafeBytes {
        try DatabaseHeader.probe(UnsafeRawBufferPointer(rebasing: $0[0..<n]), fileSize: size, path: path)
      }
    }
    if n == DatabaseHeader.prefixSize, prefix.starts(with: DatabaseHeader.magic) {
      return try fromMain.get().pageSize
    }
    if let wal, let walPage0 = try committedPageZeroPrefix(wal) {
      let consistent = zip(prefix[0..<n], walPage0.bytes).allSatisfy { $0 == 0 || $0 == $1 }
      if consistent { return walPage0.pageSize }
    }
    if size == 0 { return nil }
    return try fromMain.get().pageSize
  }

  /// Throws unless a WAL's first bytes are a prefix of our magic or zeros.
  private static func refuseForeignWAL(_ wal: any StorageFile, path: String) throws {
    var head = [UInt8](repeating: 0, count: 8)
    let n = try head.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    let magic = withUnsafeBytes(of: WALFormat.magic.littleEndian) { Array($0) }
    let ours = head.prefix(min(n, 4)).enumerated().allSatisfy { $0.element == 0 || $0.element == magic[$0.offset] }
    guard ours else {
      if head.starts(with: Array("GRPHWAL".utf8)) {
        throw SombraError(
          .legacyFormat, "the WAL beside an empty database file is a Sombra 0.x log; move it away or restore the database file",
          path: path)
      }
      throw SombraError(
        .notASombraFile,
        "the WAL beside an empty database file is not a Sombra WAL; move it away rather than let it be overwritten", path: path)
    }
  }

  /// The first bytes and page size of the newest committed page 0 in a WAL.
  private static func committedPageZeroPrefix(_ wal: any StorageFile) throws -> (bytes: [UInt8], pageSize: Int)? {
    guard try wal.size() >= UInt64(WALFormat.headerSize) else { return nil }
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    _ = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    guard case .success(let header) = raw.withUnsafeBytes({ WALHeader.decode($0) }) else { return nil }
    let pageSize = Int(header.pageSize)
    let scan = try WALScanner.scan(wal, pageSize: pageSize)
    guard let frame = scan.committed.lastIndex(where: { $0.page == 0 }),
      let offset = WALFormat.frameOffset(frame, pageSize: pageSize)
    else { return nil }
    var bytes = [UInt8](repeating: 0, count: DatabaseHeader.prefixSize)
    _ = try bytes.withUnsafeMutableBytes { try wal.read(into: $0, at: offset + UInt64(WALFormat.frameHeaderSize)) }
    return (bytes, pageSize)
  }

  /// Scans the WAL and installs its committed frames and the header (read-write
  /// open). A damaged or stray WAL (`WALDamage`) is refused unless
  /// `options.acceptWALLoss`; recovered frames are written again and synced
  /// before this session counts them as durable (a previous session may have
  /// written them without a sync that succeeded: `rewriteRecovered`).
  private func recover() throws {
    let walFile = lock.withLock { $0.walFile }
    var scan = try walFile.map { try WALScanner.scan($0, pageSize: pageSize) } ?? WALScan()
    if case .badPageSize(let size)? = scan.headerProblem {
      throw SombraError.corruption(
        "the WAL is for \(size)-byte pages but the database has \(pageSize)-byte pages: it belongs to another database; move it away",
        offset: WALFormat.headerPageSizeOffset, path: walPath)
    }
    if let wal = walFile, let damage = try assessWAL(wal, scan: &scan) {
      lock.withLock { state in noteWALDamage(damage, &state) }
      try Self.refuseDamagedWAL(damage, path: path, walPath: walPath, options: options)
      logger.error("WAL damage accepted: the commits after it are given up", metadata: ["damage": .string(damage.description)])
      // Given up for good, before this session writes: frames left after the
      // kept prefix keep this generation's salts and their claims, and would
      // prove the same "damage" again after any later crash.
      if let wal = walFile {
        // Read-only handles in other processes may be scanning it: as a reset does.
        guard try lockReadersForCheckpoint(timeout: max(options.lockTimeout, 0.001)) else {
          throw SombraError(
            .busy,
            "read-only handles in another process hold the database; the accepted loss could not be made permanent (retry)",
            path: path)
        }
        defer { try? main.unlock(.readers) }
        if scan.committed.isEmpty { scan = WALScan() }
        let keep = scan.committed.isEmpty ? 0 : WALFormat.frameOffset(scan.committed.count, pageSize: pageSize) ?? 0
        do {
          try wal.truncate(to: keep)
          try wal.sync()
        } catch { throw poisoned(by: error) }
        scan.fileSize = min(scan.fileSize, keep)
      }
    }
    if let wal = walFile, !scan.committed.isEmpty {
      do { try rewriteRecovered(wal, frames: scan.committed.count, fileSize: scan.fileSize) } catch { throw poisoned(by: error) }
    }
    try lock.withLock { state in
      state.adopt(scan, replacing: true)
      state.walHeaderOnDisk = scan.header != nil
      if scan.header == nil { state.walHeader = nil }
      state.report.recoveredTransactions = scan.transactions
      state.report.recoveredFrames = scan.committed.count
      state.report.discardedFrames = scan.uncommittedFrames
      if let problem = scan.headerProblem, scan.fileSize > 0 {
        state.report.walStopReason = "\(problem)"
      } else if let stop = scan.problem {
        state.report.walStopReason = "frame \(stop.frame): \(stop.reason)"
      }
      let slot = try pin(0, mark: state.committedFrames, &state)
      defer { state.cache.unpin(slot) }
      let header = try DatabaseHeader.decode(UnsafeRawBufferPointer(state.cache.buffer(slot)), path: path)
      state.header = header
      if header.minor > DatabaseHeader.currentMinor {
        throw SombraError(
          .unsupportedVersion,
          "format \(header.major).\(header.minor) is newer than this build (\(header.major).\(DatabaseHeader.currentMinor)); open it read-only or upgrade Sombra",
          path: path)
      }
      if let count = scan.committedPageCount, count != header.pageCount {
        throw SombraError.corruption(
          "the last commit says \(count) pages but its header says \(header.pageCount)", page: 0, path: walPath)
      }
      state.report.uncleanShutdown = !header.cleanShutdown
      // What recovery found is what a sync can make of it: no commit of this
      // handle is waiting for one.
      state.syncedThrough = header.changeCounter
      try checkGeometry(state)
    }
    if let wal = walFile, scan.committed.isEmpty {
      // Nothing to recover, but a reset's header or a truncation whose sync
      // failed in this boot may not be on the disk: store it before this
      // session writes a new generation where the old one was.
      do { try rewriteRecovered(wal, frames: 0, fileSize: scan.fileSize) } catch { throw poisoned(by: error) }
    }
  }

  /// Makes the recovered frames durable before this session builds on them:
  /// writes their bytes again, as read, and syncs the WAL. A sync alone is not
  /// enough: after a failed fdatasync Linux may drop the pages it could not
  /// write and report the error once, so a reopen in the same boot reads
  /// frames from the page cache that are not on the disk, and a sync finds
  /// nothing dirty to write. Writing them again makes them dirty.
  private func rewriteRecovered(_ wal: any StorageFile, frames: Int, fileSize: UInt64) throws {
    let end = min(WALFormat.frameOffset(frames, pageSize: pageSize) ?? fileSize, fileSize)
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buffer.deallocate() }
    var at: UInt64 = 0
    while at < end {
      let want = Int(min(UInt64(chunk), end - at))
      let n = try wal.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: at)
      guard n > 0 else { break }
      try wal.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: at)
      at += UInt64(n)
    }
    try wal.sync()
  }

  /// The main file's own header, when it has a valid one (nil for a young
  /// database whose pages are all still in the WAL, or a damaged page 0).
  func mainFileHeader() -> DatabaseHeader? {
    let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
    defer { page.deallocate() }
    guard (try? main.read(into: page, at: 0)) == pageSize,
      (try? PageLayout.verify(UnsafeRawBufferPointer(page), number: 0, path: path, source: "the database file")) != nil
    else { return nil }
    return try? DatabaseHeader.decode(UnsafeRawBufferPointer(page), path: path)
  }

  /// Rules 3-5 of `WALDamage` for a scan of this database's WAL: a stray WAL
  /// (its scan is emptied: nothing of it is replayed) or damage that cuts off
  /// acknowledged commits. Reads only; the caller notes what it found.
  func assessWAL(_ wal: any StorageFile, scan: inout WALScan) throws -> WALDamage? {
    let home = mainFileHeader()
    var damage = home.flatMap { WALDamage.foreign(scan.header, databaseID: $0.databaseID) }
    if damage == nil {
      damage = try WALDamage.assess(wal, scan: scan, pageSize: pageSize, checkpointed: home?.changeCounter ?? 0)
    }
    if case .foreign? = damage?.kind { scan = WALScan() }
    return damage
  }

  /// Reports WAL damage once per handle: in the open report, the log (error)
  /// and the corruption count.
  func noteWALDamage(_ damage: WALDamage, _ state: inout PagerState) {
    guard state.report.walDamage != damage.description else { return }
    state.report.walDamage = damage.description
    state.walDamage = damage
    state.counters.corruptionErrors += 1
    logger.error("WAL damage", metadata: ["wal": .string(walPath), "damage": .string(damage.description)])
  }

  /// How the error of a read-only open of a young database (everything still
  /// in the WAL) whose WAL is damaged begins.
  package static let youngDamagedWAL = "the database file is empty and"

  /// A WAL beside an empty database file (what would be truncated as the
  /// leftovers of a database that never committed) checked for damage.
  private static func assessLeftoverWAL(_ wal: any StorageFile) throws -> WALDamage? {
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    let n = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    let header = raw.withUnsafeBytes { try? WALHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])).get() }
    // A damaged header hides the page size: try each.
    let sizes = header.map { [Int($0.pageSize)] } ?? PageLayout.validPageSizes
    for size in sizes {
      let scan = try WALScanner.scan(wal, pageSize: size)
      if let damage = try WALDamage.assess(wal, scan: scan, pageSize: size, checkpointed: 0) { return damage }
    }
    return nil
  }

  /// Throws `corruption` for a damaged or stray WAL unless the caller accepts
  /// the loss; the WAL is left exactly as it is.
  static func refuseDamagedWAL(_ damage: WALDamage, path: String, walPath: String, options: OpenOptions) throws {
    guard !options.acceptWALLoss else { return }
    let what: String
    if case .foreign = damage.kind {
      what =
        "\(damage): it was not replayed and is kept as it is. Move it away if it is not this database's (a leftover beside a restored copy), or run 'sombra-repair DB recover' to keep a copy and start a new WAL"
    } else {
      what =
        "\(damage). Nothing was written and the WAL is kept as it is; a read-only open serves the commits before the damage. 'sombra-repair DB recover' shows what recovery can keep, and 'sombra-repair DB recover --accept-loss --yes' keeps a copy of the database and its WAL and gives up the rest"
    }
    throw SombraError.corruption(what, offset: damage.offset, path: walPath)
  }

  /// The end of a read-write session: commits the clean flag and checkpoints
  /// with `truncate`. The caller holds the writer gate (`pass`) and keeps it.
  func endSessionHoldingGate(_ pass: borrowing Pass) throws -> CheckpointResult {
    let (base, allowsDeltas) = lock.withLock { state in
      (
        Snapshot(mark: state.committedFrames, generation: state.generation, header: state.header),
        state.walHeader?.allowsDeltas ?? true
      )
    }
    let hints = pass.held.leafInsertHints
    pass.held.leafInsertHints = [:]
    // The lease has no pass: this caller keeps its own.
    let lease = WriteLease(deadline: nil, transaction: base.header.changeCounter &+ 1, pass: nil)
    let writer = PageWriter(pager: self, base: base, lease: lease, allowsDeltas: allowsDeltas, leafInserts: hints)
    writer.setCleanShutdown(true)
    if let pending = try commitHoldingGate(writer, pass) { try awaitSync(pending, holdingGate: true) }
    return try checkpointHoldingGate(.truncate, reason: "close", pass)
  }

  /// From here no call writes anything. A commit of another thread may still
  /// be syncing the WAL (it found the handle open): this waits for it; a
  /// waiting one that has not started finds the handle closed. Returns the
  /// WAL file, for the caller to close.
  @discardableResult
  func markClosed() -> (any StorageFile)? {
    let wal = lock.withLock { state in
      state.closed = true
      state.cache.removeAll()
      return state.walFile
    }
    syncGroup.waitUntilIdle()
    return wal
  }

  /// Lets go of every lock, then closes the files. The locks go before the
  /// descriptors: a process spawned by another thread meanwhile shares the
  /// open file until it execs, and with it any lock that closing the
  /// descriptor alone would release. The mark goes first, so no new writer
  /// finds it.
  static func closeFiles(main: any StorageFile, wal: (any StorageFile)?, writer: Bool) {
    if writer {
      try? main.unlock(.durableMarks)
      try? main.unlock(.writer)
    }
    wal?.close()
    main.close()
  }

  /// Every page below the page count must be in the main file or the WAL.
  func checkGeometry(_ state: PagerState) throws {
    let size = try main.size()
    let whole = size / UInt64(pageSize)
    let header = state.header
    guard whole < UInt64(header.pageCount) else { return }
    for page in PageNumber(truncatingIfNeeded: whole)..<header.pageCount where state.index[page] == nil {
      throw SombraError.corruption(
        "the file is truncated: \(size) bytes hold \(whole) whole pages but the database has \(header.pageCount) and page \(page) is in neither the file nor the WAL",
        page: page, path: path)
    }
  }

  /// Closes the handle: a read-write handle marks the header clean, checkpoints
  /// and truncates the WAL. Fails with `misuse` while a write transaction is open.
  package func close() throws {
    // A transaction open past `transactionTimeout` is rolled back for the close.
    guard let pass = gate.tryEnter() ?? revokeExpiredWriter() else {
      throw SombraError.misuse("a write transaction is still open; commit or roll it back before closing")
    }
    try pass.leave(after: { pass in
      let (alreadyClosed, healthy, readers) = lock.withLock { state in
        (state.closed, state.poison == nil, state.readerMarks.values.reduce(0, +))
      }
      if alreadyClosed { return }
      guard readers == 0 else {
        throw SombraError.misuse("\(readers) read transaction(s) are still open; end them before closing")
      }
      var failure: Error?
      if !healthy {
        // Say so: the session did not end cleanly, whatever close does now.
        failure = lock.withLock { $0.poison }.map {
          SombraError(
            .poisoned, "closed after an earlier write or sync failed (\($0)); the next open recovers the last durable commit",
            path: path, cause: $0)
        }
      } else if !readOnly {
        do {
          _ = try endSessionHoldingGate(pass)
        } catch let error as SombraError where error.code == .busy {
          // A reader in another process: the WAL stays; the next open replays it.
        } catch {
          failure = error
        }
      }
      let wal = markClosed()
      Self.closeFiles(main: main, wal: wal, writer: !readOnly)
      if let failure {
        logger.warning("closed uncleanly", metadata: ["error": "\(failure)"])
        throw failure
      }
      logger.info("closed")
    })
  }
}
