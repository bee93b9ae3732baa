import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Cross-process locking with real processes (DESIGN.md §5): the parent holds a
/// database in a fresh directory under /tmp and an exit test's child process
/// opens it.
///
/// An exit test's body cannot capture locals, so the parent passes the database
/// path in the environment variable `databasePathVariable` (set with `setenv`
/// just before the exit test; the child inherits the environment and reads it
/// with `getenv`). The suite is serialized so no two tests set it at once.
/// A child reports a failure with `Issue.record` (forwarded to the parent, which
/// shows it as this test's issue) and exits 1.
@Suite(.serialized) struct ProcessLockingTests {
  static let databasePathVariable = "SOMBRA_PROCESS_LOCKING_TESTS_DATABASE"

  // MARK: (a) One writer process at a time

  @Test func aSecondWriterProcessIsLockedOutAtOnceAndAgainAfterItsLockTimeout() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    setenv(Self.databasePathVariable, path, 1)

    await #expect(processExitsWith: .success) {
      let path = childDatabasePath()
      // "At once": one try of the writer lock, no waiting.
      let tries = Atomic<Int>(0)
      let counted = LockWatch { _, range, _ in if range == .writer { tries.add(1, ordering: .relaxed) } }
      childExpectLocked { _ = try Database.open(path, options: OpenOptions(), storage: counted) }
      let once = tries.load(ordering: .relaxed)
      childCheck(once == 1, "a writer open with lockTimeout 0 tried the lock \(once) times")

