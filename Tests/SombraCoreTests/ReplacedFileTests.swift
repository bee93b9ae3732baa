import Dispatch
import Glibc
import Synchronization
import Testing

@testable import SombraCore

/// A writer waiting for the lock while the holder renames a new file over the
/// path (what a vacuum does) must end up with the new file, not the old inode.
@Suite struct ReplacedFileTests {
  @Test func aWriterWaitingForTheLockOpensTheFileThatNowHasThePath() throws {
    let dir = try StorageScratchDirectory()
    defer { dir.remove() }
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
    DispatchQueue.global().async {
      defer { done.signal() }
      var options = OpenOptions()
      options.lockTimeout = 20
      do {
        let waiter = try Database.open(path, options: options)
        let count = try waiter.read { try $0.count(label: "New") }
        try waiter.close()
        result.withLock { $0 = .success(count) }
      } catch let error as SombraError {
        result.withLock { $0 = .failure(error) }
      } catch {
        result.withLock { $0 = .failure(SombraError(.misuse, "\(error)")) }
      }
    }
    usleep(200_000)  // the waiter is polling for the writer lock by now
    #expect(rename(replacement, path) == 0)
    try holder.close()
    done.wait()
    let outcome = result.withLock { $0 }
    #expect(outcome == .success(2), "the waiter must open the renamed file: \(String(describing: outcome))")
  }
}
