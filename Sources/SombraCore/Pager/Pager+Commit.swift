import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Commit protocol (the order is what makes it crash-safe):
/// 1. Seal every dirty page and the new header (page 0) with their CRCs, and
///    choose how each is logged: whole (an image frame), or as delta records
///    against its committed version (see `WALFormat`; `buildFrames`, `logPlan`).
/// 2. Append the frames after the last committed frame in one write, images
///    first, then delta frames (the WAL header goes first when this generation
///    has not written it yet); the last frame carries the commit marker. A delta
///    frame's slot is written only as far as its records reach (`appendFrames`).
/// 2a. When the frames end past the file's end, write zeros after them up to
///    the next growth boundary (`WALFormat.grownSize`, invariant 4 of
///    `WALFormat`): the sync of step 4 then persists the new size once for many
///    commits, and the commits after it overwrite allocated blocks, whose sync
///    is as cheap as the disk allows. A full disk here only skips the growth
///    (`growWAL`).
/// 3. Publish: index the frames, cache the pages, move the commit mark
///    (`publish`; under `sync: .normal`, every N commits, after a WAL sync:
///    `syncIfDue`). The next writer builds on the commit from here; new read
///    snapshots see it from here too unless `sync` is `.full`. Then a
///    checkpoint when one is due (`finishCommit`).
/// 4. With `sync: .full`, hand the writer gate on and wait for an fdatasync of
///    the WAL that covers the commit (`awaitSync`, `SyncGroup`): commits that
///    wait together share one. New read snapshots see the commit once a sync
///    covers it (`durableView`), and the commit returns then. A transaction
///    that changed nothing writes nothing, but still waits for a sync that
///    covers the commit it started from (it may have read one still waiting);
///    so does one rolled back (`WriteTransaction.rollback`).
/// A crash before the commit's sync completes loses this transaction and those
/// written after it, none of which has returned (recovery stops at the first
/// torn or missing commit frame). A failed write of step 2 with ENOSPC fails the
/// transaction and leaves the handle usable (the bytes past the committed end
/// are garbage the next commit overwrites); any other write or sync failure
/// poisons the handle and fails every commit waiting for that sync.
extension Pager {
  /// Starts the one write transaction, waiting for another to end (and taking
  /// over from one open past `transactionTimeout`).
  package func beginWrite(timeout: Double? = nil) throws -> PageWriter {
    guard !readOnly else { throw SombraError.misuse("the database is open read-only") }
    let pass: Pass
    if let entered = gate.tryEnter() {
      pass = entered
    } else {
      let started = monotonicSeconds()
      guard let entered = waitForGate(timeout: timeout) else {
        throw SombraError(.locked, "another write transaction is still open in this process", path: path)
      }
      noteLockWait(seconds: monotonicSeconds() - started)
      pass = entered
    }
    let base: Snapshot
    let allowsDeltas: Bool
    do {
      (base, allowsDeltas) = try lock.withLock { state in
        try checkUsable(state)
        // The commit logs images only when the WAL is version 1.
        return (
          Snapshot(mark: state.committedFrames, generation: state.generation, header: state.header),
          state.walHeader?.allowsDeltas ?? true
        )
      }
    } catch {
      pass.leave()
      throw error
    }
    // The hints move to the transaction (the gate keeps none meanwhile).
    let hints = pass.held.leafInsertHints
    pass.held.leafInsertHints = [:]
    let deadline = options.transactionTimeout.map { monotonicSeconds() + $0 }
    let lease = WriteLease(deadline: deadline, transaction: base.header.changeCounter &+ 1, pass: pass)
    let writer = PageWriter(pager: self, base: base, lease: lease, allowsDeltas: allowsDeltas, leafInserts: hints)
    if deadline != nil { lock.withLock { $0.activeWriter = lease } }
    return writer
  }

  /// Discards a write transaction.
  package func rollback(_ writer: PageWriter) {
    guard !writer.isFinished else { return }
    writer.isFinished = true
    writer.releaseBuffers()
    // A transaction revoked by a timeout has passed the gate on already.
    guard writer.end() else { return }
    lock.withLock { state in
      state.counters.rollbacks += 1
      if state.activeWriter === writer.lease { state.activeWriter = nil }
    }
    logger.debug(
      "rollback",
      metadata: [
        "tx": "\(writer.base.header.changeCounter &+ 1)",
        "reason": .string(writer.failure.map { $0.code.rawValue } ?? "requested"),
      ])
    if let pass = writer.lease.takePass() { pass.leave() }
  }