      // With a timeout it tries again and again, and gives up no sooner.
      var options = OpenOptions()
      options.lockTimeout = 0.3
      let waitStart = monotonicSeconds()
      childExpectLocked { _ = try Database.open(path, options: options, storage: counted) }
      let waited = monotonicSeconds() - waitStart
      let again = tries.load(ordering: .relaxed) - once
      childCheck(waited >= 0.3, "a writer open with lockTimeout 0.3 failed after \(waited) s")
      childCheck(again > 1, "a writer open with lockTimeout 0.3 tried the lock \(again) times")
    }

    try db.write { try PageStore.apply([(2, 2)], in: $0) }
    #expect(try db.read { try PageStore.read($0) } == [1: 1, 2: 2], "the parent's handle is untouched")
    try db.close()
  }

  @Test func aWaitingWriterProcessGetsTheDatabaseWhenTheOwnerClosesIt() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    try db.write { try PageStore.apply([(1, 1), (2, 2)], in: $0) }
    setenv(Self.databasePathVariable, path, 1)

    // Closes the database once the child says it is waiting for the lock.
    let closed = Mutex<(signalled: Bool, error: SombraError?)>((false, nil))
    let closer = try BlockingWorkThread {
      let signalled = waitForFile(path + ".waiting")
      do {
        try db.close()
        closed.withLock { $0 = (signalled, nil) }
      } catch {
        closed.withLock { $0 = (signalled, error as? SombraError) }
      }
    }
    await #expect(processExitsWith: .success) {
      let path = childDatabasePath()
      // The first refusal of the writer lock (the owner holds it) tells the
      // parent that this open waits: only then does the owner close.
      let refused = Atomic<Bool>(false)
      let watch = LockWatch { _, range, granted in
        if range == .writer, !granted, !refused.exchange(true, ordering: .acquiringAndReleasing) {
          childSignal(path + ".waiting")
        }
      }
      var options = OpenOptions()
      options.lockTimeout = hangBound
      do {
        let db = try Database.open(path, options: options, storage: watch)
        childCheck(!db.openReport.uncleanShutdown, "the owner closed cleanly, but the open reports an unclean shutdown")
        let state = try db.read { try PageStore.read($0) }
        childCheck(state == [1: 1, 2: 2], "read \(state) after waiting for the lock")
        try db.close()
      } catch {
        childFail("the waiting writer open failed: \(error)")
      }
    }
    closer.join()
    let outcome = closed.withLock { $0 }
    #expect(outcome.signalled, "the child never said it was waiting")
    #expect(outcome.error == nil)
  }

  // MARK: (b) A reader process beside a live writer

  @Test func aReadOnlyProcessBesideALiveWriterReadsExactlyTheCommittedState() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    let batches = fixedBatches()
    for batch in batches[0..<3] {
      try db.write { try PageStore.apply(batch, in: $0) }
    }
    setenv(Self.databasePathVariable, path, 1)

    // Every commit is still only in the WAL: a new database's main file is empty.
    #expect(fileBytes(path) == [])
    let mainBefore = fileBytes(path)
    let walBefore = fileBytes(path + ".wal")
    await #expect(processExitsWith: .success) {
      childExpectState(fixedState(batches: 3))
    }
    #expect(fileBytes(path) == mainBefore, "the reader did not touch the main file")
    #expect(fileBytes(path + ".wal") == walBefore, "the reader did not touch the WAL")

    // Part of the state in the main file, the newer part only in the WAL.
    #expect(try db.checkpoint(.full).walReset)
    for batch in batches[3...] {
      try db.write { try PageStore.apply(batch, in: $0) }
    }
    #expect(db.pager.walSize > 0)
    let mainBefore2 = fileBytes(path)
    let walBefore2 = fileBytes(path + ".wal")
    await #expect(processExitsWith: .success) {
      childExpectState(fixedState(batches: 6))
    }
    #expect(fileBytes(path) == mainBefore2)
    #expect(fileBytes(path + ".wal") == walBefore2)

    #expect(try db.read { try PageStore.read($0) } == fixedState(batches: 6))
    try db.close()
  }

  /// The probe of a read-only open looks at the main file, then at the WAL. A
  /// brand-new database lives only in the WAL until its first checkpoint, which
  /// moves it into the main file and resets the WAL; if that checkpoint falls
  /// between the two looks, the open must still find the database. The race is
  /// microseconds wide between processes, so the test places the checkpoint there
  /// deterministically, from a second handle in this process (open-file-description
  /// locks make it behave as another process).
  @Test func aReadOnlyOpenRacingTheFirstCheckpointOfANewDatabaseStillFindsIt() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    try db.write { try PageStore.apply([(1, 1), (2, 2)], in: $0) }
    #expect(fileBytes(path) == [], "the database is only in the WAL so far")

    let checkpoint = Mutex<Result<CheckpointResult, SombraError>?>(nil)
    let storage = HookedStorage(mainPath: path) {
      do {
        let result = try db.checkpoint(.passive)
        checkpoint.withLock { $0 = .success(result) }
      } catch {
        checkpoint.withLock { $0 = .failure(error as? SombraError ?? SombraError(.misuse, "\(error)")) }
      }
    }
    let ro = try Database.open(path, options: .readOnly, storage: storage)
    #expect(checkpoint.withLock { $0 } != nil, "the checkpoint ran inside the open")
    #expect(try ro.read { try PageStore.read($0) } == [1: 1, 2: 2])
    try ro.close()
    try db.close()
  }

  // MARK: (c) A reader process and a writer process running together

  @Test func aReaderProcessNeverSeesAMixedStateWhileTheWriterCommitsAndCheckpoints() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    var options = OpenOptions()
    options.pageSize = 4096
    options.sync = .normal(commits: 4)
    options.lockTimeout = 0.2
    let db = try Database.open(path, options: options)
    var version: UInt64 = 1
    try db.write { try PageStore.apply(generationChanges(version), in: $0) }
    // Other processes read only what a WAL sync covered (every 4 commits
    // here): the checkpoint's sync makes the first version theirs to read.
    #expect(try db.checkpoint(.passive).walReset)
    setenv(Self.databasePathVariable, path, 1)

    // The writer runs on its own thread: the cooperative pool is busy with the
    // exit test while it waits for the child.
    let writer = ConcurrentWriter(db, version: version)
    let writerThread = try BlockingWorkThread { writer.run() }
    await #expect(processExitsWith: .success) {
      var options = OpenOptions.readOnly
      options.lockTimeout = 2
      options.cachePages = 8  // smaller than a state: pages are read again from the files
      let db: Database
      do {
        db = try Database.open(childDatabasePath(), options: options)
      } catch {
        childFail("the read-only open failed: \(error)")
      }
      let generationAtStart = db.pager.lock.withLock { $0.generation }
      var last: UInt64 = 0
      var reads = 0
      var lockedOrBusy = 0
      var seen = Set<UInt64>()
      // Until there is evidence that the writer committed and checkpointed
      // under the reader (version 32 follows the passive checkpoint of 5, the
      // full one of 13 and the truncate of 31), however long that takes.
      func resets() -> UInt64 { db.pager.lock.withLock { $0.generation } - generationAtStart }
      let deadline = monotonicSeconds() + hangBound
      while reads < 300 || seen.count < 40 || resets() < 10 || last < 32 {
        childCheck(
          monotonicSeconds() < deadline,
          "after \(hangBound) s: \(reads) reads (\(lockedOrBusy) locked or busy), \(seen.count) versions up to \(last), \(resets()) WAL resets"
        )
        do {
          // Two passes over one snapshot, with a pause between them in which the
          // writer commits and tries to checkpoint.
          let (state, again, transaction) = try db.read { tx in
            let first = try PageStore.read(tx)
            usleepSeconds(0.001)
            return (first, try PageStore.read(tx), tx.transactionID)
          }
          childCheck(
            again == state, "one snapshot read \(state.sorted { $0.key < $1.key }), then \(again.sorted { $0.key < $1.key })")
          guard let version = state.values.first else { childFail("read an empty state at transaction \(transaction)") }
          childCheck(
            state == generationState(version),
            "mixed state at transaction \(transaction): \(state.sorted { $0.key < $1.key })")
          childCheck(version >= last, "went back in time: version \(version) after \(last)")
          last = version
          seen.insert(version)
          reads += 1
        } catch let error as SombraError where error.code == .locked || error.code == .busy {
          lockedOrBusy += 1
        } catch {
          childFail("read \(reads + 1) failed: \(error)")
        }
        usleepSeconds(0.0003)
      }
      do { try db.close() } catch { childFail("close failed: \(error)") }
    }
    writer.stop()
    writerThread.join()
    let outcome = writer.outcome
    #expect(outcome.error == nil)
    #expect(outcome.commits >= 20, "the writer committed \(outcome.commits) times while the reader ran")
    #expect(
      outcome.passive > 0 && outcome.full > 0 && outcome.truncate > 0,
      "ran \(outcome.passive) passive, \(outcome.full) full, \(outcome.truncate) truncate checkpoints")
    #expect(outcome.resets >= 5, "\(outcome.resets) checkpoints reset the WAL (\(outcome.busy) busy)")
    version = outcome.version
    #expect(try db.read { try PageStore.read($0) } == generationState(version))
    try db.close()
  }

  // MARK: (d) A read-only process writes nothing

  @Test func aReadOnlyProcessLeavesACleanlyClosedDatabaseByteIdentical() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    for batch in fixedBatches() {
      try db.write { try PageStore.apply(batch, in: $0) }
    }
    try db.close()
    setenv(Self.databasePathVariable, path, 1)

    let entries = dir.entries()
    #expect(entries == ["db.sombra", "db.sombra.wal"])
    let mainBefore = fileBytes(path)
    let walBefore = fileBytes(path + ".wal")
    #expect(walBefore == [], "a clean close truncates the WAL")
    await #expect(processExitsWith: .success) {
      childExpectState(fixedState(batches: 6), clean: true)
    }
    #expect(fileBytes(path) == mainBefore)
    #expect(fileBytes(path + ".wal") == walBefore)
    #expect(dir.entries() == entries)

    // Without a WAL beside it, a read-only open does not create one.
    #expect(unlink(path + ".wal") == 0)
    await #expect(processExitsWith: .success) {
      childExpectState(fixedState(batches: 6), clean: true)
    }
    #expect(fileBytes(path) == mainBefore)
    #expect(dir.entries() == ["db.sombra"])
  }

  // MARK: (e) A writer that goes away without closing

  @Test func aWriterProcessThatDiesWithoutClosingLeavesItsCommitsToTheNextOpen() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    setenv(Self.databasePathVariable, path, 1)

    await #expect(processExitsWith: .success) {
      do {
        let db = try Database.open(childDatabasePath())
        for batch in fixedBatches() {
          try db.write { try PageStore.apply(batch, in: $0) }
        }
        // A transaction in progress when the process dies.
        let open = try db.beginWrite()
        try PageStore.apply([(0, 999), (47, 999)], in: open)
        _exit(0)
      } catch {
        childFail("the writer failed before it could die: \(error)")
      }
    }

    #expect(fileBytes(path + ".wal")?.isEmpty == false, "the commits are in the WAL, not checkpointed")
    let db = try Database.open(path)
    #expect(db.openReport.uncleanShutdown)
    #expect(!db.openReport.created)
    // The session's own "not clean" marker, then the six batches.
    #expect(db.openReport.recoveredTransactions == 7)
    #expect(db.openReport.discardedFrames == 0, "the open transaction never reached the WAL")
    #expect(try db.read { try PageStore.read($0) } == fixedState(batches: 6))
    try db.close()

    let again = try Database.open(path)
    #expect(!again.openReport.uncleanShutdown)
    #expect(again.openReport.recoveredTransactions == 0)
    #expect(try again.read { try PageStore.read($0) } == fixedState(batches: 6))
    try again.close()
  }

  @Test func aWriterProcessKilledWhileCommittingRecoversTheLastCommitThatReturned() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    setenv(Self.databasePathVariable, path, 1)

    // The child commits version after version, noting each one whose commit
    // returned in `path.acked`, until a second thread SIGKILLs it mid-stream.
    await #expect(processExitsWith: .signal(SIGKILL)) {
      let path = childDatabasePath()
      var options = OpenOptions()
      options.pageSize = 4096
      let acked: any StorageFile
      let db: Database
      do {
        acked = try POSIXStorageSystem().open(path + ".acked", .readWriteCreate)
        db = try Database.open(path, options: options)
      } catch {
        childFail("the writer could not start: \(error)")
      }
      let committed = Atomic<Int>(0)
      let killer = try? BlockingWorkThread {
        waitUntil { committed.load(ordering: .acquiring) >= 5 }
        // Somewhere inside the commits that follow.
        var rng = SystemRandomNumberGenerator()
        usleepSeconds(Double(rng.next(upperBound: UInt64(10_000))) / 1e6)
        kill(getpid(), SIGKILL)
      }
      childCheck(killer != nil, "could not start the killer thread")
      var version: UInt64 = 0
      let deadline = monotonicSeconds() + hangBound
      while monotonicSeconds() < deadline {
        version += 1
        do {
          let next = version
          try db.write { try PageStore.apply(generationChanges(next), in: $0) }
          var bytes = [UInt8](repeating: 0, count: 8)
          bytes.withUnsafeMutableBytes { $0.putLE(next, at: 0) }
          try bytes.withUnsafeBytes { try acked.write($0, at: 0) }
        } catch {
          childFail("commit \(version) failed: \(error)")
        }
        committed.add(1, ordering: .releasing)
      }
      childFail("still alive after \(version) commits")
    }

    let ackedBytes = fileBytes(path + ".acked") ?? []
    #expect(ackedBytes.count == 8)
    let acked: UInt64 = ackedBytes.count == 8 ? ackedBytes.withUnsafeBytes { $0.le(0) } : 0
    #expect(acked >= 5)
    let db = try Database.open(path)
    #expect(db.openReport.uncleanShutdown)
    let state = try db.read { try PageStore.read($0) }
    let version = state.values.first ?? 0
    #expect(state == generationState(version), "a consistent commit, not a mix")
    #expect(version == acked || version == acked + 1, "recovered version \(version); the last acknowledged commit was \(acked)")
    try db.close()
  }

  @Test func aWriterHandleDroppedWithoutCloseLetsAnotherProcessOpenForWriting() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    try writeAndDropWithoutClose(path, batches: fixedBatches())
    // The dropped handle closed its descriptors, and with them its lock.
    let probe = try POSIXStorageSystem().open(path, .readWrite)
    #expect(try probe.lock(.writer, .exclusive, wait: false))
    probe.close()
    setenv(Self.databasePathVariable, path, 1)

    await #expect(processExitsWith: .success) {
      do {
        let db = try Database.open(childDatabasePath())
        childCheck(db.openReport.uncleanShutdown, "the dropped handle's session is not reported unclean")
        let state = try db.read { try PageStore.read($0) }
        childCheck(state == fixedState(batches: 6), "recovered \(state)")
        try db.write { try PageStore.apply([(40, 40)], in: $0) }
        try db.close()
      } catch {
        childFail("the writer open after the dropped handle failed: \(error)")
      }
    }

    let db = try Database.open(path)
    #expect(!db.openReport.uncleanShutdown, "the child closed cleanly")
    #expect(try db.read { try PageStore.read($0) } == PageStore.applied([(40, 40)], to: fixedState(batches: 6)))
    try db.close()
  }

  /// Opens, commits and lets the handle go without `close()`, as a process that
  /// forgets to close would.
  func writeAndDropWithoutClose(_ path: String, batches: [[(key: Int, value: UInt64?)]]) throws {
    let db = try Database.open(path)
    for batch in batches {
      try db.write { try PageStore.apply(batch, in: $0) }
    }
  }

  // MARK: (f) Durable visibility: the writer's durable mark

  /// The child writes a commit and dies inside the commit's fdatasync, before
  /// it runs: what a power loss between the frame write and its sync leaves
  /// unsure. While the child lives, the parent (a reader in another process)
  /// must not read that commit, though its frames are in the WAL file; once the
  /// child is gone (its locks with it) a reader reads every valid commit, as the
  /// next read-write open recovers them all.
  @Test func aReaderProcessSeesNoCommitBeforeItsSyncAndEveryValidCommitOnceTheWriterDies() async throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db.sombra"
    let db = try Database.open(path)
    for batch in fixedBatches()[0..<3] {
      try db.write { try PageStore.apply(batch, in: $0) }
    }
    try db.close()
    setenv(Self.databasePathVariable, path, 1)

    struct Seen: Sendable {
      var state: PageStore.State?
      var mark: Int?
      var framesInWAL = 0
      var error: String?
    }
    let seen = Mutex(Seen())
    let reader = try BlockingWorkThread {
      // Lets the child go on (and die), whatever happened here.
      defer { try? POSIXStorageSystem().open(path + ".seen", .readWriteCreate).close() }
      guard waitForFile(path + ".held") else {
        seen.withLock { $0.error = "the child never held its sync" }
        return
      }
      do {
        let ro = try Database.open(path, options: .readOnly)
        let state = try ro.read { try PageStore.read($0) }
        let mark = try ro.pager.publishedDurableFrames()
        let wal = try POSIXStorageSystem().open(path + ".wal", .readOnly)
        let frames = try WALScanner.scan(wal, pageSize: ro.pageSize).committed.count
        wal.close()
        try ro.close()
        seen.withLock { $0 = Seen(state: state, mark: mark, framesInWAL: frames) }
      } catch {
        seen.withLock { $0.error = "\(error)" }
      }
    }
    await #expect(processExitsWith: .success) {
      let path = childDatabasePath()
      let storage = SyncHookStorage {
        // The commit's frames are written; the process dies before its sync.
        childSignal(path + ".held")
        _ = waitForFile(path + ".seen")
        _exit(0)
      }
      do {
        let db = try Database.open(path, options: OpenOptions(), storage: storage)
        storage.arm()
        try db.write { try PageStore.apply(fixedBatches()[3], in: $0) }
        childFail("the commit returned without its sync")
      } catch {
        childFail("the writer failed before its commit's sync: \(error)")
      }
    }
    reader.join()

    let whileAlive = seen.withLock { $0 }
    #expect(whileAlive.error == nil)
    #expect(whileAlive.state == fixedState(batches: 3), "a reader saw the commit whose sync had not run")
    let mark = try #require(whileAlive.mark, "the live writer published no mark")
    #expect(whileAlive.framesInWAL > mark, "the unsynced commit's frames were in the WAL, past the mark")

    let after = try Database.open(path, options: .readOnly)
    #expect(try after.pager.publishedDurableFrames() == nil, "the dead writer's mark went with it")
    #expect(try after.read { try PageStore.read($0) } == fixedState(batches: 4))
    try after.close()
    let recovered = try Database.open(path)
    #expect(
      try recovered.read { try PageStore.read($0) } == fixedState(batches: 4), "what the reader read is what recovery finds")
    try recovered.close()
  }
}

