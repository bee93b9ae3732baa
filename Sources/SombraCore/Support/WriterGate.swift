#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

/// Admits one write transaction at a time within a process. A counting
/// semaphore rather than a mutex, because an explicit transaction (the REPL's
/// `begin` ... `commit`) may end on a different thread than it began.
package final class WriterGate: @unchecked Sendable {
  // @unchecked: the sem_t is only touched through sem_* calls, which are thread-safe.
  private let semaphore: UnsafeMutablePointer<sem_t>
  /// Callers inside `enter` now.
  private let waiting = Atomic<Int>(0)

  package init() {
    semaphore = .allocate(capacity: 1)
    sem_init(semaphore, 0, 1)
  }

  deinit {
    sem_destroy(semaphore)
    semaphore.deallocate()
  }

  /// Waits for the gate; with a timeout in seconds, returns false when it passes.
  package func enter(timeout: Double? = nil) -> Bool {
    waiting.add(1, ordering: .relaxed)
    defer { waiting.subtract(1, ordering: .relaxed) }
    guard let timeout else {
      while sem_wait(semaphore) != 0 { if errno != EINTR { return false } }
      return true
    }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let wholeSeconds = Int(min(timeout, 1e9))
    let nanos = Int((timeout - Double(wholeSeconds)) * 1e9) + now.tv_nsec
    var deadline = timespec(tv_sec: now.tv_sec + wholeSeconds + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
    while sem_timedwait(semaphore, &deadline) != 0 {
      if errno != EINTR { return false }
    }
    return true
  }

  /// Enters only when nobody is inside.
  package func tryEnter() -> Bool { sem_trywait(semaphore) == 0 }

  package func leave() { sem_post(semaphore) }

  /// Whether somebody is inside (a moment's answer: only a hint).
  package var isHeld: Bool {
    var value: Int32 = 0
    sem_getvalue(semaphore, &value)
    return value <= 0
  }

  /// How many callers are waiting in `enter` (a moment's answer: a test waits
  /// for a writer to be queued behind another this way).
  package var waiters: Int { waiting.load(ordering: .relaxed) }
}

/// Monotonic seconds, for timeouts and durations.
package func monotonicSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
