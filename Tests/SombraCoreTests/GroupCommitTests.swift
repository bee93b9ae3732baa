import Dispatch
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// Group commit under `SyncMode.full` (`SyncGroup`): a commit hands the writer
/// gate on before it waits for its sync, new readers see it only once it is
/// durable, commits that wait together share one sync, and a failed sync fails
/// every commit waiting for it.
@Suite struct GroupCommitTests {
  static let path = "/db/group.sombra"

  /// Holds the first WAL sync after `arm()` until `release()`.
  final class HeldSync: Sendable {
    private let armed = Atomic<Bool>(false)
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    func install(on disk: SimulatedDisk) {
      disk.beforeSync = { [self] path in
        guard path.hasSuffix(".wal"), armed.exchange(false, ordering: .acquiringAndReleasing) else { return }
        entered.signal()
        released.wait()
      }
    }

    func arm() { armed.store(true, ordering: .releasing) }
    /// Waits until a sync is being held.
    func waitUntilHeld() { entered.wait() }
    func release() { released.signal() }
  }

  /// Holds WAL syncs one by one: each `holdNext()` queues a hold that the
  /// next WAL sync not yet held takes.
  final class SyncHolds: Sendable {
    final class Hold: Sendable {
      fileprivate let entered = DispatchSemaphore(value: 0)
      fileprivate let released = DispatchSemaphore(value: 0)
      fileprivate let failing = Atomic<Bool>(false)
      fileprivate let disk: SimulatedDisk
      init(disk: SimulatedDisk) { self.disk = disk }

      /// Waits until a sync is being held here.
      func waitUntilHeld() { entered.wait() }
      /// Lets the held sync go on.
      func release() { released.signal() }
      /// Lets the held sync go on and fail (EIO).
      func releaseFailing() {
        failing.store(true, ordering: .releasing)
        released.signal()
      }
    }
    private let queue = Mutex<[Hold]>([])
    private let disk: SimulatedDisk

    init(on disk: SimulatedDisk) {
      self.disk = disk
      disk.beforeSync = { [self] path in
        guard path.hasSuffix(".wal"), let hold = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return }
        hold.entered.signal()
        hold.released.wait()
        // The sync itself is the next operation of the disk.
        if hold.failing.load(ordering: .acquiring) { hold.disk.inject(.syncFailure, atOperation: hold.disk.operations + 1) }
      }
    }