/// Waits for `path` to exist (another process creates it to say something
/// happened); false only after `hangBound`.
private func waitForFile(_ path: String) -> Bool {
  waitUntil { POSIXStorageSystem().exists(path) }
}

/// POSIX storage that, once armed, runs `hook` before the next sync of the WAL.
private final class SyncHookStorage: ForwardingStorageSystem {
  let base: any StorageSystem = POSIXStorageSystem()
  let hook: @Sendable () -> Void
  private let armed = Atomic<Bool>(false)

  init(hook: @escaping @Sendable () -> Void) { self.hook = hook }

  func arm() { armed.store(true, ordering: .releasing) }

  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let file = try base.open(path, mode)
    return path.hasSuffix(".wal") ? SyncHookFile(file, storage: self) : file
  }

  fileprivate func beforeSync() {
    if armed.exchange(false, ordering: .acquiringAndReleasing) { hook() }
  }
}

private final class SyncHookFile: ForwardingStorageFile {
  let file: any StorageFile
  let storage: SyncHookStorage

  init(_ file: any StorageFile, storage: SyncHookStorage) {
    self.file = file
    self.storage = storage
  }

  func sync() throws {
    storage.beforeSync()
    try file.sync()
  }
}

/// POSIX storage that runs `hook` once, right after the first read of the main
/// file: a fixed point inside an open at which another handle can act.
private final class HookedStorage: ForwardingStorageSystem {
  let base: any StorageSystem = POSIXStorageSystem()
  let mainPath: String
  let hook: @Sendable () -> Void
  private let ran = Atomic<Bool>(false)

