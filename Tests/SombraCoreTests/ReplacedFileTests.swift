import Dispatch
import Glibc
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// A vacuum renames a new file over the database's path. A writer waiting
/// for the lock meanwhile must end up with the new file, not the old inode;
/// a read-only handle must never read its old file together with the new
/// file's WAL.
@Suite struct ReplacedFileTests {
  @Test func aWriterWaitingForTheLockOpensTheFileThatNowHasThePath() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let replacement = dir.path + "/g.sombra.new"
    let holder = try Database.open(path)
    try holder.write { try $0.createNode(labels: ["Old"]) }
    let fresh = try Database.open(replacement)
    try fresh.write { tx in
      try tx.createNode(labels: ["New"])
      try tx.createNode(labels: ["New"])
    }
    try fresh.close()
    unlink(replacement + ".wal")

    let result = Mutex<Result<Int, SombraError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    // Signalled when the waiter, holding the old file open, first finds the
    // writer lock taken: it polls for the lock from then on.
    let polling = DispatchSemaphore(value: 0)
    let refusals = Atomic<Int>(0)
    let storage = LockWatch { _, range, granted in
      if range == .writer, !granted, refusals.add(1, ordering: .relaxed).newValue == 1 { polling.signal() }
    }
    DispatchQueue.global().async {
      defer { done.signal() }
      var options = OpenOptions()
      options.lockTimeout = hangBound
      do {
        let waiter = try Database.open(path, options: options, storage: storage)
        let count = try waiter.read { try $0.count(label: "New") }
        try waiter.close()
        result.withLock { $0 = .success(count) }
      } catch let error as SombraError {
        result.withLock { $0 = .failure(error) }
      } catch {
        result.withLock { $0 = .failure(SombraError(.misuse, "\(error)")) }
      }
    }
    #expect(polling.wait(timeout: .now() + hangBound) == .success, "the waiter never found the lock taken")
    #expect(rename(replacement, path) == 0)
    try holder.close()
    done.wait()
    let outcome = result.withLock { $0 }
    #expect(outcome == .success(2), "the waiter must open the renamed file: \(String(describing: outcome))")
  }

  /// The handle keeps the old file open, but the WAL beside the path is now
  /// the new file's: the next read transaction fails with `notFound`, saying
  /// to open the database again, which then reads the new file.
  @Test func aReadOnlyHandleWhoseFileWasReplacedFailsItsNextReadAndAReopenReadsTheNewFile() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let replacement = dir.path + "/g.sombra.new"
    let old = try Database.open(path)
    try old.write { try $0.createNode(labels: ["Old"]) }
    try old.close()
    #expect(unlink(path + ".wal") == 0, "a cleanly closed database is its main file alone")
    let reader = try Database.open(path, options: .readOnly)
    #expect(try reader.read { try $0.count(label: "Old") } == 1)

    // The new file, with commits in its WAL (its writer is still open).
    let fresh = try Database.open(replacement)
    try fresh.write { tx in
      for _ in 0..<3 { try tx.createNode(labels: ["New"]) }
    }
    #expect(rename(replacement, path) == 0)
    #expect(rename(replacement + ".wal", path + ".wal") == 0)

    let error = #expect(throws: SombraError.self) { try reader.read { try $0.nodeCount } }
    #expect(error?.code == .notFound)
    #expect(error?.message.contains("replaced") == true)
    #expect(error?.message.contains("open the database again") == true)
    #expect(error?.path == path)
    #expect(throws: SombraError.self, "it stays refused") { try reader.read { try $0.nodeCount } }
    try reader.close()

    let again = try Database.open(path, options: .readOnly)
    #expect(try again.read { [try $0.count(label: "New"), try $0.count(label: "Old")] } == [3, 0])
    try again.close()
    try fresh.close()
  }

  @Test func aReadOnlyHandleWhoseFileWasRemovedSaysSo() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    let db = try Database.open(path)
    try db.write { try $0.createNode(labels: ["Old"]) }
    try db.close()
    let reader = try Database.open(path, options: .readOnly)
    #expect(try reader.read { try $0.nodeCount } == 1)
    #expect(unlink(path) == 0)
    let error = #expect(throws: SombraError.self) { try reader.read { try $0.nodeCount } }
    #expect(error?.code == .notFound)
    #expect(error?.message.contains("removed") == true)
    try reader.close()
  }
}
