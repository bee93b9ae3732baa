import Dispatch
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// The durable mark (`Pager+DurableMark.swift`): the read-write handle
/// publishes, as a lock byte, how many WAL frames a sync has covered, and
/// read-only handles (other processes, here other handles on the same
/// simulated disk, whose locks behave the same) read no further.
@Suite struct DurableMarkTests {
  static let path = GroupCommitTests.path

  /// The frames a read-only handle finds published.
  static func published(_ reader: Database) throws -> Int? {
    try reader.pager.publishedDurableFrames()
  }

  static func committedFrames(_ db: Database) -> Int {
    db.pager.lock.withLock { $0.committedFrames }
  }

  @Test func theMarkFollowsEverySyncAndAReaderStopsThere() throws {
    let (disk, held, db) = try GroupCommitTests.openWithOneNode()
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try Self.published(reader) == Self.committedFrames(db))

    let durable = Self.committedFrames(db)
    let a = try GroupCommitTests.commitHeld(db, held, label: "A")
    #expect(Self.committedFrames(db) > durable, "A's frames are in the WAL")
    #expect(try Self.published(reader) == durable, "and not yet behind the mark")
    #expect(try reader.read { try $0.nodeCount } == 1)
    held.release()
    #expect(try a.join()?.get() != nil)
    #expect(try Self.published(reader) == Self.committedFrames(db))
    #expect(try reader.read { try $0.nodeIDs(label: "A").count } == 1)
    try reader.close()
    try db.close()
  }

  /// A reset starts a new generation whose frames a sync has not covered
  /// yet: the mark goes to 0 with it, or a reader would take the new
  /// generation's first, unsynced, frames for durable ones.
  @Test(arguments: [CheckpointMode.full, .truncate])
  func aWALResetMovesTheMarkTo0AndAReaderFollowsTheNewGeneration(mode: CheckpointMode) throws {
    let (disk, held, db) = try GroupCommitTests.openWithOneNode()
    _ = try db.write { try $0.createNode(labels: ["B"]) }
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try reader.read { try $0.nodeCount } == 2)
    let before = try Self.published(reader)
    #expect(before == Self.committedFrames(db))
    #expect((before ?? 0) >= 2)

    #expect(try db.checkpoint(mode).walReset)
    #expect(try Self.published(reader) == 0)
    #expect(try reader.read { try $0.nodeCount } == 2, "the main file holds everything now")

    // The new generation's first commit, written and waiting for its sync.
    let c = try GroupCommitTests.commitHeld(db, held, label: "C")
    #expect(Self.committedFrames(db) > 0)
    #expect(try reader.read { try $0.nodeCount } == 2, "the reader took the new generation's unsynced frames")
    let late = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try late.read { try $0.nodeCount } == 2, "a new reader too")
    held.release()
    #expect(try c.join()?.get() != nil)
    #expect(try Self.published(reader) == Self.committedFrames(db))
    #expect(
      try reader.read { [try $0.nodeCount, try $0.nodeIDs(label: "C").count, try $0.nodeIDs(label: "B").count] } == [3, 1, 1])
    #expect(try late.read { try $0.nodeCount } == 3)
    #expect(try reader.verify().problems == [])
    try late.close()
    try reader.close()
    try db.close()
  }

  /// Under `SyncMode.normal` a commit is this handle's to read at once, but
  /// another process's only once a sync (every N commits) covers it.
  @Test func underSyncModeNormalOtherHandlesSeeOnlyWhatASyncCovered() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.sync = .normal(commits: 3)
    let db = try Database.open(Self.path, options: options, storage: disk)
    #expect(try db.checkpoint(.passive).walReset, "its sync makes the new database durable")
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    for i in 1...2 {
      _ = try db.write { try $0.createNode(labels: ["N"]) }
      #expect(try db.read { try $0.nodeCount } == i)
      #expect(try reader.read { try $0.nodeCount } == 0, "commit \(i) is not synced")
    }
    _ = try db.write { try $0.createNode(labels: ["N"]) }
    #expect(try reader.read { try $0.nodeCount } == 3, "the third commit's sync covers all three")
    try reader.close()
    try db.close()
  }

  /// Between taking the writer lock and placing its mark, an opening writer
  /// has written nothing: a reader then finds no mark and reads every valid
  /// commit, which is exactly what that writer recovers (not the main file
  /// alone, which may be half-way through a checkpoint). The open makes those
  /// commits durable before it publishes them.
  @Test func aReaderWhileAWriterOpensSeesEveryCommitThatWriterRecovers() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.sync = .off
    do {
      // A writer that syncs nothing, and goes away without closing (its
      // files close, its locks vanish, as when a process dies).
      let dead = try Database.open(Self.path, options: options, storage: disk)
      for _ in 0..<3 { _ = try dead.write { try $0.createNode(labels: ["N"]) } }
    }
    #expect(disk.afterPowerLoss(.dropUnsynced).contents(Self.path + ".wal")?.isEmpty ?? true, "nothing was synced")

    let seen = Mutex<[String]>([])
    disk.beforeSync = { [unowned disk] path in
      guard path.hasSuffix(".wal"), seen.withLock({ $0.isEmpty }) else { return }
      // The opening writer's first sync, before it has placed its mark.
      do {
        let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
        let mark = try Self.published(reader)
        let count = try reader.read { try $0.nodeCount }
        try reader.close()
        seen.withLock { $0.append("mark \(mark.map(String.init) ?? "none"), \(count) nodes") }
      } catch {
        seen.withLock { $0.append("\(error)") }
      }
    }
    let writer = try Database.open(Self.path, options: options, storage: disk)
    disk.beforeSync = nil
    #expect(seen.withLock { $0 } == ["mark none, 3 nodes"])
    #expect(writer.openReport.recoveredTransactions >= 3)
    let afterLoss = try Database.open(Self.path, options: .readOnly, storage: disk.afterPowerLoss(.dropUnsynced))
    #expect(try afterLoss.read { try $0.nodeCount } == 3, "the open synced what it recovered")
    try afterLoss.close()
    try writer.close()
  }

  /// A reader that found no mark before its scan and finds one after it
  /// (a writer opened meanwhile) scans again, no further than that mark: the
  /// writer may have written past it during the scan.
  @Test func aReaderThatFindsAMarkPlacedDuringItsScanReadsNoFurtherThanIt() throws {
    let disk = SimulatedDisk()
    var recovered = 0
    do {
      // A writer whose commits are durable, gone without closing.
      let dead = try Database.open(Self.path, options: OpenOptions(), storage: disk)
      for _ in 0..<2 { _ = try dead.write { try $0.createNode(labels: ["N"]) } }
      recovered = Self.committedFrames(dead)
    }
    let hooked = WALReadHook(disk: disk)
    let reader = try Database.open(Self.path, options: .readOnly, storage: hooked)
    #expect(try Self.published(reader) == nil)

    // During the reader's next scan a writer opens: it places its mark at
    // the recovered frames, writes its first commit (unsynced: `.off`), and
    // is held at the sync of its open's checkpoint.
    let writerHeld = DispatchSemaphore(value: 0)
    let releaseWriter = DispatchSemaphore(value: 0)
    let walSyncs = Atomic<Int>(0)
    disk.beforeSync = { path in
      guard path.hasSuffix(".wal"), walSyncs.add(1, ordering: .relaxed).newValue == 2 else { return }
      writerHeld.signal()
      releaseWriter.wait()
    }
    let opened = Mutex<Result<Database, SombraError>?>(nil)
    let framesInWAL = Mutex<Int?>(nil)
    let writerThread = Mutex<BlockingWorkThread?>(nil)
    var unsynced = OpenOptions()
    unsynced.sync = .off
    let options = unsynced
    hooked.arm {
      let thread = try? BlockingWorkThread {
        do {
          let db = try Database.open(Self.path, options: options, storage: disk)
          opened.withLock { $0 = .success(db) }
        } catch {
          opened.withLock { $0 = .failure(error as? SombraError ?? SombraError(.misuse, "\(error)")) }
        }
      }
      writerThread.withLock { $0 = thread }
      _ = writerHeld.wait(timeout: .now() + hangBound)
      let written = try? WALScanner.scan(disk.open(Self.path + ".wal", .readOnly), pageSize: reader.pageSize).committed.count
      framesInWAL.withLock { $0 = written }
    }
    #expect(try reader.read { try $0.nodeCount } == 2)
    #expect(hooked.fired, "the reader's scan did not run into the writer's open")
    let adopted = reader.pager.lock.withLock { $0.committedFrames }
    #expect((framesInWAL.withLock { $0 } ?? 0) > recovered, "the opening writer had committed past its mark")
    #expect(adopted == recovered, "the reader took the opening writer's unsynced commit")
    releaseWriter.signal()
    writerThread.withLock { $0 }?.join()
    disk.beforeSync = nil
    guard case .success(let writer)? = opened.withLock({ $0 }) else {
      Issue.record("the writer's open failed: \(String(describing: opened.withLock { $0 }))")
      return
    }
    try reader.close()
    try writer.close()
  }

  /// A database whose first commit is written but not durable has nothing
  /// another process may read yet.
  @Test func aNewDatabaseWhoseFirstCommitIsNotDurableIsNotOpenedReadOnly() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.sync = .off
    let db = try Database.open(Self.path, options: options, storage: disk)
    #expect(Self.committedFrames(db) > 0, "the open's first commit is in the WAL")
    let error = #expect(throws: SombraError.self) { try Database.open(Self.path, options: .readOnly, storage: disk) }
    #expect(error?.code == .notASombraFile)
    #expect(error?.message.contains("not durable") == true)
    try db.close()
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try reader.read { try $0.nodeCount } == 0)
    try reader.close()
  }
}