  init(mainPath: String, hook: @escaping @Sendable () -> Void) {
    self.mainPath = mainPath
    self.hook = hook
  }

  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let file = try base.open(path, mode)
    return path == mainPath ? HookedFile(file, afterFirstRead: self) : file
  }

  fileprivate func runOnce() {
    if ran.exchange(true, ordering: .acquiringAndReleasing) == false { hook() }
  }
}

private final class HookedFile: ForwardingStorageFile {
  let file: any StorageFile
  let storage: HookedStorage

  init(_ file: any StorageFile, afterFirstRead storage: HookedStorage) {
    self.file = file
    self.storage = storage
  }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    defer { storage.runOnce() }
    return try file.read(into: buffer, at: offset)
  }
}

/// The parent's side of the concurrent test: commits version after version (see
/// `generationChanges`) and now and then checkpoints, until stopped.
private final class ConcurrentWriter: Sendable {
  struct Outcome {
    var version: UInt64
    var commits = 0, passive = 0, full = 0, truncate = 0, resets = 0, busy = 0
    var error: SombraError?
  }

  private let db: Database
  private let stopped = Atomic<Bool>(false)
  private let state: Mutex<Outcome>

  init(_ db: Database, version: UInt64) {
    self.db = db
    self.state = Mutex(Outcome(version: version))
  }

