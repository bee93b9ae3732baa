#if canImport(Glibc)
  import Glibc
#endif

/// Where durable commits wait for the `fdatasync` that covers them (group
/// commit).
///
/// A commit under `SyncMode.full` writes its frames, hands the writer gate on
/// and only then waits here, so the next write transaction runs while this one
/// waits for the disk. One waiter at a time (the leader) syncs the WAL; its
/// sync covers every commit written before it started, so the commits that
/// queued up meanwhile return after one more sync between them, not one each.
/// Commits are known by their transaction number (the header's change
/// counter), which only grows. A checkpoint syncs the WAL here too, as a
/// waiter for the newest commit: WAL syncs never run side by side, and after
/// a failed one no later sync makes anything durable (the kernel may have
/// dropped the pages the failed one was writing and report the next clean).
final class SyncGroup: @unchecked Sendable {
  // @unchecked: `durable`, `syncing` and `failure` are guarded by `mutex`.
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let changed: UnsafeMutablePointer<pthread_cond_t>
  /// Signalled when a commit is written (a leader may be waiting for it).
  private let written: UnsafeMutablePointer<pthread_cond_t>
  /// Commits written so far (a leader compares it before and after waiting).
  private var writtenCount: UInt64 = 0
  /// The newest transaction known durable.
  private var durable: UInt64 = 0
  /// Whether a leader is syncing (outside the mutex).
  private var syncing = false
  /// The error of a failed sync: every later wait fails with it (the pager is
  /// poisoned then, and no commit after it can become durable).
  private var failure: Error?

  init() {
    mutex = .allocate(capacity: 1)
    changed = .allocate(capacity: 1)
    written = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(changed, nil)
    // Timed waits measure against the monotonic clock.
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(written, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(written)
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(mutex)
    written.deallocate()
    changed.deallocate()
    mutex.deallocate()
  }

  /// Returns once `transaction` is durable. When nobody is syncing, the caller
  /// leads: it runs `sync`, which syncs the WAL and returns the newest
  /// transaction written before the sync started. Otherwise it waits for the
  /// running sync and looks again.
  func wait(for transaction: UInt64, sync: () throws -> UInt64) throws {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while durable < transaction {
      if let failure { throw failure }
      if syncing {
        pthread_cond_wait(changed, mutex)
        continue
      }
      syncing = true
      pthread_mutex_unlock(mutex)
      let outcome = Result { try sync() }
      pthread_mutex_lock(mutex)
      syncing = false
      switch outcome {
      case .success(let covered): durable = max(durable, covered)
      case .failure(let error): failure = error
      }
      pthread_cond_broadcast(changed)
    }
  }

  /// Notes that a commit was written (and published to the next writer).
  func noteWritten() {
    pthread_mutex_lock(mutex)
    writtenCount &+= 1
    pthread_cond_signal(written)
    pthread_mutex_unlock(mutex)
  }

  /// For a leader about to sync: while `busy()` says another commit is being
  /// written, waits for it, until `deadline` (monotonic nanoseconds). A sync
  /// started just before that commit is written would leave it a sync of its
  /// own; waiting lets one sync serve both.
  func waitForWriters(while busy: () -> Bool, until deadline: UInt64) {
    while busy() {
      let now = monotonicNanoseconds()
      guard now < deadline else { return }
      pthread_mutex_lock(mutex)
      let seen = writtenCount
      var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
      while writtenCount == seen && monotonicNanoseconds() < deadline {
        if pthread_cond_timedwait(written, mutex, &until) == ETIMEDOUT { break }
      }
      pthread_mutex_unlock(mutex)
    }
  }

  /// Waits until no leader is syncing (before the WAL file is closed).
  func waitUntilIdle() {
    pthread_mutex_lock(mutex)
    while syncing { pthread_cond_wait(changed, mutex) }
    pthread_mutex_unlock(mutex)
  }
}