    func holdNext() -> Hold {
      let hold = Hold(disk: disk)
      queue.withLock { $0.append(hold) }
      return hold
    }
  }

  /// Runs `body` on its own thread and keeps what it returned or threw.
  final class Committer: Sendable {
    private final class Outcome: Sendable {
      let value = Mutex<Result<NodeID, SombraError>?>(nil)
    }
    private let result = Outcome()
    private let thread: BlockingWorkThread

    init(_ db: Database, label: String) throws {
      let result = self.result
      thread = try BlockingWorkThread {
        let outcome: Result<NodeID, SombraError>
        do {
          outcome = .success(try db.write { try $0.createNode(labels: [label]) })
        } catch let error as SombraError {
          outcome = .failure(error)
        } catch {
          outcome = .failure(SombraError.misuse("\(error)"))
        }
        result.value.withLock { $0 = outcome }
      }
    }

    func join() -> Result<NodeID, SombraError>? {
      thread.join()
      return result.value.withLock { $0 }
    }
  }

  /// Waits until the writer chain holds `transaction` (false: it never did).
  static func waitForCommit(_ db: Database, _ transaction: UInt64) -> Bool {
    waitUntil { db.pager.lock.withLock { _ in db.pager.header.changeCounter } >= transaction }
  }

  /// A database on a simulated disk whose WAL syncs `held` can hold, with
  /// one durable node labelled First.
  static func openWithOneNode() throws -> (disk: SimulatedDisk, held: HeldSync, db: Database) {
    let disk = SimulatedDisk()
    let held = HeldSync()
    held.install(on: disk)
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    _ = try db.write { try $0.createNode(labels: ["First"]) }
    return (disk, held, db)
  }

  /// Commits a node labelled `label` on another thread and returns once that
  /// commit is written and its sync is held.
  static func commitHeld(_ db: Database, _ held: HeldSync, label: String) throws -> Committer {
    held.arm()
    let committer = try Committer(db, label: label)
    held.waitUntilHeld()
    return committer
  }

  @Test func theNextWriterSeesACommitAtOnceAndReadersOnlyOnceItIsDurable() throws {
    let (disk, held, db) = try Self.openWithOneNode()

    let a = try Self.commitHeld(db, held, label: "A")
    // A is written and waits inside its sync; the gate is free.
    #expect(try db.read { try $0.nodeCount } == 1, "readers do not see A before its sync")
    let reader = try db.beginRead()
    let tx = try db.beginWrite(timeout: hangBound)
    #expect(try tx.nodeCount == 2, "the next writer builds on A")
    #expect(try tx.nodeIDs(label: "A").count == 1)
    let box = UncheckedBox(tx)
    let c = try BlockingWorkThread {
      _ = try? box.value.createNode(labels: ["C"])
      try? box.value.commit()
    }
    held.release()
    #expect(try a.join()?.get() != nil)
    c.join()
    #expect(try reader.nodeCount == 1, "a snapshot keeps its state")
    reader.end()
    #expect(try db.read { try $0.nodeCount } == 3)
    try db.close()
    let again = try Database.open(Self.path, options: OpenOptions(), storage: disk.afterPowerLoss(.dropUnsynced))
    #expect(try again.read { [try $0.nodeIDs(label: "A").count, try $0.nodeIDs(label: "C").count] } == [1, 1])
    try again.close()
  }

  @Test func commitsThatWaitTogetherShareOneSync() throws {
    let (_, held, db) = try Self.openWithOneNode()
    let base = db.pager.lock.withLock { _ in db.pager.header.changeCounter }
    let syncsBefore = db.metrics().walSyncs

    let a = try Self.commitHeld(db, held, label: "W")
    let others = try (0..<3).map { _ in try Committer(db, label: "W") }
    // All three are written (the gate passed from one to the next) and wait.
    #expect(Self.waitForCommit(db, base + 4))
    #expect(try db.read { try $0.nodeCount } == 1, "none of the four is durable yet")
    held.release()
    for committer in [a] + others { #expect(try committer.join()?.get() != nil) }
    #expect(db.metrics().walSyncs - syncsBefore == 2, "A's own sync, then one for the three that waited behind it")
    #expect(try db.read { try $0.nodeIDs(label: "W").count } == 4)
    let ids = try db.read { try $0.nodeIDs(label: "W") }
    #expect(Set(ids).count == 4)
    try db.close()
  }

  @Test func aFailedSyncFailsEveryCommitWaitingForItAndNoneOfThemSurvives() throws {
    let disk = SimulatedDisk()
    let held = HeldSync()
    held.install(on: disk)
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    let kept = try db.write { try $0.createNode(labels: ["Kept"]) }
    let committedBefore = db.metrics().transactionsCommitted

    let a = try Self.commitHeld(db, held, label: "Lost")
    let b = try Committer(db, label: "Lost")
    let base = db.pager.lock.withLock { _ in db.pager.header.changeCounter }
    #expect(base >= 3)
    // The power goes while A's sync is held: that sync is the next operation.
    disk.inject(.powerLoss, atOperation: disk.operations + 1)
    held.release()
    for committer in [a, b] {
      guard case .failure(let error)? = committer.join() else {
        Issue.record("a commit whose sync failed returned")
        continue
      }
      #expect(error.code == .io || error.code == .poisoned)
    }
    #expect(db.isPoisoned)
    #expect(db.metrics().transactionsCommitted == committedBefore, "a commit whose sync failed is not counted")
    let again = try Database.open(Self.path, options: OpenOptions(), storage: disk.afterPowerLoss(.dropUnsynced))
    #expect(try again.read { try $0.nodeIDs(label: "Kept") } == [kept])
    #expect(try again.read { try $0.nodeIDs(label: "Lost") } == [])
    #expect(try again.verify().problems == [])
    try again.close()
  }

  /// A checkpoint syncs the WAL first, as a waiter of the sync group: after
  /// the running sync, never beside it. Its sync makes the commits written
  /// meanwhile durable and visible.
  @Test func aCheckpointSyncsAfterTheRunningSyncAndMakesWaitingCommitsVisible() throws {
    let disk = SimulatedDisk()
    let holds = SyncHolds(on: disk)
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    let first = holds.holdNext()
    let a = try Committer(db, label: "A")
    first.waitUntilHeld()
    let base = db.pager.lock.withLock { _ in db.pager.header.changeCounter }
    let b = try Committer(db, label: "B")
    #expect(Self.waitForCommit(db, base + 1))
    #expect(try db.read { try $0.nodeCount } == 0)
    let checkpointed = DispatchSemaphore(value: 0)
    let c = try BlockingWorkThread {
      _ = try? db.checkpoint(.full)
      checkpointed.signal()
    }
    let early = checkpointed.wait(timeout: .now() + 0.3) == .success
    #expect(!early, "the checkpoint synced beside the running sync")
    first.release()
    if !early { checkpointed.wait() }
    c.join()
    #expect(try db.read { try $0.nodeCount } == 2)
    #expect(try a.join()?.get() != nil)
    #expect(try b.join()?.get() != nil)
    try db.close()
  }

  /// A commit whose frames follow a commit whose sync failed is not durable,
  /// whatever a later sync of the WAL says (after a failed fdatasync the
  /// kernel may have dropped the dirty pages and reports the next sync clean):
  /// the interval checkpoint inside the next commit must not make it return.
  @Test func aCommitAfterAFailedSyncFailsEvenWhenItsCheckpointSyncsTheWAL() throws {
    let disk = SimulatedDisk()
    let holds = SyncHolds(on: disk)
    var options = OpenOptions()
    options.autoCheckpointInterval = 3600  // due only when the test says so
    let db = try Database.open(Self.path, options: options, storage: disk)
    _ = try db.write { try $0.createNode(labels: ["First"]) }

    let first = holds.holdNext()
    let a = try Committer(db, label: "A")
    first.waitUntilHeld()
    let base = db.pager.lock.withLock { _ in db.pager.header.changeCounter }
    // B's commit comes after the interval (the last checkpoint moved an
    // interval into the past): it runs a checkpoint, which syncs the WAL.
    db.pager.lock.withLock { _ in db.pager.lastCheckpointAt -= 3600 }
    let second = holds.holdNext()
    let b = try Committer(db, label: "B")
    #expect(Self.waitForCommit(db, base + 1), "B is written")
    first.releaseFailing()
    guard case .failure? = a.join() else {
      Issue.record("A returned though its sync failed")
      second.release()
      return
    }
    #expect(db.isPoisoned)
    second.release()
    if case .success? = b.join() {
      Issue.record("B returned as durable though it builds on A, whose sync failed")
    }
  }

  /// A write transaction reads the commits before it at once, durable or not;
  /// if it changes nothing, its commit must still not return (nor hand out
  /// what it read) before those are durable.
  @Test func aWriteTransactionThatChangesNothingReturnsOnceWhatItReadIsDurable() throws {
    let (_, held, db) = try Self.openWithOneNode()

    let a = try Self.commitHeld(db, held, label: "A")
    let done = DispatchSemaphore(value: 0)
    let counted = Mutex<Int?>(nil)
    let b = try BlockingWorkThread {
      let n = try? db.write { try $0.nodeCount }
      counted.withLock { $0 = n }
      done.signal()
    }
    let returnedEarly = done.wait(timeout: .now() + 0.5) == .success
    #expect(!returnedEarly, "B returned \(counted.withLock { $0 } ?? -1) nodes while A, which it counted, can still be lost")
    held.release()
    if !returnedEarly { done.wait() }
    b.join()
    #expect(try a.join()?.get() != nil)
    #expect(counted.withLock { $0 } == 2)
    try db.close()
  }

  /// A write transaction reads undurable commits at once; rolling it back
  /// must not hand what it read to its caller before those are durable,
  /// neither through `rollback()` nor through the error `Database.write`
  /// rethrows.
  @Test func aRolledBackWriteTransactionReturnsOnceWhatItReadIsDurable() throws {
    let (_, held, db) = try Self.openWithOneNode()

    let a = try Self.commitHeld(db, held, label: "A")
    struct Refused: Error { let count: Int }
    let done = DispatchSemaphore(value: 0)
    let counts = Mutex<[Int]>([])
    let b = try BlockingWorkThread {
      do {
        let tx = try db.beginWrite()
        let n = try tx.nodeCount
        try tx.rollback()
        counts.withLock { $0.append(n) }
      } catch {
        Issue.record("the explicit rollback failed: \(error)")
      }
      do {
        try db.write { tx in throw Refused(count: try tx.nodeCount) }
      } catch let refused as Refused {
        counts.withLock { $0.append(refused.count) }
      } catch {
        Issue.record("write rethrew \(error), not the body's error")
      }
      done.signal()
    }
    let returnedEarly = done.wait(timeout: .now() + 0.5) == .success
    #expect(!returnedEarly, "B rolled back and returned \(counts.withLock { $0 }) while A, which it counted, can still be lost")
    #expect(counts.withLock { $0 } == [], "the rollback returned what it read before A was durable")
    held.release()
    if !returnedEarly { done.wait() }
    b.join()
    #expect(try a.join()?.get() != nil)
    #expect(counts.withLock { $0 } == [2, 2])
    try db.close()
  }

  /// When the sync a rolled-back transaction waits for fails, what it read
  /// may be lost: `rollback()` throws instead of returning.
  @Test func aRollbackThrowsWhenTheSyncOfWhatItReadFails() throws {
    let disk = SimulatedDisk()
    let holds = SyncHolds(on: disk)
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    let first = holds.holdNext()
    let a = try Committer(db, label: "A")
    first.waitUntilHeld()
    let tx = try db.beginWrite(timeout: hangBound)
    #expect(try tx.nodeCount == 1, "the transaction reads A, which waits for its sync")
    let outcome = Mutex<Result<Void, SombraError>?>(nil)
    let box = UncheckedBox(tx)
    let b = try BlockingWorkThread {
      do {
        try box.value.rollback()
        outcome.withLock { $0 = .success(()) }
      } catch {
        outcome.withLock { $0 = .failure(error as? SombraError ?? SombraError(.misuse, "\(error)")) }
      }
    }
    // A window for the rollback to return too early: it must not.
    #expect(!waitUntil(timeout: 0.2) { outcome.withLock { $0 } != nil }, "the rollback waits for A's sync")
    first.releaseFailing()
    b.join()
    guard case .failure(let error)? = outcome.withLock({ $0 }) else {
      Issue.record("the rollback returned though the sync of what it read failed")
      return
    }
    #expect(error.code == .io || error.code == .poisoned)
    #expect(db.isPoisoned)
    guard case .failure? = a.join() else {
      Issue.record("A returned though its sync failed")
      return
    }
  }

  /// Another handle (a read-only open, as in another process) reads the WAL
  /// from the file, where a commit's frames are before its sync: it reads no
  /// further than the durable mark the writer publishes after each sync.
  @Test func aReadOnlyHandleSeesOnlyDurableCommits() throws {
    let (disk, held, db) = try Self.openWithOneNode()
    let a = try Self.commitHeld(db, held, label: "A")
    let other = try Database.open(Self.path, options: .readOnly, storage: disk)
    let seen = try other.read { try $0.nodeCount }
    let afterCrash = try Database.open(Self.path, options: .readOnly, storage: disk.afterPowerLoss(.dropUnsynced))
    let survives = try afterCrash.read { try $0.nodeCount }
    try afterCrash.close()
    #expect(survives == 1, "a power loss now loses A")
    #expect(seen == survives, "the read-only handle saw A before it was durable")
    held.release()
    #expect(try a.join()?.get() != nil)
    #expect(try other.read { try $0.nodeIDs(label: "A").count } == 1, "once A is durable, the read-only handle sees it")
    try other.close()
    try db.close()
  }

  /// Power loss at a random point under four writer threads: every commit
  /// that returned survives, what survives is whole (each node with its
  /// edge), and the recovered file verifies clean.
  @Test(arguments: 0..<12) func aPowerLossUnderFourWritersKeepsEveryCommitThatReturned(seed: Int) throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    let root = try db.write { try $0.createNode(labels: ["Root"]) }
    var rng = SplitMix64(seed: UInt64(0x6C0 + seed))
    disk.inject(.powerLoss, atOperation: disk.operations + 20 + rng.below(400))
    let returned = Mutex<[NodeID]>([])
    @Sendable func work(_ worker: Int) {
      for i in 0..<100 {
        do {
          let id = try db.write { tx in
            let id = try tx.createNode(labels: ["W"], properties: ["worker": .int(Int64(worker)), "i": .int(Int64(i))])
            _ = try tx.createEdge(from: id, to: root, type: "to")
            return id
          }
          returned.withLock { $0.append(id) }
        } catch {
          return  // the power is gone: every later call fails too
        }
      }
    }
    let threads = try (0..<4).map { worker in try BlockingWorkThread { work(worker) } }
    for thread in threads { thread.join() }
    #expect(disk.poweredOff, "the power loss came before the writers finished")
    let again = try Database.open(Self.path, options: OpenOptions(), storage: disk.afterPowerLoss(.dropUnsynced))
    let survivors = Set(try again.read { try $0.nodeIDs(label: "W") })
    let acknowledged = Set(returned.withLock { $0 })
    #expect(acknowledged.isSubset(of: survivors), "lost: \(acknowledged.subtracting(survivors).sorted())")
    #expect(try again.read { try $0.degree(of: root, direction: .incoming) } == survivors.count)
    #expect(try again.verify().problems == [])
    try again.close()
  }

  /// Power loss at a random point under writers, readers and checkpoints
  /// (explicit ones, and the WAL-size ones inside commits that reset the
  /// WAL): no reader saw more than survives, and every commit that returned
  /// survives.
  @Test(arguments: 0..<16) func aPowerLossKeepsEveryStateAReaderSawUnderCheckpoints(seed: Int) throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.maxWALSize = 96 << 10
    let db = try Database.open(Self.path, options: options, storage: disk)
    _ = try db.write { try $0.createNode(labels: ["Root"]) }
    var rng = SplitMix64(seed: UInt64(0x7A0 + seed))
    // Syncs take time, as on a disk: commits wait for them and readers run
    // meanwhile. The power goes at a WAL sync, when commits are waiting.
    let lossAt = 20 + Int(rng.below(200))
    let syncs = Atomic<Int>(0)
    disk.beforeSync = { [unowned disk] path in
      usleepSeconds(0.0003)
      if path.hasSuffix(".wal"), syncs.add(1, ordering: .relaxed).newValue == lossAt {
        disk.inject(.powerLoss, atOperation: disk.operations + 1)
      }
    }
    let returned = Mutex<Int>(0)
    let seen = Mutex<Int>(0)
    let stop = Atomic<Bool>(false)
    let writers = try (0..<3).map { _ in
      try BlockingWorkThread {
        for _ in 0..<400 {
          guard (try? db.write({ try $0.createNode(labels: ["W"]) })) != nil else { return }
          returned.withLock { $0 += 1 }
        }
      }
    }
    let readers = try (0..<2).map { _ in
      try BlockingWorkThread {
        while !stop.load(ordering: .acquiring) {
          guard let n = try? db.read({ try $0.nodeCount - 1 }) else { return }
          seen.withLock { $0 = max($0, n) }
          usleepSeconds(0.0002)  // moments with no snapshot: a checkpoint can reset the WAL
        }
      }
    }
    let checkpointer = try BlockingWorkThread {
      while !stop.load(ordering: .acquiring) {
        guard (try? db.checkpoint(.passive)) != nil else { return }
        usleepSeconds(0.001)
      }
    }
    for thread in writers { thread.join() }
    stop.store(true, ordering: .releasing)
    for thread in readers { thread.join() }
    checkpointer.join()
    #expect(disk.poweredOff, "the power loss came before the writers finished")
    let again = try Database.open(Self.path, options: OpenOptions(), storage: disk.afterPowerLoss(.dropUnsynced))
    let survivors = try again.read { try $0.nodeIDs(label: "W").count }
    #expect(seen.withLock { $0 } <= survivors, "a reader saw \(seen.withLock { $0 }) nodes; \(survivors) survive")
    #expect(returned.withLock { $0 } <= survivors, "\(returned.withLock { $0 }) commits returned; \(survivors) survive")
    #expect(try again.verify().problems == [])
    try again.close()
  }

  /// Writers on four threads, real files: every commit that returned is there
  /// after a reopen, and no node is lost or doubled.
  @Test func fourWritersOnRealFilesKeepEveryCommit() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/group.sombra"
    let db = try Database.open(path)
    let perThread = 60
    let failures = Mutex<[String]>([])
    let made = Mutex<[NodeID]>([])
    @Sendable func work(_ worker: Int) {
      for i in 0..<perThread {
        do {
          let id = try db.write { tx in
            let id = try tx.createNode(labels: ["T\(worker)"], properties: ["i": .int(Int64(i))])
            if let other = try tx.nodeIDs(label: "T\(worker)").first, other != id {
              _ = try tx.createEdge(from: id, to: other, type: "prev")
            }
            return id
          }
          made.withLock { $0.append(id) }
        } catch {
          failures.withLock { $0.append("worker \(worker): \(error)") }
        }
      }
    }
    // Threads of their own: a dispatch queue would run only as many as there are cores.
    let threads = try (0..<4).map { worker in try BlockingWorkThread { work(worker) } }
    for thread in threads { thread.join() }
    #expect(failures.withLock { $0 } == [])
    let metrics = db.metrics()
    #expect(metrics.walSyncs <= metrics.transactionsCommitted)
    try db.close()
    let again = try Database.open(path)
    let ids = made.withLock { $0 }
    #expect(ids.count == 4 * perThread)
    #expect(try again.read { try $0.nodeCount } == 4 * perThread)
    for worker in 0..<4 { #expect(try again.read { try $0.nodeIDs(label: "T\(worker)").count } == perThread) }
    #expect(try again.verify().problems == [])
    try again.close()
  }
}