  func stop() { stopped.store(true, ordering: .releasing) }

  var outcome: Outcome { state.withLock { $0 } }

  func run() {
    var outcome = state.withLock { $0 }
    let deadline = monotonicSeconds() + hangBound
    while !stopped.load(ordering: .acquiring) && monotonicSeconds() < deadline {
      do {
        let version = outcome.version + 1
        try db.write { try PageStore.apply(generationChanges(version), in: $0) }
        outcome.version = version
        outcome.commits += 1
        var result: CheckpointResult?
        do {
          if version % 5 == 0 {
            outcome.passive += 1
            result = try db.checkpoint(.passive)
          } else if version % 13 == 0 {
            outcome.full += 1
            result = try db.checkpoint(.full)
          } else if version % 31 == 0 {
            outcome.truncate += 1
            result = try db.checkpoint(.truncate)
          }
        } catch let error as SombraError where error.code == .busy {
          outcome.busy += 1
        }
        if let result {
          if result.walReset { outcome.resets += 1 }
          if result.busy { outcome.busy += 1 }
        }
      } catch {
        outcome.error = error as? SombraError ?? SombraError(.misuse, "\(error)")
        break
      }
    }
    state.withLock { $0 = outcome }
  }
}

// MARK: Shared by parent and child (the child recomputes what the parent wrote)