  /// Makes a write transaction durable (per the sync mode) and visible.
  package func commit(_ writer: PageWriter) throws {
    guard !writer.isFinished else { throw SombraError.misuse("the transaction has already ended") }
    if writer.isRevoked || writer.isPastDeadline {
      let error = writer.timedOut()
      if !writer.isRevoked && writer.failure?.code != .timeout {
        lock.withLock { $0.counters.timeouts += 1 }
        logger.warning("write transaction timed out", metadata: ["tx": "\(writer.base.header.changeCounter &+ 1)"])
      }
      rollback(writer)
      throw error
    }
    if let failure = writer.failure {
      rollback(writer)
      throw SombraError(failure.code, "the transaction failed earlier and was rolled back: \(failure.message)")
    }
    // From here the transaction cannot be revoked: it ends in this call.
    guard writer.end() else {
      writer.isFinished = true
      writer.releaseBuffers()
      throw writer.timedOut()
    }
    // Ended by its owner: the gate's pass is the owner's now.
    guard let pass = writer.lease.takePass() else {
      writer.isFinished = true
      writer.releaseBuffers()
      throw SombraError.misuse("the transaction does not hold the writer gate")
    }
    // The gate goes to the next writer before this commit waits for its sync.
    let pending = try pass.leave(after: { pass in
      defer { lock.withLock { state in if state.activeWriter === writer.lease { state.activeWriter = nil } } }
      return try commitHoldingGate(writer, pass)
    })
    if let pending {
      try awaitSync(pending)
    } else {
      // Nothing to write, but the transaction read the commits before it,
      // which may still wait for their sync: what it read (and its caller
      // returns) must be as durable as a read snapshot's.
      try awaitDurableBase(of: writer)
    }
  }

  /// Under `SyncMode.full`, returns once the commit a write transaction
  /// started from is durable: it may have read commits that still wait for
  /// their sync. Throws when that sync fails (what it read may be lost). Call
  /// after the transaction has handed the writer gate on.
  package func awaitDurableBase(of writer: PageWriter) throws {
    guard options.sync == .full else { return }
    let base = writer.base.header.changeCounter
    if lock.withLock({ $0.syncedThrough < base }) {
      try syncGroup.wait(for: base) { try leadSync(holdingGate: false) }
    }
  }

  /// The longest a leader waits for a running transaction to be written
  /// before it syncs (`awaitSync`), in nanoseconds.
  static let maxGroupWait: UInt64 = 2_000_000

  /// A commit written and published to the next writer, not yet synced.
  struct PendingSync {
    let transaction: UInt64
    /// Monotonic nanoseconds when the commit started (for its latency).
    let started: UInt64
    let pages: Int
  }

  /// Returns once the commit is durable: a commit under `SyncMode.full` waits
  /// for a WAL sync that covers it, running it when no other commit is (group
  /// commit, `SyncGroup`). A caller that holds the writer gate says so: no
  /// other transaction can be written meanwhile.
  func awaitSync(_ pending: PendingSync, holdingGate: Bool = false) throws {
    try syncGroup.wait(for: pending.transaction) { try leadSync(holdingGate: holdingGate) }
    let elapsed = monotonicNanoseconds() &- pending.started  // monotonic: no wrap
    lock.withLock { state in
      state.counters.commits += 1
      if options.metricsEnabled { state.commitLatency.record(elapsed) }
    }
    noteIfSlow("commit", seconds: Double(elapsed) / 1e9, metadata: ["tx": "\(pending.transaction)", "pages": "\(pending.pages)"])
  }

