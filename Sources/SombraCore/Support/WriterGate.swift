import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Admits one write transaction at a time within a process, and keeps what
/// only the one admitted may touch (`Held`). A counting semaphore rather than
/// a mutex, because an explicit transaction (the REPL's `begin` ... `commit`)
/// may end on a different thread than it began.
///
/// Entering returns a `Pass`, the only way to reach the held value; leaving
/// consumes it. A pass cannot be copied, so at most one exists at a time: the
/// holder's, which may hand it to another thread (a transaction taken over
/// after its timeout) but never share it.
package final class WriterGate<Held: ~Copyable>: @unchecked Sendable {
  // @unchecked: the sem_t is only touched through sem_* calls, which are
  // thread-safe; `held` only through the one live `Pass`, which the semaphore
  // hands out (its wait and post order the holders' accesses).
  private let semaphore: UnsafeMutablePointer<sem_t>
  private let held: UnsafeMutablePointer<Held>
  /// Callers inside `enter` now.
  private let waiting = Atomic<Int>(0)

  package init(_ initial: consuming Held) {
    semaphore = .allocate(capacity: 1)
    sem_init(semaphore, 0, 1)
    held = .allocate(capacity: 1)
    held.initialize(to: initial)
  }

  deinit {
    held.deinitialize(count: 1)
    held.deallocate()
    sem_destroy(semaphore)
    semaphore.deallocate()
  }

  /// Proof of being inside the gate, and the way to what it keeps.
  package struct Pass: ~Copyable, Sendable {
    fileprivate let gate: WriterGate<Held>

    /// What only the holder touches.
    package var held: Held {
      _read { yield gate.held.pointee }
      nonmutating _modify { yield &gate.held.pointee }
    }

    /// Leaves the gate; the next one waiting enters.
    package consuming func leave() { sem_post(gate.semaphore) }

    /// Runs `body` inside the gate, then leaves it, whether `body` returned
    /// or threw.
    package consuming func leave<R, E: Error>(after body: (borrowing Self) throws(E) -> R) throws(E) -> R {
      let outcome = Result<R, E> { () throws(E) -> R in try body(self) }
      leave()
      return try outcome.get()
    }
  }

  /// Waits for the gate; with a timeout in seconds, returns nil when it passes.
  package func enter(timeout: Double? = nil) -> Pass? {
    waiting.add(1, ordering: .relaxed)
    defer { waiting.subtract(1, ordering: .relaxed) }
    guard let timeout else {
      while sem_wait(semaphore) != 0 { if errno != EINTR { return nil } }
      return Pass(gate: self)
    }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let wholeSeconds = Int(min(timeout, 1e9))
    let nanos = Int((timeout - Double(wholeSeconds)) * 1e9) + now.tv_nsec
    var deadline = timespec(tv_sec: now.tv_sec + wholeSeconds + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
    while sem_timedwait(semaphore, &deadline) != 0 {
      if errno != EINTR { return nil }
    }
    return Pass(gate: self)
  }

  /// Enters only when nobody is inside.
  package func tryEnter() -> Pass? { sem_trywait(semaphore) == 0 ? Pass(gate: self) : nil }

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