/// Six fixed batches of changes.
private func fixedBatches() -> [[(key: Int, value: UInt64?)]] {
  var rng = SplitMix64(seed: 0x5EED_0F_10C5)
  return (0..<6).map { _ in PageStore.randomChanges(&rng, count: 6) }
}

private func fixedState(batches: Int) -> PageStore.State {
  fixedBatches()[0..<batches].reduce(into: [:]) { state, batch in state = PageStore.applied(batch, to: state) }
}

/// Commit `version` of the concurrent test: keys 0..<8 (even versions) or 8..<16
/// (odd versions) all hold `version`, and the other eight are deleted, so pages
/// are freed and reused from one commit to the next.
private func generationKeys(_ version: UInt64) -> Range<Int> {
  version % 2 == 0 ? 0..<8 : 8..<16
}

private func generationChanges(_ version: UInt64) -> [(key: Int, value: UInt64?)] {
  let keys = generationKeys(version)
  return (0..<16).map { key in (key, keys.contains(key) ? version : nil) }
}

private func generationState(_ version: UInt64) -> PageStore.State {
  Dictionary(uniqueKeysWithValues: generationKeys(version).map { ($0, version) })
}

// MARK: Child helpers (they run in the exit test's process)

private func childDatabasePath() -> String {
  guard let value = getenv(ProcessLockingTests.databasePathVariable) else {
    childFail("\(ProcessLockingTests.databasePathVariable) is not set in the child's environment")
  }
  return String(cString: value)
}

