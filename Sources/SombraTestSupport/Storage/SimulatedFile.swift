import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A handle on a `SimulatedDisk` inode: it follows the file, not the path it
/// was opened by (a rename or unlink of the path does not affect it).
final class SimulatedFile: StorageFile, @unchecked Sendable {
  // @unchecked: immutable apart from `closed`, which only `close` sets.
  let disk: SimulatedDisk
  let inode: SimulatedDisk.Inode
  let path: String
  let writable: Bool
  private var closed = false

  init(disk: SimulatedDisk, inode: SimulatedDisk.Inode, path: String, writable: Bool) {
    self.disk = disk
    self.inode = inode
    self.path = path
    self.writable = writable
  }

  deinit { close() }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    try disk.read(inode, path: path, into: buffer, at: offset)
  }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
    guard writable else { throw SombraError.io("pwrite", errno: EBADF, path: path) }
    try disk.write(inode, path: path, bytes, at: offset)
  }

  func sync() throws { try disk.sync(inode, path: path) }
  func identity() throws -> FileIdentity { FileIdentity(device: 0, inode: inode) }
  func size() throws -> UInt64 { try disk.size(inode, path: path) }

  func truncate(to size: UInt64) throws {
    guard writable else { throw SombraError.io("ftruncate", errno: EBADF, path: path) }
    try disk.truncate(inode, path: path, to: size)
  }

  func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool {
    if mode == .exclusive && !writable { throw SombraError.io("fcntl", errno: EBADF, path: path) }
    let deadline = monotonicSeconds() + (wait ? 3600 : 0)
    while true {
      if disk.lock(inode, owner: ObjectIdentifier(self), range, mode) { return true }
      if monotonicSeconds() >= deadline { return false }
      usleep(1000)
    }
  }

  func unlock(_ range: LockRange) throws {
    disk.unlock(inode, owner: ObjectIdentifier(self), range)
  }

  func firstLock(in range: LockRange) throws -> (start: UInt64, mode: LockMode)? {
    disk.firstLock(inode, except: ObjectIdentifier(self), in: range)
  }

  func close() {
    if closed { return }
    closed = true
    disk.unlock(inode, owner: ObjectIdentifier(self), nil)
  }
}
