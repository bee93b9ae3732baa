import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The pager: pages of the main file overlaid by committed WAL frames, served
/// through the page cache to snapshots, and changed only by one writer at a time.
///
/// Where its state lives:
/// - `lock`, a `Mutex<PagerState>`: everything that changes and that threads
///   share (the fields named below are `PagerState`'s). It is held briefly;
///   the I/O done under it is a cache miss's page read, a read-only handle's
///   WAL scan, the durable mark's byte locks, and a WAL reset's header write
///   and sync.
/// - `gate`, a `WriterGate<WriterState>`: admits one writer at a time in the
///   process. Its `Pass` (noncopyable: one exists at a time) is the only way
///   to `WriterState`, what only the writer touches.
/// - Everything else in `Pager` is fixed at the open.
///
/// Invariants:
/// 1. `committedFrames` frames of the current WAL generation are committed; frame
///    f holds a version of page `framePages[f]` (an image), or is a delta frame
///    (`WALFormat.deltaFrameMarker`) with versions of several pages; `index[p]`
///    lists the frames holding versions of p, ascending.
/// 2. A snapshot with mark m sees, for page p, the newest frame f < m of p, else
///    the main file. Marks of live snapshots are counted in `readerMarks`.
/// 3. A checkpoint copies into the main file only frames below every live mark,
///    and resets the WAL (new salts, `generation` + 1) only when no snapshot is live
///    and every frame is copied and the main file synced.
/// 4. After a failed write or sync `poison` is set and every call throws until the
///    database is reopened (recovery then finds the last durable commit).
/// 5. The writer (holding `gate`) is the only one that writes either file.
/// 6. Under `SyncMode.full` a commit is published to the next writer before
///    its sync and to new read snapshots only after it: while commits wait
///    for their sync (`SyncGroup`), `durableView` is the newest state that is
///    durable, and `beginRead` starts there. `syncedThrough` is the newest
///    transaction a WAL sync has covered, `durableMark` the frames it covered.
///
/// States of a read-write handle and what moves it, with the lock each step
/// takes in brackets (commit steps 1-4: `Pager+Commit.swift`; the checkpoint:
/// `Pager+Checkpoint.swift`). Read transactions run beside every state until
/// POISONED or CLOSED, each taking `lock` for its start, its end and each page
/// it pins.
///
///   Pager.open [LockRange.writer exclusive, held until CLOSED]
///     | recover: replay the WAL, write its frames again and sync them;
///     | place the durable mark; commit clean = false (as below)
///     v
///   OPEN <-------------------------------------------------------------+
///     | beginWrite [gate; lock: base snapshot]                         |
///     v                                                                |
///   WRITER_LOCKED: pages change in the transaction, reads pin [lock]   |
///     | rollback, or a beginWrite or close() revoking it past          |
///     |   transactionTimeout (and taking its pass) ------------> OPEN  |
///     | commit (nothing changed: leave gate; .full waits as SYNCING    |
///     |   for the commit it read)                                      |
///     v                                                                |
///   WRITING, steps 1-2: plan [lock, to pin delta bases]; append the    |
///     | frames past the last commit, grow the WAL [gate]               |
///     | ENOSPC: rolled back, usable ---------------------------> OPEN  |
///     v                                                                |
///   PUBLISHED, step 3 (under .normal, every N commits, after a WAL     |
///     | sync [gate]): index, cache, header [lock]; CHECKPOINTING when  |
///     | the WAL is over its size or the interval is due; leave gate    |
///     | not .full: ----------------------------------------------------+
///     v .full                                                          |
///   SYNCING, step 4 [SyncGroup]: one leader syncs the WAL, outside     |
///     | `lock`, then moves syncedThrough, the durable mark and         |
///     | durableView [lock]; the commit returns once a sync covers it --+
///
///   CHECKPOINTING [gate: a commit after its publish, `checkpoint()`,
///     `close()`, or a reader's interval checkpoint that found it free]:
///     sync the WAL [SyncGroup]; LockRange.readers exclusive (waiting behind
///     LockRange.checkpointWaiting); copy pages, sync the main file; reset
///     when all is copied and no snapshot is live: durable mark to 0, new WAL
///     header written and synced [lock].
///
///   POISONED: a failed write or sync (but a full disk while frames or pages
///     are written) in WRITING, PUBLISHED, SYNCING or CHECKPOINTING sets
///     `poison` [lock]; every call then throws, and close() writes nothing.
///
///   CLOSED: close() [gate, or revoking a writer past its deadline]: unless
///     POISONED, commit clean = true and checkpoint with `truncate`; then
///     `closed` [lock], wait for a running sync [SyncGroup], let go of the
///     durable mark and LockRange.writer, close the files.
///
/// A read-only handle is OPEN or READING: its first read transaction takes
/// LockRange.readers shared (after yielding to a waiting checkpoint,
/// `Pager+ReaderYield.swift`) and refreshes from the WAL up to the durable
/// mark [lock]; its last lets go of LockRange.readers.
///
/// Lock order, never reversed: gate, then LockRange.readers, then `lock`;
/// gate, then SyncGroup (a checkpoint's or a closing commit's sync), whose
/// leader takes `lock`; under `lock`, only SyncGroup's own mutex
/// (`noteWritten`) and the durable mark's byte locks, which never wait.
///
/// Cross-process (DESIGN.md §5): the read-write handle holds `LockRange.writer`
/// exclusively for its life. A read-only handle holds `LockRange.readers` shared
/// for the length of each read transaction; a checkpoint takes it exclusively
/// before writing main-file pages, so a reader in another process never sees main
/// pages newer than its WAL snapshot. The read-write handle publishes the
/// durable mark, how many WAL frames a sync has covered, and a read-only handle
/// reads no further (`Pager+DurableMark.swift`); it also fails its reads once
/// the path names another file than the one it opened (`checkStillAtPath`).
package final class Pager: Sendable {
  package let path: String
  package let walPath: String
  package let pageSize: Int
  package let options: OpenOptions
  package var readOnly: Bool { options.readOnly }
  let storage: any StorageSystem
  let main: any StorageFile
  /// Admits one writer at a time, and keeps what only it touches.
  let gate = WriterGate(WriterState())
  /// The shared, changing state: touched only under this lock.
  let lock: Mutex<PagerState>
  /// Durable commits waiting for their sync (group commit).
  let syncGroup = SyncGroup()
  /// Slots of the page cache (fixed at the open).
  let cacheCapacity: Int
  /// Where events go (`options.logger`, with the path as metadata).
  let logger: Logger

  /// Proof of holding the writer gate, and the way to `WriterState`.
  typealias Pass = WriterGate<WriterState>.Pass

  init(path: String, options: OpenOptions, storage: any StorageSystem, main: any StorageFile, pageSize: Int) {
    self.path = path
    self.walPath = path + ".wal"
    self.options = options
    self.storage = storage
    self.main = main
    self.pageSize = pageSize
    let cache = PageCache(pageSize: pageSize, capacity: options.cacheCapacity(pageSize: pageSize))
    self.cacheCapacity = cache.capacity
    self.lock = Mutex(PagerState(cache: cache, header: DatabaseHeader(pageSize: UInt32(pageSize))))
    var logger = options.logger
    logger[metadataKey: "sombra.path"] = .string(path)
    self.logger = logger
  }

  /// What opening found (and WAL damage a read-only refresh found since).
  package var report: OpenReport { lock.withLock { $0.report } }

  /// Fails when the handle cannot be used. Inlined: every page read checks,
  /// and a call would copy the whole state to pass it.
  @inline(__always)
  func checkUsable(_ state: PagerState) throws {
    if state.closed { throw SombraError.misuse("the database is closed") }
    if let poison = state.poison {
      throw SombraError(
        .poisoned, "an earlier write or sync failed (\(poison)); reopen the database to recover the last durable commit",
        path: path, cause: poison)
    }
  }

  /// Marks the handle unusable after a failed write or sync and returns the error.
  func poisoned(by error: Error) -> Error {
    lock.withLock { state in if state.poison == nil, let e = error as? SombraError { state.poison = e } }
    return error
  }

  // MARK: Snapshots

  /// Starts a read snapshot of the latest commit.
  package func beginRead() throws -> Snapshot {
    if readOnly { try acquireReadLock() }
    do {
      return try lock.withLock { state in
        try checkUsable(state)
        if readOnly && state.fileReadLocks == 1 { try refreshReadOnly(&state) }
        let (mark, seen) = state.durableView ?? (state.committedFrames, state.header)
        state.readerMarks[mark, default: 0] += 1
        return Snapshot(
          mark: mark, generation: state.generation, header: seen,
          started: options.metricsEnabled ? monotonicNanoseconds() : 0)
      }
    } catch {
      if readOnly { releaseReadLock() }
      throw error
    }
  }

  package func endRead(_ snapshot: Snapshot) {
    let elapsed: UInt64 = snapshot.started == 0 ? 0 : monotonicNanoseconds() &- snapshot.started  // monotonic: no wrap
    let checkpointDue = lock.withLock { state in
      if let n = state.readerMarks[snapshot.mark] {
        state.readerMarks[snapshot.mark] = n > 1 ? n - 1 : nil
      }
      if snapshot.started != 0 { state.readLatency.record(elapsed) }
      return !readOnly && state.readerMarks.isEmpty && checkpointIntervalDue(state)
    }
    if readOnly { releaseReadLock() }
    if snapshot.started != 0 { noteIfSlow("read transaction", seconds: Double(elapsed) / 1e9) }
    if checkpointDue { autoCheckpointFromReader() }
  }

  /// Calls `body` with page `number` as of `snapshot`, read from the cache or
  /// disk (and verified). The bytes are valid only inside `body`.
  package func withPage<R>(_ number: PageNumber, _ snapshot: Snapshot, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard number < snapshot.header.pageCount else {
      throw SombraError.corruption(
        "page \(number) is beyond the \(snapshot.header.pageCount) pages of the database", page: number, path: path)
    }
    let (slot, bytes) = try lock.withLock { state in
      try checkUsable(state)
      guard snapshot.generation == state.generation else {
        throw SombraError.misuse("snapshot from an earlier WAL generation (ended read transaction used)")
      }
      let slot = try pin(number, mark: snapshot.mark, &state)
      return (slot, UnsafeRawBufferPointer(state.cache.buffer(slot)))
    }
    // Pinned: the slot's bytes stay as they are until the unpin.
    defer { lock.withLock { $0.cache.unpin(slot) } }
    return try body(bytes)
  }

  /// Pins the slot holding `page` as of `mark`, loading it when missing.
  func pin(_ page: PageNumber, mark: Int, _ state: inout PagerState) throws -> Int {
    let newest = state.frame(of: page, below: mark)
    let key = newest.map { PageKey.frame($0, page: page) } ?? .main(page)
    if let slot = state.cache.pin(key) { return slot }
    let slot = try state.cache.claim(key)
    let evictions = state.cache.stats.evictions
    do {
      try load(page, from: state.source(of: page, at: newest), into: state.cache.buffer(slot), wal: state.walFile)
      state.counters.pagesRead += 1
    } catch {
      state.cache.discard(slot)
      if let e = error as? SombraError, e.code == .corruption { noteCorruption(e, &state) }
      throw error
    }
    if state.cache.stats.evictions != evictions, state.cache.stats.evictions % 1000 == 0 {
      logger.trace(
        "cache eviction (1 in 1000 logged)", metadata: ["page": "\(page)", "evictions": "\(state.cache.stats.evictions)"])
    }
    return slot
  }

  /// Reads and verifies one version of a page (see `PageSource.read`) from
  /// the main file and `wal`.
  func load(_ page: PageNumber, from source: PageSource, into buffer: UnsafeMutableRawBufferPointer, wal: (any StorageFile)?)
    throws
  {
    try source.read(page, main: main, wal: wal, pageSize: pageSize, into: buffer, verify: true)
  }

  // MARK: Read-only handles

  private func acquireReadLock() throws {
    yieldToWaitingCheckpoint()
    let first = lock.withLock { state in
      state.fileReadLocks += 1
      return state.fileReadLocks == 1
    }
    guard first else { return }
    do {
      // A checkpoint holds this lock only while it copies pages: wait for it.
      guard try lockWithTimeout(.readers, .shared, timeout: max(options.lockTimeout, Self.readerLockWait)) else {
        throw SombraError(.locked, "a checkpoint holds the database; try again or raise the lock timeout", path: path)
      }
    } catch {
      lock.withLock { $0.fileReadLocks -= 1 }
      throw error
    }
  }

  private func releaseReadLock() {
    let last = lock.withLock { state in
      state.fileReadLocks -= 1
      return state.fileReadLocks == 0
    }
    if last { try? main.unlock(.readers) }
  }

  /// How long a read-only handle's read transaction waits for a checkpoint in
  /// another process to finish copying, at least.
  static let readerLockWait = 5.0

  /// Takes a file lock, polling until the timeout (default `options.lockTimeout`) passes.
  func lockWithTimeout(_ range: LockRange, _ mode: LockMode, timeout: Double? = nil) throws -> Bool {
    let deadline = monotonicSeconds() + (timeout ?? options.lockTimeout)
    while true {
      if try main.lock(range, mode, wait: false) { return true }
      if monotonicSeconds() >= deadline { return false }
      usleepSeconds(0.002)
    }
  }

  /// Brings a read-only handle up to the WAL's latest durable commit (the
  /// reader's rules in `Pager+DurableMark.swift`). Call while holding the
  /// shared readers lock and no snapshot is live.
  func refreshReadOnly(_ state: inout PagerState) throws {
    try checkStillAtPath()
    if state.walFile == nil, storage.exists(walPath) {
      state.walFile = try storage.open(walPath, .readOnly)
    }
    if let wal = state.walFile {
      let mark = try publishedDurableFrames()
      var (scan, resumed) = try scanForRefresh(wal, limit: mark, &state)
      if mark == nil, let placed = try publishedDurableFrames() {
        // A writer placed its mark during the scan and may have written past it.
        (scan, resumed) = try scanForRefresh(wal, limit: placed, &state)
      }
      state.adopt(scan, replacing: !resumed)
      if resumed && scan.committed.isEmpty { return }
    } else if state.walHeader != nil || state.committedFrames > 0 {
      state.adopt(WALScan(), replacing: true)
    }
    if state.committedFrames == 0, try main.size() == 0 {
      // A new database whose first commit is written but not yet durable.
      throw SombraError(
        .notASombraFile, "not a Sombra database yet: the file is empty and its first commit is not durable yet", path: path)
    }
    let slot = try pin(0, mark: state.committedFrames, &state)
    defer { state.cache.unpin(slot) }
    state.header = try DatabaseHeader.decode(UnsafeRawBufferPointer(state.cache.buffer(slot)), path: path)
  }

  /// Scans the WAL for `refreshReadOnly`, no further than `limit` frames: on
  /// from the last adopted frame when the header is the one adopted (`resumed`),
  /// else anew (a reset happened).
  private func scanForRefresh(_ wal: any StorageFile, limit: Int?, _ state: inout PagerState) throws -> (
    scan: WALScan, resumed: Bool
  ) {
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    let n = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    let current = raw.withUnsafeBytes { try? WALHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])).get() }
    if let current, current == state.walHeader {
      let scan = try WALScanner.scan(
        wal, pageSize: pageSize, start: state.committedFrames, resume: (current, state.runningChecksum), limit: limit ?? .max)
      return (scan, true)
    }
    var scan = try WALScanner.scan(wal, pageSize: pageSize, limit: limit ?? .max)
    // As in a read-write open (`recover`): a WAL of another page size is not
    // this database's, and ignoring it would hide whatever it holds.
    if case .badPageSize(let size)? = scan.headerProblem {
      throw SombraError.corruption(
        "the WAL is for \(size)-byte pages but the database has \(pageSize)-byte pages: it belongs to another database; move it away",
        offset: WALFormat.headerPageSizeOffset, path: walPath)
    }
    // Damage: serve what comes before it and say so; a stray: none of it.
    if let damage = try assessWAL(wal, scan: &scan) { noteWALDamage(damage, &state) }
    return (scan, false)
  }

  /// Fails when the path no longer names the file this handle has open: a
  /// vacuum renamed a new file over it (or it was removed). Reading on would
  /// pair this file with the WAL of the new one.
  func checkStillAtPath() throws {
    let now = storage.identity(of: path)
    guard try now == main.identity() else {
      throw SombraError(
        .notFound,
        now == nil
          ? "the database file was removed since this handle opened it; close the handle"
          : "the database file was replaced (a vacuum renames a new file over it) since this handle opened it; close the handle and open the database again",
        path: path)
    }
  }
}