private func childFail(_ message: String) -> Never {
  let line = "child: " + message
  Issue.record(Comment(rawValue: line))
  exit(1)
}

private func childCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { childFail(message()) }
}

/// Runs `body`, which must throw `SombraError` with code `locked`.
private func childExpectLocked(_ body: () throws -> Void) {
  do {
    try body()
    childFail("a second writer open succeeded")
  } catch let error as SombraError where error.code == .locked {
    return
  } catch {
    childFail("expected locked, got \(error)")
  }
}

/// Opens the database read-only, checks its state (and, when `clean` is given,
/// the reported shutdown) and closes it.
private func childExpectState(_ expected: PageStore.State, clean: Bool? = nil) {
  do {
    let db = try Database.open(childDatabasePath(), options: .readOnly)
    let state = try db.read { try PageStore.read($0) }
    childCheck(state == expected, "read \(state.sorted { $0.key < $1.key }), expected \(expected.sorted { $0.key < $1.key })")
    if let clean {
      childCheck(db.openReport.uncleanShutdown == !clean, "uncleanShutdown is \(db.openReport.uncleanShutdown)")
    }
    try db.close()
  } catch {
    childFail("the read-only open or read failed: \(error)")
  }
}

/// Creates an empty file at `path` to tell the parent something happened.
private func childSignal(_ path: String) {
  do {
    try POSIXStorageSystem().open(path, .readWriteCreate).close()
  } catch {
    childFail("could not create \(path): \(error)")
  }
}