/// `SyncGroup.waitForWriters`, the leader's wait for a running transaction.
/// Durations are bounded on one side only: a wait lasts at least until its
/// deadline, and "no wait" means it returned long before a deadline far away.
@Suite struct SyncGroupTests {
  @Test func aLeaderWaitsForAWriterOnlyUntilItsDeadline() {
    let group = SyncGroup()
    let started = monotonicNanoseconds()
    group.waitForWriters(while: { true }, until: started + 3_000_000)
    #expect(monotonicNanoseconds() - started >= 3_000_000, "it waited for the busy writer until the deadline")
    let before = monotonicNanoseconds()
    let far = UInt64(hangBound * 1e9)
    group.waitForWriters(while: { false }, until: before + far)
    #expect(monotonicNanoseconds() - before < far, "nobody busy: it returned without waiting for the deadline")
  }

  @Test func aLeaderStopsWaitingOnceTheWriterIsWritten() throws {
    final class Flag: Sendable { let value = Atomic<Bool>(true) }
    let group = SyncGroup()
    let busy = Flag()
    let looked = Atomic<Int>(0)
    let returned = Atomic<Bool>(false)
    let writer = try BlockingWorkThread {
      // The leader is in its loop once it has asked whether a writer is busy.
      guard waitUntil({ looked.load(ordering: .acquiring) > 0 }) else { return }
      busy.value.store(false, ordering: .releasing)
      // A write noted between the leader's look and its wait leaves it waiting
      // for the next one (a leader's wait is short, so that costs a little
      // latency, not a commit): note writes until it returns.
      repeat { group.noteWritten() } while !waitUntil(timeout: 0.01, { returned.load(ordering: .acquiring) })
    }
    let started = monotonicNanoseconds()
    let far = UInt64(hangBound * 1e9)
    group.waitForWriters(
      while: {
        looked.add(1, ordering: .acquiringAndReleasing)
        return busy.value.load(ordering: .acquiring)
      }, until: started + far)
    let waited = monotonicNanoseconds() - started
    returned.store(true, ordering: .releasing)
    writer.join()
    let stillBusy = busy.value.load(ordering: .acquiring)
    #expect(!stillBusy, "it returned while the writer was still busy")
    #expect(waited < far, "woken by the write, not by its deadline")
  }
}

/// Moves a non-Sendable value to another thread that alone uses it from then on.
final class UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