  /// The leader's sync (`SyncGroup.wait`): syncs the WAL and returns the
  /// newest transaction written before the sync started, which new read
  /// snapshots may now see. Every WAL sync that makes commits durable goes
  /// through here, one at a time: after a failed one the group fails every
  /// later wait, so no sync after it can claim what the failed one lost.
  func leadSync(holdingGate: Bool) throws -> UInt64 {
    // A leader whose sync would cover only its own commit waits, up to
    // about a sync's time, for a transaction running on another thread to
    // be written, and syncs both at once; otherwise that one would need a
    // sync of its own right after. A thread that writes alone never waits
    // (the gate is free), nor does a leader with commits already waiting.
    let started = monotonicNanoseconds()
    let (patience, alone) = lock.withLock { state in
      (min(state.lastSyncNanoseconds, Self.maxGroupWait), state.header.changeCounter &- state.syncedThrough <= 1)
    }
    if alone && !holdingGate { syncGroup.waitForWriters(while: { gate.isHeld }, until: started &+ patience) }
    let syncing = monotonicNanoseconds()
    let (target, frames, latest, generationThen, walFile) = try lock.withLock { state in
      try checkUsable(state)
      return (state.header.changeCounter, state.committedFrames, state.header, state.generation, state.walFile)
    }
    guard let wal = walFile else { throw SombraError.misuse("no WAL is open") }
    do { try wal.sync() } catch {
      logger.error("WAL sync failed; the handle is poisoned", metadata: ["tx": "\(target)", "error": "\(error)"])
      throw poisoned(by: error)
    }
    let synced = monotonicNanoseconds()
    lock.withLock { state in
      state.lastSyncNanoseconds = synced &- syncing
      state.counters.walSyncs += 1
      state.syncedThrough = max(state.syncedThrough, target)
      // Other processes too (`Pager+DurableMark.swift`).
      advanceDurableMark(to: frames, generation: generationThen, &state)
      // New snapshots may now see everything up to `target`.
      if let view = state.durableView, view.header.changeCounter < target, generationThen == state.generation {
        state.durableView = target >= state.header.changeCounter ? nil : (frames, latest)
      }
    }
    return target
  }

  /// The commit itself; the caller holds the writer gate and keeps it. Returns
  /// the sync the commit still waits for (`awaitSync`), under `SyncMode.full`.
  /// Each step is a function of its own, in the order of the protocol above.
  func commitHoldingGate(_ writer: PageWriter, _ pass: borrowing Pass) throws -> PendingSync? {
    defer {
      writer.isFinished = true
      writer.releaseBuffers()
    }
    if writer.dirty.isEmpty && !writer.headerChanged { return nil }
    // Hints for the next writer (a bounded map: past 64 Ki leaves it starts over).
    let hints = writer.takeLeafInserts()
    pass.held.leafInsertHints = hints.count <= 1 << 16 ? hints : [:]
    let started = monotonicNanoseconds()
    let start = try commitStart()
    // Page 0 is the new header; the other images are the transaction's pages.
    let headerPage = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
    defer { headerPage.deallocate() }
    var frames = try buildFrames(writer, start: start, headerPage: headerPage)
    defer {
      if !frames.plan.pinned.isEmpty { lock.withLock { state in for slot in frames.plan.pinned { state.cache.unpin(slot) } } }
    }
    let written = try appendFrames(frames, writer, start: start, pass)
    try growWAL(frames.wal, framesEnd: written.end, allocated: written.allocated, transaction: frames.transaction, pass)
    let synced = try syncIfDue(frames, start: start)
    let elapsed = monotonicNanoseconds() &- started  // monotonic: no wrap
    let pinned = frames.plan.pinned
    frames.plan.pinned = []
    let intervalDue = publish(frames, written, start: start, synced: synced, unpinning: pinned, elapsed: elapsed)
    return finishCommit(frames, written, synced: synced, started: started, elapsed: elapsed, intervalDue: intervalDue, pass)
  }

  /// What a commit reads under `lock` as it starts. What only the gate holder
  /// changes (the frames, the WAL header, and, but under `.full`, the sync
  /// mark) stays as read here until the publish.
  private struct CommitStart {
    /// Corruption errors counted since a commit last added them to page 0.
    let unpersistedCorruption: UInt64
    /// The published durable mark: the claim the new page 0 makes (`WALDamage`).
    let durableMark: Int
    let committedFrames: Int
    let runningChecksum: UInt32
    let walHeader: WALHeader?
    let walHeaderOnDisk: Bool
    let walFile: (any StorageFile)?
    let syncedThrough: UInt64
  }

  /// A commit's frames as step 1 planned them.
  private struct CommitFrames {
    let transaction: UInt64
    /// The new header (page 0).
    let header: DatabaseHeader
    let wal: any StorageFile
    let walHeader: WALHeader
    /// Bytes of WAL header written in front of the frames (0: it is on disk).
    let prefix: Int
    let firstFrame: Int
    var plan: LogPlan
    let images: CommitImages
    /// Pages the transaction changed, page 0 included.
    let pages: Int
    var frameCount: Int { plan.images.count + plan.deltaFrames.count }
  }

