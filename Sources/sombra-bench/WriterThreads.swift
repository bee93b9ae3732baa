import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body` on `count` POSIX threads of their own and returns once every
/// one has returned. A dispatch queue or the cooperative pool runs only as
/// many at once as there are cores, and a writer waiting for the disk needs
/// none. When a thread cannot be started, those already running are still
/// waited for before the error is thrown.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable () -> Void) throws {
  final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  var started: [pthread_t] = []
  defer { for thread in started { pthread_join(thread, nil) } }
  for _ in 0..<count {
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
      &thread, nil,
      { raw in
        if let raw { Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body() }
        return nil
      }, context)
    guard rc == 0 else {
      Unmanaged<Box>.fromOpaque(context).release()
      throw SombraError.io("pthread_create", errno: rc, path: nil)
    }
    started.append(thread)
  }
}
