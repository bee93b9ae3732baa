#if canImport(Glibc)
  import Glibc
#endif
import Logging
import Synchronization

/// The pager: pages of the main file overlaid by committed WAL frames, served
/// through the page cache to snapshots, and changed only by one writer at a time.
///
/// State and invariants (everything below `lock` is read and written under it):
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
/// Cross-process (DESIGN.md §5): the read-write handle holds `LockRange.writer`
/// exclusively for its life. A read-only handle holds `LockRange.readers` shared
/// for the length of each read transaction; a checkpoint takes it exclusively
/// before writing main-file pages, so a reader in another process never sees main
/// pages newer than its WAL snapshot. The read-write handle publishes the
/// durable mark, how many WAL frames a sync has covered, and a read-only handle
/// reads no further (`Pager+DurableMark.swift`); it also fails its reads once
/// the path names another file than the one it opened (`checkStillAtPath`).
package final class Pager: @unchecked Sendable {
  // @unchecked: the mutable state is guarded by `lock` (see the invariants); the
  // files are safe to read from any thread and only the gate holder writes them.
  package let path: String
  package let walPath: String
  package let pageSize: Int
  package let options: OpenOptions
  package var readOnly: Bool { options.readOnly }
  let storage: any StorageSystem
  let main: any StorageFile
  var walFile: (any StorageFile)?
  let gate = WriterGate()
  let lock = Mutex<Void>(())

  // Guarded by `lock`.
  var cache: PageCache
  var walHeader: WALHeader?
  var walHeaderOnDisk = false
  var framePages: [PageNumber] = []
  var frameTransactions: [UInt64] = []
  var index = FrameIndex()
  var committedFrames = 0
  var runningChecksum: UInt32 = 0
  var generation: UInt64 = 0
  var header: DatabaseHeader
  var readerMarks: [Int: Int] = [:]
  var poison: SombraError?
  var closed = false
  /// The newest transaction (change counter) a sync of the WAL has covered.
  var syncedThrough: UInt64 = 0
  /// Who kept the last checkpoint from resetting the WAL (nil once one did).
  var checkpointBlocker: String?
  /// What `WALDamage` found at the open or a read-only refresh, if anything.
  package var walDamage: WALDamage?
  /// What new read snapshots see while later commits wait for their sync
  /// (nil: the latest commit).
  var durableView: (frames: Int, header: DatabaseHeader)?
  /// Where this read-write handle holds its durable mark (frames of the
  /// current generation a sync has covered), nil before the open places it
  /// (`Pager+DurableMark.swift`).
  var durableMark: Int?
  /// Durable commits waiting for their sync (group commit).
  let syncGroup = SyncGroup()
  /// How long the last group-commit sync took.
  var lastSyncNanoseconds: UInt64 = 0
  var fileReadLocks = 0
  /// The writer's frame buffer (see `commitBuffer`); only the gate holder touches it.
  var frameBuffer: UnsafeMutableRawBufferPointer?
  /// Where the last committed transactions inserted into each leaf (the
  /// B-tree's hint for ascending runs, `PageWriter.noteLeafInsert`), carried
  /// from one write transaction to the next; only the gate holder touches it.
  var leafInsertHints: [PageNumber: Int] = [:]
  /// Zeros for growing the WAL (see `growWAL`); only the gate holder touches it.
  var zeroBuffer: UnsafeMutableRawBufferPointer?
  /// The WAL file's size as this handle last left it (nil: ask the file); only
  /// the gate holder touches it.
  var walAllocated: UInt64?
  package var report = OpenReport()
  package var counters = PagerCounters()
  /// Latency distributions (nanoseconds), recorded when `options.metricsEnabled`.
  var commitLatency = LatencyHistogram()
  var readLatency = LatencyHistogram()
  /// Of `counters.corruptionErrors`, how many a commit has added to the header's
  /// lifetime count.
  var corruptionPersisted: UInt64 = 0
  /// Monotonic time of the last checkpoint that left the WAL empty (or of the
  /// open), for `autoCheckpointInterval`.
  var lastCheckpointAt = monotonicSeconds()
  /// When the WAL-cannot-keep-up warning was last logged (monotonic seconds).
  var lastWALWarningAt: Double = -.infinity
  /// The open write transaction, while one is (for `transactionTimeout`).
  var activeWriter: PageWriter?
  /// Where events go (`options.logger`, with the path as metadata).
  let logger: Logger

  init(path: String, options: OpenOptions, storage: any StorageSystem, main: any StorageFile, pageSize: Int) {
    self.path = path
    self.walPath = path + ".wal"
    self.options = options
    self.storage = storage
    self.main = main
    self.pageSize = pageSize
    self.cache = PageCache(pageSize: pageSize, capacity: options.cacheCapacity(pageSize: pageSize))
    self.header = DatabaseHeader(pageSize: UInt32(pageSize))
    var logger = options.logger
    logger[metadataKey: "sombra.path"] = .string(path)
    self.logger = logger
  }

  deinit {
    frameBuffer?.deallocate()
    zeroBuffer?.deallocate()
  }

  /// Fails when the handle cannot be used. Call under `lock`.
  func checkUsable() throws {
    if closed { throw SombraError.misuse("the database is closed") }
    if let poison {
      throw SombraError(.poisoned, "an earlier write or sync failed (\(poison)); reopen the database to recover the last durable commit", path: path, cause: poison)
    }
  }

  /// Marks the handle unusable after a failed write or sync and returns the error.
  func poisoned(by error: Error) -> Error {
    lock.withLock { _ in if poison == nil, let e = error as? SombraError { poison = e } }
    return error
  }

  // MARK: Snapshots

  /// Starts a read snapshot of the latest commit.
  package func beginRead() throws -> Snapshot {
    if readOnly { try acquireReadLock() }
    do {
      return try lock.withLock { _ in
        try checkUsable()
        if readOnly && fileReadLocks == 1 { try refreshReadOnly() }
        let (mark, seen) = durableView ?? (committedFrames, header)
        readerMarks[mark, default: 0] += 1
        return Snapshot(
          mark: mark, generation: generation, header: seen,
          started: options.metricsEnabled ? monotonicNanoseconds() : 0)
      }
    } catch {
      if readOnly { releaseReadLock() }
      throw error
    }
  }

  package func endRead(_ snapshot: Snapshot) {
    let elapsed: UInt64 = snapshot.started == 0 ? 0 : monotonicNanoseconds() &- snapshot.started  // monotonic: no wrap
    let checkpointDue = lock.withLock { _ in
      if let n = readerMarks[snapshot.mark] {
        readerMarks[snapshot.mark] = n > 1 ? n - 1 : nil
      }
      if snapshot.started != 0 { readLatency.record(elapsed) }
      return !readOnly && readerMarks.isEmpty && checkpointIntervalDue()
    }
    if readOnly { releaseReadLock() }
    if snapshot.started != 0 { noteIfSlow("read transaction", seconds: Double(elapsed) / 1e9) }
    if checkpointDue { autoCheckpointFromReader() }
  }

  /// Calls `body` with page `number` as of `snapshot`, read from the cache or
  /// disk (and verified). The bytes are valid only inside `body`.
  package func withPage<R>(_ number: PageNumber, _ snapshot: Snapshot, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard number < snapshot.header.pageCount else {
      throw SombraError.corruption("page \(number) is beyond the \(snapshot.header.pageCount) pages of the database", page: number, path: path)
    }
    let slot = try lock.withLock { _ in
      try checkUsable()
      guard snapshot.generation == generation else {
        throw SombraError.misuse("snapshot from an earlier WAL generation (ended read transaction used)")
      }
      return try pin(number, mark: snapshot.mark)
    }
    defer { lock.withLock { _ in cache.unpin(slot) } }
    return try body(UnsafeRawBufferPointer(cache.buffer(slot)))
  }

  /// The newest frame of `page` below `mark`. Call under `lock`.
  func frame(of page: PageNumber, below mark: Int) -> UInt32? {
    index.frame(of: page, below: mark)
  }

  /// Pins the slot holding `page` as of `mark`, loading it when missing. Call under `lock`.
  func pin(_ page: PageNumber, mark: Int) throws -> Int {
    let newest = frame(of: page, below: mark)
    let key = newest.map { PageKey.frame($0, page: page) } ?? .main(page)
    if let slot = cache.pin(key) { return slot }
    let slot = try cache.claim(key)
    let evictions = cache.stats.evictions
    do {
      try load(page, from: source(of: page, at: newest), into: cache.buffer(slot))
      counters.pagesRead += 1
    } catch {
      cache.discard(slot)
      if let e = error as? SombraError, e.code == .corruption { noteCorruption(e) }
      throw error
    }
    if cache.stats.evictions != evictions, cache.stats.evictions % 1000 == 0 {
      logger.trace("cache eviction (1 in 1000 logged)", metadata: ["page": "\(page)", "evictions": "\(cache.stats.evictions)"])
    }
    return slot
  }

  /// Whether WAL frame `frame` of this generation is a delta frame. Call under `lock`.
  func isDeltaFrame(_ frame: UInt32) -> Bool {
    Int(frame) < framePages.count && framePages[Int(frame)] == WALFormat.deltaFrameMarker
  }

  /// Where the version of `page` at frame `newest` (nil: the main file's) comes
  /// from: the image it starts from and the delta frames written over it. Call
  /// under `lock`.
  func source(of page: PageNumber, at newest: UInt32?) -> PageSource {
    guard let newest, isDeltaFrame(newest), let frames = index[page] else { return PageSource(base: newest) }
    return PageSource.of(newest: newest, among: frames, isDelta: isDeltaFrame)
  }

  /// Number of delta frames since the last image of `page` in this generation,
  /// counted up to `limit`. Call under `lock`.
  func deltaChainLength(of page: PageNumber, limit: Int) -> Int {
    guard let frames = index[page] else { return 0 }
    var n = 0
    for f in frames.reversed() {
      guard isDeltaFrame(f), n < limit else { break }
      n += 1
    }
    return n
  }

  /// Reads and verifies one version of a page (see `PageSource.read`).
  func load(_ page: PageNumber, from source: PageSource, into buffer: UnsafeMutableRawBufferPointer) throws {
    try source.read(page, main: main, wal: walFile, pageSize: pageSize, into: buffer, verify: true)
  }

  // MARK: Read-only handles

  private func acquireReadLock() throws {
    yieldToWaitingCheckpoint()
    let first = lock.withLock { _ in
      fileReadLocks += 1
      return fileReadLocks == 1
    }
    guard first else { return }
    do {
      // A checkpoint holds this lock only while it copies pages: wait for it.
      guard try lockWithTimeout(.readers, .shared, timeout: max(options.lockTimeout, Self.readerLockWait)) else {
        throw SombraError(.locked, "a checkpoint holds the database; try again or raise the lock timeout", path: path)
      }
    } catch {
      lock.withLock { _ in fileReadLocks -= 1 }
      throw error
    }
  }

  private func releaseReadLock() {
    let last = lock.withLock { _ in
      fileReadLocks -= 1
      return fileReadLocks == 0
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
  /// reader's rules in `Pager+DurableMark.swift`). Call under `lock` while
  /// holding the shared readers lock and no snapshot is live.
  func refreshReadOnly() throws {
    try checkStillAtPath()
    if walFile == nil, storage.exists(walPath) {
      walFile = try storage.open(walPath, .readOnly)
    }
    if let wal = walFile {
      let mark = try publishedDurableFrames()
      var (scan, resumed) = try scanForRefresh(wal, limit: mark)
      if mark == nil, let placed = try publishedDurableFrames() {
        // A writer placed its mark during the scan and may have written past it.
        (scan, resumed) = try scanForRefresh(wal, limit: placed)
      }
      adopt(scan, replacing: !resumed)
      if resumed && scan.committed.isEmpty { return }
    } else if walHeader != nil || committedFrames > 0 {
      adopt(WALScan(), replacing: true)
    }
    if committedFrames == 0, try main.size() == 0 {
      // A new database whose first commit is written but not yet durable.
      throw SombraError(.notASombraFile, "not a Sombra database yet: the file is empty and its first commit is not durable yet", path: path)
    }
    let slot = try pin(0, mark: committedFrames)
    defer { cache.unpin(slot) }
    header = try DatabaseHeader.decode(UnsafeRawBufferPointer(cache.buffer(slot)), path: path)
  }

  /// Scans the WAL for `refreshReadOnly`, no further than `limit` frames: on
  /// from the last adopted frame when the header is the one adopted (`resumed`),
  /// else anew (a reset happened).
  private func scanForRefresh(_ wal: any StorageFile, limit: Int?) throws -> (scan: WALScan, resumed: Bool) {
    var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
    let n = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
    let current = raw.withUnsafeBytes { try? WALHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])).get() }
    if let current, current == walHeader {
      let scan = try WALScanner.scan(wal, pageSize: pageSize, start: committedFrames, resume: (current, runningChecksum), limit: limit ?? .max)
      return (scan, true)
    }
    var scan = try WALScanner.scan(wal, pageSize: pageSize, limit: limit ?? .max)
    // As in a read-write open (`recover`): a WAL of another page size is not
    // this database's, and ignoring it would hide whatever it holds.
    if case .badPageSize(let size)? = scan.headerProblem {
      throw SombraError.corruption("the WAL is for \(size)-byte pages but the database has \(pageSize)-byte pages: it belongs to another database; move it away", offset: WALFormat.headerPageSizeOffset, path: walPath)
    }
    // Damage: serve what comes before it and say so; a stray: none of it.
    if let damage = try assessWAL(wal, scan: &scan) { noteWALDamage(damage) }
    return (scan, false)
  }

  /// Fails when the path no longer names the file this handle has open: a
  /// vacuum renamed a new file over it (or it was removed). Reading on would
  /// pair this file with the WAL of the new one. Call under `lock`.
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

  /// Installs a scan's committed frames. Call under `lock`.
  func adopt(_ scan: WALScan, replacing: Bool) {
    if replacing {
      cache.removeAll()
      index.removeAll()
      framePages.removeAll()
      frameTransactions.removeAll()
      committedFrames = 0
      generation += 1
      walHeader = scan.header
    }
    for frame in scan.committed {
      for page in frame.pages { index.append(UInt32(committedFrames), of: page) }
      framePages.append(frame.page)
      frameTransactions.append(frame.transaction)
      committedFrames += 1
    }
    if scan.header != nil { runningChecksum = scan.checksum }
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