/// A simulated disk whose WAL, opened read-only, runs a hook once (when armed)
/// just before its first read of a frame.
final class WALReadHook: ForwardingStorageSystem, @unchecked Sendable {
  // @unchecked: `hook` and `ran` are guarded by `state`.
  let disk: SimulatedDisk
  var base: any StorageSystem { disk }
  private let state = Mutex<(hook: (@Sendable () -> Void)?, ran: Bool)>((nil, false))

  init(disk: SimulatedDisk) { self.disk = disk }

  func arm(_ hook: @escaping @Sendable () -> Void) { state.withLock { $0.hook = hook } }
  var fired: Bool { state.withLock { $0.ran } }

  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let file = try disk.open(path, mode)
    return path.hasSuffix(".wal") && mode == .readOnly ? HookedWAL(file, owner: self) : file
  }

  fileprivate func beforeFrameRead() {
    let hook = state.withLock { state -> (@Sendable () -> Void)? in
      guard let hook = state.hook, !state.ran else { return nil }
      state.ran = true
      return hook
    }
    hook?()
  }

  private final class HookedWAL: ForwardingStorageFile, @unchecked Sendable {
    let file: any StorageFile
    let owner: WALReadHook
    init(_ file: any StorageFile, owner: WALReadHook) {
      self.file = file
      self.owner = owner
    }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
      if offset >= UInt64(WALFormat.headerSize) { owner.beforeFrameRead() }
      return try file.read(into: buffer, at: offset)
    }
  }
}