  /// What step 2 left in the WAL.
  private struct WrittenFrames {
    /// Where the frames end.
    let end: UInt64
    /// The file's size before this commit's writes (they may extend it).
    let allocated: UInt64
    /// Bytes written.
    let bytes: Int
    /// The running checksum after the last frame.
    let checksum: UInt32
  }

  /// Checks that the handle is usable and reads what the commit builds on.
  private func commitStart() throws -> CommitStart {
    try lock.withLock { state in
      try checkUsable(state)
      return CommitStart(
        unpersistedCorruption: state.counters.corruptionErrors - state.corruptionPersisted, durableMark: state.durableMark ?? 0,
        committedFrames: state.committedFrames, runningChecksum: state.runningChecksum, walHeader: state.walHeader,
        walHeaderOnDisk: state.walHeaderOnDisk, walFile: state.walFile, syncedThrough: state.syncedThrough)
    }
  }

  /// Step 1: encodes the new header into `headerPage` and plans how each page is logged.
  private func buildFrames(_ writer: PageWriter, start: CommitStart, headerPage: UnsafeMutableRawBufferPointer) throws
    -> CommitFrames
  {
    var newHeader = writer.header
    newHeader.durableWALFrames = UInt32(clamping: start.durableMark)
    // Both come from the file: a damaged or forged header near the top must
    // give an error or a stuck count, never a trap.
    guard writer.base.header.changeCounter < UInt64.max else {
      throw SombraError.corruption("the header's change counter is at its largest value; no commit can follow it", page: 0)
    }
    newHeader.changeCounter = writer.base.header.changeCounter + 1
    newHeader.lifetime.commits = newHeader.lifetime.commits.addingSaturating(1)
    newHeader.lifetime.corruptionEvents = newHeader.lifetime.corruptionEvents.addingSaturating(start.unpersistedCorruption)
    newHeader.encode(into: headerPage)
    let images = CommitImages(header: UnsafeRawBufferPointer(headerPage), dirty: writer.dirty)
    let numbers = writer.dirty.numbers.sorted()

    guard let wal = start.walFile else { throw SombraError.misuse("no WAL is open") }
    let walHeader = start.walHeader ?? WALHeader.fresh(pageSize: UInt32(pageSize), databaseID: writer.header.databaseID)
    let plan = logPlan(writer, pages: [0] + numbers, walHeader: walHeader, image: { images[$0] })
    return CommitFrames(
      transaction: newHeader.changeCounter, header: newHeader, wal: wal, walHeader: walHeader,
      prefix: start.walHeaderOnDisk ? 0 : WALFormat.headerSize, firstFrame: start.committedFrames, plan: plan,
      images: images, pages: numbers.count + 1)
  }

