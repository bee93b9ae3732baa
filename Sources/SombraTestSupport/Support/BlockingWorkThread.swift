import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A POSIX thread of its own, for work that blocks (a write transaction
/// waiting for the disk, a call waiting for a lock): a dispatch queue or the
/// cooperative pool runs only as many at once as there are cores.
package final class BlockingWorkThread: Sendable {
  private final class Body {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
  }

  private let thread: pthread_t

  /// Starts `body` on a new thread.
  package init(_ body: @escaping @Sendable () -> Void) throws {
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
      &thread, nil,
      { raw in
        guard let raw else { return nil }
        Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
        return nil
      }, context)
    guard rc == 0 else {
      Unmanaged<Body>.fromOpaque(context).release()
      throw SombraError.io("pthread_create", errno: rc, path: nil)
    }
    self.thread = thread
  }

  /// Waits for the body to return.
  package func join() { pthread_join(thread, nil) }
}
