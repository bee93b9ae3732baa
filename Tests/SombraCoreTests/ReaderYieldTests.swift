import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A read-only handle whose read transactions overlap (so that it always holds
/// the readers lock) must not stop every checkpoint for ever
/// (`Pager+ReaderYield.swift`), and `health()` says who holds the WAL.
@Suite struct ReaderYieldTests {
  static let path = "/db/yield.sombra"

  static func writer(on disk: SimulatedDisk, maxWALSize: UInt64 = 1 << 40, lockTimeout: Double = 3) throws -> Database {
    var options = OpenOptions()
    options.lockTimeout = lockTimeout
    options.autoCheckpointInterval = nil
    options.maxWALSize = maxWALSize
    let db = try Database.open(path, options: options, storage: disk)
    for i in 0..<20 { _ = try db.write { try $0.createNode(labels: ["N"], properties: ["i": .int(Int64(i))]) } }
    return db
  }

  @Test func overlappingReadTransactionsOfAReadOnlyHandleDoNotStarveAFullCheckpoint() throws {
    let disk = SimulatedDisk()
    // The checkpoint may wait as long as it takes: only the yield ends its wait.
    let db = try Self.writer(on: disk, lockTimeout: hangBound)
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    let stop = Atomic<Bool>(false)
    let reads = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    // Held open until the checkpoint waits: the handle holds the readers lock
    // however the threads' transactions fall.
    let pinned = try reader.beginRead()
    // Three threads whose read transactions overlap: one is always open, so
    // the handle never lets go of the readers lock on its own.
    let threads = try (0..<3).map { offset in
      try BlockingWorkThread {
        usleep(UInt32(offset * 3_000))
        while !stop.load(ordering: .acquiring) {
          do {
            _ = try reader.read { tx in
              usleep(9_000)
              return try tx.nodeIDs(label: "N").count
            }
            reads.add(1, ordering: .relaxed)
          } catch {
            failures.add(1, ordering: .relaxed)
          }
        }
      }
    }
    #expect(waitUntil { reads.load(ordering: .relaxed) >= 3 }, "the readers never read")
    #expect(try db.checkpoint(.passive).busy, "the readers hold the lock")
    let outcome = Mutex<Result<CheckpointResult, SombraError>?>(nil)
    let checkpointer = try BlockingWorkThread {
      do {
        let result = try db.checkpoint(.full)
        outcome.withLock { $0 = .success(result) }
      } catch {
        outcome.withLock { $0 = .failure(error as? SombraError ?? SombraError(.misuse, "\(error)")) }
      }
    }
    // The checkpoint shows that it waits for the readers lock.
    let probe = try disk.open(Self.path, .readOnly)
    defer { probe.close() }
    #expect(waitUntil { ((try? probe.firstLock(in: .checkpointWaiting)) ?? nil) != nil }, "the checkpoint never waited")
    pinned.end()
    checkpointer.join()
    let readsAfter = reads.load(ordering: .relaxed)
    #expect(waitUntil { reads.load(ordering: .relaxed) >= readsAfter + 3 }, "the readers stopped reading")
    stop.store(true, ordering: .releasing)
    threads.forEach { $0.join() }
    guard case .success(let result)? = outcome.withLock({ $0 }) else {
      Issue.record("the full checkpoint failed: \(String(describing: outcome.withLock { $0 }))")
      return
    }
    #expect(result.walReset, "the checkpoint copied and reset the WAL")
    #expect(failures.load(ordering: .relaxed) == 0)
    try reader.close()
    try db.close()
  }

  @Test func healthSaysReadersInAnotherHandleHoldTheWAL() throws {
    let disk = SimulatedDisk()
    let db = try Self.writer(on: disk, maxWALSize: 16 << 10, lockTimeout: 0.3)
    let reader = try Database.open(Self.path, options: .readOnly, storage: disk)
    let open = try reader.beginRead()
    // The reader's transaction holds the readers lock: the WAL grows past its
    // size, and the checkpoints the commits run give up (after a short wait).
    for _ in 0..<3 { _ = try db.write { try $0.createNode(labels: ["Late"]) } }
    let busy = #expect(throws: SombraError.self) { try db.checkpoint(.full) }
    #expect(busy?.code == .busy)
    let wal = try #require(db.health().checks.first { $0.name == "wal_size" })
    #expect(wal.status != .healthy)
    #expect(wal.message.contains("read-only handles (other processes) hold the readers lock"), "\(wal.message)")
    open.end()
    #expect(try db.checkpoint(.full).walReset)
    #expect(try #require(db.health().checks.first { $0.name == "wal_size" }).status == .healthy)
    try reader.close()
    try db.close()
  }
}
