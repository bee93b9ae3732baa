import SombraTestSupport

@testable import SombraCore

/// A seeded sequence of transactions and checkpoints ending in a clean close,
/// run against a `SimulatedDisk` that may fail or lose power at any operation.
/// It records the model state after every commit so a test can check what a
/// reopen finds against "some prefix of the commits".
struct Workload {
  static let path = "/db/crash.sombra"

  var seed: UInt64
  var commits = 10
  var sync: OpenOptions.SyncMode = .full
  /// Keys of the page store (`PageStore.keys` unless a test wants more pages).
  var keys = PageStore.keys
  /// How many keys each commit changes.
  var changes: ClosedRange<Int> = 1...6
  /// The WAL size that triggers a checkpoint after a commit.
  var maxWALSize: UInt64 = 60_000

  var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    o.cachePages = 16
    o.maxWALSize = maxWALSize
    o.sync = sync
    return o
  }

  struct Outcome {
    /// `states[i]` is the model after i commits.
    var states: [PageStore.State] = [[:]]
    /// Commits whose `commit()` returned.
    var returned = 0
    /// Commits started (`returned` or one more).
    var attempted = 0
    var error: Error?
    var database: Database?
    var closed = false
    /// Whether the failure (if any) happened inside `close()`.
    var closing = false
    /// The most WAL frames one commit wrote.
    var largestCommitFrames: UInt64 = 0

    /// Indices of states equal to `state` within the allowed range.
    func matches(_ state: PageStore.State, from low: Int) -> [Int] {
      guard low <= attempted else { return [] }
      return (low...attempted).filter { states[$0] == state }
    }
  }

  func run(on disk: SimulatedDisk) -> Outcome {
    var outcome = Outcome()
    var rng = SplitMix64(seed: seed)
    do {
      let db = try Database.open(Self.path, options: options, storage: disk)
      outcome.database = db
      var model: PageStore.State = [:]
      let modes: [CheckpointMode] = [.passive, .full, .truncate]
      for i in 0..<commits {
        let changes = PageStore.randomChanges(&rng, count: self.changes.lowerBound + rng.below(self.changes.count), keys: keys)
        let next = PageStore.applied(changes, to: model)
        outcome.states.append(next)
        outcome.attempted += 1
        let framesBefore = db.pager.lock.withLock { _ in db.pager.counters.framesWritten }
        try db.write { try PageStore.apply(changes, in: $0) }
        let frames = db.pager.lock.withLock { _ in db.pager.counters.framesWritten } - framesBefore
        outcome.largestCommitFrames = max(outcome.largestCommitFrames, frames)
        outcome.returned += 1
        model = next
        if i % 3 == 2 { try db.checkpoint(modes[(i / 3) % 3]) }
      }
      outcome.closing = true
      try db.close()
      outcome.closed = true
    } catch {
      outcome.error = error
    }
    return outcome
  }
}