/// A consistent view of the database at one commit.
package struct Snapshot: Sendable {
  /// Frames below this index of the WAL generation are visible.
  package let mark: Int
  package let generation: UInt64
  /// The header as of this commit.
  package let header: DatabaseHeader
  /// Monotonic nanoseconds at `beginRead`, 0 when latencies are not measured.
  var started: UInt64 = 0
}

/// Running counts of pager work (metrics build on these).
package struct PagerCounters: Sendable, Equatable {
  package var commits: UInt64 = 0
  package var rollbacks: UInt64 = 0
  package var framesWritten: UInt64 = 0
  package var walBytesWritten: UInt64 = 0
  package var walSyncs: UInt64 = 0
  package var checkpoints: UInt64 = 0
  package var pagesRead: UInt64 = 0
  package var pagesWritten: UInt64 = 0
  package var corruptionErrors: UInt64 = 0
  package var lockWaits: UInt64 = 0
  package var limitRejections: UInt64 = 0
  package var timeouts: UInt64 = 0
  package var slowOperations: UInt64 = 0
}

func usleepSeconds(_ seconds: Double) {
  var request = timespecFrom(seconds)
  var remaining = timespec()
  while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

private func timespecFrom(_ seconds: Double) -> timespec {
  let whole = Int(seconds)
  return timespec(tv_sec: whole, tv_nsec: Int((seconds - Double(whole)) * 1e9))
}
