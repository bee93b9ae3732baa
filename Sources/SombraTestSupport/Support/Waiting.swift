import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// How long a test waits for something that must happen before it calls the
/// test failed: long enough that no machine, however loaded, takes it, so
/// the bound only ends a test that would otherwise hang.
package let hangBound = 120.0

/// Waits until `condition` holds, looking again every millisecond, and
/// returns true; returns false only when `timeout` seconds pass first.
///
/// For state a test can observe but not be told about (another thread's
/// progress, a file another process creates). The timeout bounds a hang; it
/// never decides a result that a working engine could miss on a slow machine.
@discardableResult
package func waitUntil(timeout: Double = hangBound, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = monotonicSeconds() + timeout
  while try !condition() {
    if monotonicSeconds() >= deadline { return false }
    var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
    var left = timespec()
    while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
  }
  return true
}

/// Waits until the monotonic clock (`monotonicSeconds`) is past `instant`:
/// for behaviour that is about time (a deadline that must have passed), never
/// to let another thread get somewhere.
package func waitPast(_ instant: Double) {
  waitUntil(timeout: .infinity) { monotonicSeconds() > instant }
}