  /// Step 2: appends the frames after the last committed one, in chunks through the writer's buffer.
  private func appendFrames(_ frames: CommitFrames, _ writer: PageWriter, start: CommitStart, _ pass: borrowing Pass) throws
    -> WrittenFrames
  {
    let plan = frames.plan
    let frameCount = frames.frameCount
    let prefix = frames.prefix
    let walHeader = frames.walHeader
    let frameSize = WALFormat.frameSize(pageSize: pageSize)
    guard frames.firstFrame + frameCount < Int(Int32.max),
      var offset = prefix > 0 ? 0 : WALFormat.frameOffset(frames.firstFrame, pageSize: pageSize)
    else {
      let error = SombraError(.limitExceeded, "the WAL cannot grow further; checkpoint")
      noteLimit(error, limit: "wal")
      throw error
    }
    let allocated = pass.held.walAllocated ?? (try? frames.wal.size()) ?? 0
    // Frames go out in chunks through one reused buffer (a commit of thousands
    // of pages must not fault in a fresh buffer of its whole size).
    let buffer = commitBuffer(frames: Self.commitChunkFrames, frameSize: frameSize, pass)
    var running = prefix > 0 ? walHeader.checksum : start.runningChecksum
    var used = 0
    var total = 0
    if prefix > 0 {
      walHeader.encode().withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[0..<prefix]).copyMemory(from: $0) }
      used = prefix
    }
    do {
      for i in 0..<frameCount {
        let isLast = i == frameCount - 1
        let commitMarker = isLast ? frames.header.pageCount : 0
        let frameHead = UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + WALFormat.frameHeaderSize])
        let body = UnsafeMutableRawBufferPointer(rebasing: buffer[used + WALFormat.frameHeaderSize..<used + frameSize])
        if i < plan.images.count {
          let number = plan.images[i]
          body.copyMemory(from: frames.images[number])
          if number != 0, let dirty = writer.dirty[number] {
            // Seal the copy, where the bytes are hot (a bulk commit's pages
            // are not sealed before), and give the transaction's image the
            // same trailer: the cache takes the committed page from there.
            PageLayout.seal(body)
            dirty.putLE(body.le(pageSize - PageLayout.trailerSize, as: UInt32.self), at: pageSize - PageLayout.trailerSize)
          }
          running = WALFrameHeader.write(
            into: frameHead, page: number, commitPageCount: commitMarker,
            transaction: frames.transaction, header: walHeader, previous: running, pageBytes: UnsafeRawBufferPointer(body))
          used += frameSize
        } else {
          let records = plan.deltaFrames[i - plan.images.count].bytes
          let length = records.count
          plan.records.withUnsafeBytes { all in
            UnsafeMutableRawBufferPointer(rebasing: body[0..<length]).copyMemory(
              from: UnsafeRawBufferPointer(rebasing: all[records]))
          }
          running = WALFrameHeader.writeDelta(
            into: frameHead, commitPageCount: commitMarker, transaction: frames.transaction, header: walHeader,
            previous: running, records: UnsafeRawBufferPointer(rebasing: body[0..<length]))
          if isLast {
            used += WALFormat.frameHeaderSize + length
          } else {
            // Not part of the frame; zeros keep the file free of stray bytes.
            UnsafeMutableRawBufferPointer(rebasing: body[length...]).initializeMemory(as: UInt8.self, repeating: 0)
            used += frameSize
          }
        }
        if used + frameSize > buffer.count || isLast {
          try frames.wal.write(UnsafeRawBufferPointer(rebasing: buffer[0..<used]), at: offset)
          offset += UInt64(used)
          total += used
          used = 0
        }
      }
    } catch let error as SombraError where error.errno == ENOSPC || error.errno == EDQUOT {
      lock.withLock { $0.counters.rollbacks += 1 }
      noteLimit(error, limit: "disk")
      throw error  // nothing committed; the handle stays usable
    } catch {
      logger.error("WAL write failed; the handle is poisoned", metadata: ["tx": "\(frames.transaction)", "error": "\(error)"])
      throw poisoned(by: error)
    }
    return WrittenFrames(end: offset, allocated: allocated, bytes: total, checksum: running)
  }

  /// Under `SyncMode.normal`, every N commits, syncs the WAL before the publish; true when it did.
  private func syncIfDue(_ frames: CommitFrames, start: CommitStart) throws -> Bool {
    // Under `.full` the sync comes after the gate is handed on (`awaitSync`).
    let mustSync: Bool
    switch options.sync {
    case .full: mustSync = false
    case .normal(let every): mustSync = frames.transaction &- start.syncedThrough >= every
    case .off: mustSync = false
    }
    if mustSync {
      do { try frames.wal.sync() } catch {
        logger.error("WAL sync failed; the handle is poisoned", metadata: ["tx": "\(frames.transaction)", "error": "\(error)"])
        throw poisoned(by: error)
      }
    }
    return mustSync
  }

  /// Step 3, under `lock`: indexes the frames, caches the pages, moves the commit mark; true when the interval checkpoint is due.
  private func publish(
    _ frames: CommitFrames, _ written: WrittenFrames, start: CommitStart, synced: Bool, unpinning pinned: [Int], elapsed: UInt64
  ) -> Bool {
    let plan = frames.plan
    let images = frames.images
    let transaction = frames.transaction
    let firstFrame = frames.firstFrame
    let group = options.sync == .full
    return lock.withLock { state in
      for slot in pinned { state.cache.unpin(slot) }
      if frames.prefix > 0 {
        state.walHeader = frames.walHeader
        state.walHeaderOnDisk = true
      }
      // With no snapshot open, nobody can ask for a page's previous version
      // again (a new snapshot sees this commit): its cache slot takes the new one.
      let reuse = state.readerMarks.isEmpty
      func publishPage(_ number: PageNumber, in frame: UInt32) {
        let previous = state.index.frame(of: number, below: Int.max).map { PageKey.frame($0, page: number) } ?? .main(number)
        state.index.append(frame, of: number)
        if reuse {
          try? state.cache.insert(.frame(frame, page: number), copying: images[number], replacing: previous)
        } else {
          try? state.cache.insert(.frame(frame, page: number), copying: images[number])
        }
      }
      for (i, number) in plan.images.enumerated() {
        publishPage(number, in: UInt32(firstFrame + i))
        state.framePages.append(number)
        state.frameTransactions.append(transaction)
      }
      for (i, frame) in plan.deltaFrames.enumerated() {
        for number in frame.pages { publishPage(number, in: UInt32(firstFrame + plan.images.count + i)) }
        state.framePages.append(WALFormat.deltaFrameMarker)
        state.frameTransactions.append(transaction)
      }
      // Readers keep seeing the state before this commit until its sync.
      if group && state.durableView == nil { state.durableView = (state.committedFrames, state.header) }
      if group { syncGroup.noteWritten() }
      state.committedFrames += frames.frameCount
      state.runningChecksum = written.checksum
      state.header = frames.header
      if synced {
        state.syncedThrough = transaction
        advanceDurableMark(to: state.committedFrames, generation: state.generation, &state)
      }
      if !group { state.counters.commits += 1 }  // under `.full`, once it is durable (`awaitSync`)
      state.counters.framesWritten += UInt64(frames.frameCount)
      state.counters.walBytesWritten += UInt64(written.bytes)
      if synced { state.counters.walSyncs += 1 }
      state.corruptionPersisted += start.unpersistedCorruption
      if options.metricsEnabled && !group { state.commitLatency.record(elapsed) }
      return checkpointIntervalDue(state)
    }
  }

  /// Finishes: logs the commit, checkpoints when one is due, and returns the sync step 4 waits for (under `.full`).
  private func finishCommit(
    _ frames: CommitFrames, _ written: WrittenFrames, synced: Bool, started: UInt64, elapsed: UInt64, intervalDue: Bool,
    _ pass: borrowing Pass
  ) -> PendingSync? {
    let group = options.sync == .full
    logger.debug(
      "commit",
      metadata: [
        "tx": "\(frames.transaction)", "pages": "\(frames.pages)", "frames": "\(frames.frameCount)", "bytes": "\(written.bytes)",
        "duration_ms": .string(Self.milliseconds(Double(elapsed) / 1e9)), "synced": .string(group ? "pending" : "\(synced)"),
      ])
    if !group {
      noteIfSlow("commit", seconds: Double(elapsed) / 1e9, metadata: ["tx": "\(frames.transaction)", "pages": "\(frames.pages)"])
    }

    let overSize = walSize >= options.maxWALSize
    if overSize || intervalDue {
      // The commit is already durable; a checkpoint that cannot run now runs later.
      let result = try? checkpointHoldingGate(.passive, reason: overSize ? "wal-size" : "interval", pass)
      if overSize, let result, !result.walReset { warnIfWALBehind(result) }
    }
    return group ? PendingSync(transaction: frames.transaction, started: started, pages: frames.pages) : nil
  }

  /// Delta frames a page's records may follow its last image by
  /// (bounds what a cache miss reads to rebuild a version).
  static let deltaChainLimit = 16
  /// Transactions changing more pages than this are logged as images only.
  static let deltaPagesLimit = 256

  /// Pages a transaction may change and still be logged as delta records:
  /// `deltaPagesLimit`, or a quarter of the cache when that is less (the
  /// commit pins the committed version of every page it compares).
  var deltaPagesBudget: Int { min(Self.deltaPagesLimit, cacheCapacity / 4) }

  /// How one commit logs its pages (step 1 of the protocol).
  struct LogPlan {
    /// Pages logged whole, ascending.
    var images: [PageNumber] = []
    /// The delta frames: each one's bytes in `records` and its pages.
    var deltaFrames: [(bytes: Range<Int>, pages: [PageNumber])] = []
    var records: [UInt8] = []
    /// Cache slots of committed versions pinned for the diff; the commit unpins them.
    var pinned: [Int] = []
  }

  /// Chooses image or delta records for each of `pages` (ascending) and encodes
  /// the records, sealing the pages it compares first. A page is logged whole when the WAL is version 1, when
  /// it is new (at or past the committed page count: its old bytes are nobody's),
  /// when it is page 0 and has no frame yet in this generation (a checkpoint
  /// stamps the main-file copy of page 0, so it is never a base), when its chain
  /// of deltas is at `deltaChainLimit`, when its committed version cannot be
  /// read, or when its records would pass a quarter of a page. Pages whose bytes
  /// did not change are not logged at all.
  func logPlan(
    _ writer: PageWriter, pages: [PageNumber], walHeader: WALHeader, image: (PageNumber) -> UnsafeRawBufferPointer
  ) -> LogPlan {
    var plan = LogPlan()
    // A large transaction is logged whole: its pages are mostly rewritten, and
    // pinning the committed versions of all of them could starve the cache.
    guard walHeader.allowsDeltas, pages.count <= deltaPagesBudget else {
      plan.images = pages
      return plan
    }
    let committedCount = writer.base.header.pageCount
    // Committed versions of the candidates, pinned while they are compared.
    let (old, pinned) = lock.withLock { state in
      var old: [(page: PageNumber, bytes: UnsafeRawBufferPointer?)] = []
      var pinned: [Int] = []
      let mark = state.committedFrames
      for number in pages {
        guard number < committedCount, number != 0 || state.index[0] != nil,
          state.deltaChainLength(of: number, limit: Self.deltaChainLimit) < Self.deltaChainLimit,
          let slot = try? pin(number, mark: mark, &state)
        else {
          old.append((number, nil))
          continue
        }
        pinned.append(slot)
        old.append((number, UnsafeRawBufferPointer(state.cache.buffer(slot))))
      }
      return (old, pinned)
    }
    plan.pinned = pinned
    // The records compare sealed pages: the trailer is part of the new version.
    for (number, committed) in old where committed != nil && number != 0 {
      if let page = writer.dirty[number] { PageLayout.seal(page) }
    }
    let recordLimit = pageSize / 4
    var frameStart = 0
    var framePages: [PageNumber] = []
    for (number, committed) in old {
      guard let committed else {
        plan.images.append(number)
        continue
      }
      // Encoded in place at the end of `records`, in room trimmed afterwards.
      let start = plan.records.count
      plan.records.append(contentsOf: repeatElement(0, count: recordLimit))
      let end = plan.records.withUnsafeMutableBytes { out in
        WALDelta.encode(
          page: number, old: committed, new: image(number), into: out, at: start, limit: start + recordLimit,
          forcing: number == 0 ? DatabaseHeader.durableClaimBytes : nil)
      }
      plan.records.removeLast(plan.records.count - (end ?? start))
      guard let end else {
        plan.images.append(number)
        continue
      }
      if end == start { continue }  // unchanged
      if end - frameStart > pageSize {
        plan.deltaFrames.append((frameStart..<start, framePages))
        frameStart = start
        framePages = []
      }
      framePages.append(number)
    }
    if !framePages.isEmpty { plan.deltaFrames.append((frameStart..<plan.records.count, framePages)) }
    // A commit needs a frame to carry its marker (page 0 always changes, but
    // the log must not depend on that).
    if plan.images.isEmpty && plan.deltaFrames.isEmpty { plan.images = [0] }
    return plan
  }

  /// Waits for the writer gate up to `timeout` seconds (nil: as long as it
  /// takes), taking it over from a transaction open past its deadline.
  private func waitForGate(timeout: Double?) -> Pass? {
    let deadline = timeout.map { monotonicSeconds() + $0 }
    while true {
      let holderDeadline = lock.withLock { $0.activeWriter?.deadline }
      let now = monotonicSeconds()
      var wait = deadline.map { max($0 - now, 0) }
      if let holderDeadline { wait = min(wait ?? .infinity, max(holderDeadline - now, 0) + 0.001) }
      if let pass = gate.enter(timeout: wait) { return pass }
      if holderDeadline != nil, let pass = revokeExpiredWriter() { return pass }
      if let deadline, monotonicSeconds() >= deadline { return nil }
      if holderDeadline != nil { usleepSeconds(0.001) }
    }
  }

  /// Rolls back the open write transaction when it is past its deadline and
  /// not inside a call; the gate then passes to the caller, who gets the
  /// transaction's pass. Returns nil when it did not.
  func revokeExpiredWriter() -> Pass? {
    let revoked: WriteLease? = lock.withLock { state in
      guard let lease = state.activeWriter, lease.isPastDeadline, lease.revoke() else { return nil }
      state.activeWriter = nil
      state.counters.rollbacks += 1
      state.counters.timeouts += 1
      return lease
    }
    // Revoked: its owner can no longer end it, so the pass is there to take.
    guard let revoked, let pass = revoked.takePass() else { return nil }
    logger.warning(
      "write transaction timed out and was rolled back",
      metadata: ["tx": "\(revoked.transaction)", "timeout_s": "\(options.transactionTimeout ?? 0)"])
    return pass
  }

  /// Counts and logs a wait for the writer gate.
  private func noteLockWait(seconds: Double) {
    lock.withLock { $0.counters.lockWaits += 1 }
    if seconds > options.slowOperationThreshold {
      noteIfSlow("lock wait", seconds: seconds)
    } else {
      logger.debug("lock wait", metadata: ["duration_ms": .string(Self.milliseconds(seconds))])
    }
  }

  /// Step 2a of the commit protocol: zero-fills the WAL from the end of this
  /// commit's frames to the next growth boundary when the frames reached past
  /// the end of the file. The zeros start where the frames end and never cover
  /// a frame, so whichever of these writes a power loss keeps, recovery reads
  /// the frames that landed and stops at zeros or a torn frame after them.
  private func growWAL(_ wal: any StorageFile, framesEnd: UInt64, allocated: UInt64, transaction: UInt64, _ pass: borrowing Pass)
    throws
  {
    guard framesEnd > allocated else {
      pass.held.walAllocated = allocated
      return
    }
    // Until the zeros are written the file ends at the frames.
    pass.held.walAllocated = framesEnd
    guard let target = WALFormat.grownSize(needed: framesEnd, allocated: allocated, pageSize: pageSize), target > framesEnd else {
      return
    }
    let zeros = zeroChunk(pass)
    var at = framesEnd
    do {
      while at < target {
        let count = Int(min(UInt64(zeros.count), target - at))
        try wal.write(UnsafeRawBufferPointer(rebasing: zeros[0..<count]), at: at)
        at += UInt64(count)
        pass.held.walAllocated = at
      }
    } catch let error as SombraError where error.errno == ENOSPC || error.errno == EDQUOT {
      // The frames are written; only the room ahead is missing. A later commit
      // tries again. What a failed write left past `at` is ignored space.
      logger.debug("WAL growth skipped: the disk is full", metadata: ["tx": "\(transaction)", "wal_bytes": "\(at)"])
    } catch {
      logger.error("WAL write failed; the handle is poisoned", metadata: ["tx": "\(transaction)", "error": "\(error)"])
      throw poisoned(by: error)
    }
  }

  /// Bytes of zeros one growth write carries at most.
  static let zeroChunkBytes = 256 << 10

  /// The writer's buffer of zeros.
  func zeroChunk(_ pass: borrowing Pass) -> UnsafeMutableRawBufferPointer {
    if let existing = pass.held.zeroBuffer { return existing }
    let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.zeroChunkBytes, alignment: 64)
    fresh.initializeMemory(as: UInt8.self, repeating: 0)
    pass.held.zeroBuffer = fresh
    return fresh
  }

  /// Frames one WAL write carries at most.
  static let commitChunkFrames = 128

  /// The writer's reusable frame buffer.
  func commitBuffer(frames: Int, frameSize: Int, _ pass: borrowing Pass) -> UnsafeMutableRawBufferPointer {
    let needed = WALFormat.headerSize + frames * frameSize
    if let existing = pass.held.frameBuffer, existing.count >= needed { return existing }
    pass.held.frameBuffer?.deallocate()
    let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: needed, alignment: 64)
    pass.held.frameBuffer = fresh
    return fresh
  }

  /// Bytes of the WAL up to the last committed frame.
  package var walSize: UInt64 {
    lock.withLock { state in
      state.committedFrames == 0 ? 0 : WALFormat.frameOffset(state.committedFrames, pageSize: pageSize) ?? UInt64.max
    }
  }
}

/// The page images one commit publishes: page 0 (the new header) and the
/// transaction's pages, read under `Pager.lock` while the cache copies them.
///
/// @unchecked: the buffers belong to the committing gate holder, which
/// neither changes nor frees them until the publish is over, and the cache
/// only copies from them; no reference to them stays in `PagerState`.
struct CommitImages: @unchecked Sendable {
  let header: UnsafeRawBufferPointer
  let dirty: DirtyPages

  /// The image of page `number` (page 0 and a page not in the transaction:
  /// the header).
  subscript(number: PageNumber) -> UnsafeRawBufferPointer {
    guard number != 0, let page = dirty[number] else { return header }
    return UnsafeRawBufferPointer(page)
  }
}
