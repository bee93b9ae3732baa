import SombraCore

/// Storage that forwards everything to `base` and reports each lock attempt
/// on a file it opened (path, range, whether it was granted) to `attempted`,
/// after the attempt. A test learns from it what it cannot see from outside:
/// that an open is polling for the writer lock, or how many tries it made.
package final class LockWatch: ForwardingStorageSystem {
  package let base: any StorageSystem
  fileprivate let attempted: @Sendable (_ path: String, _ range: LockRange, _ granted: Bool) -> Void

  package init(
    _ base: any StorageSystem = POSIXStorageSystem(),
    attempted: @escaping @Sendable (_ path: String, _ range: LockRange, _ granted: Bool) -> Void
  ) {
    self.base = base
    self.attempted = attempted
  }

  package func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    WatchedFile(try base.open(path, mode), watch: self)
  }
}

private final class WatchedFile: ForwardingStorageFile {
  let file: any StorageFile
  let watch: LockWatch

  init(_ file: any StorageFile, watch: LockWatch) {
    self.file = file
    self.watch = watch
  }

  func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool {
    let granted = try file.lock(range, mode, wait: wait)
    watch.attempted(file.path, range, granted)
    return granted
  }
}
