#if canImport(Glibc)
  import Glibc
#endif

/// The directory-level syscalls of the maintenance operations (vacuum's atomic
/// replace, backups, the free-space check), in one place: EINTR retried, errno
/// captured into `SombraError.io` with the syscall and path.
///
/// Everything that reads or writes file contents goes through `StorageSystem`
/// except `copy`, which streams a file into a new one created with `O_EXCL` (a
/// backup never overwrites anything) and fsyncs it before returning.
package enum FileOperations {
  /// `rename(2)`: atomically replaces `target` with `source` (same file system).
  package static func rename(_ source: String, over target: String) throws {
    guard Glibc.rename(source, target) == 0 else { throw SombraError.io("rename", errno: errno, path: target) }
  }

  /// `link(2)`: a second name for an existing file; fails when `newPath` exists.
  package static func link(_ existing: String, as newPath: String) throws {
    guard Glibc.link(existing, newPath) == 0 else { throw SombraError.io("link", errno: errno, path: newPath) }
  }

  /// `unlink(2)`; a missing file is not an error. Returns whether one was removed.
  @discardableResult
  package static func remove(_ path: String) throws -> Bool {
    if Glibc.unlink(path) == 0 { return true }
    let e = errno
    if e == ENOENT { return false }
    throw SombraError.io("unlink", errno: e, path: path)
  }

  /// The size of a regular file, nil when it does not exist.
  package static func size(of path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt64(clamping: st.st_size)
  }

  package static func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
  }

  /// The directory holding `path` (`.` for a bare name).
  package static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// Bytes an unprivileged process may still write on the file system holding `path`.
  package static func availableBytes(near path: String) throws -> UInt64 {
    var fs = statvfs()
    let dir = directory(of: path)
    guard statvfs(dir, &fs) == 0 else { throw SombraError.io("statvfs", errno: errno, path: dir) }
    let (bytes, overflow) = UInt64(fs.f_bavail).multipliedReportingOverflow(by: UInt64(fs.f_frsize))
    return overflow ? UInt64.max : bytes
  }

  /// fsync of the directory holding `path`.
  package static func syncDirectory(of path: String) throws {
    try POSIXStorageSystem().syncDirectory(of: path)
  }

  /// Whether two files hold the same bytes (false when either cannot be read).
  package static func identical(_ a: String, _ b: String) -> Bool {
    let storage = POSIXStorageSystem()
    guard let first = try? storage.open(a, .readOnly) else { return false }
    defer { first.close() }
    guard let second = try? storage.open(b, .readOnly) else { return false }
    defer { second.close() }
    guard let size = try? first.size(), (try? second.size()) == size else { return false }
    let chunk = 1 << 20
    var left = [UInt8](repeating: 0, count: chunk)
    var right = [UInt8](repeating: 0, count: chunk)
    var offset: UInt64 = 0
    while offset < size {
      let n = (try? left.withUnsafeMutableBytes { try first.read(into: $0, at: offset) }) ?? -1
      let m = (try? right.withUnsafeMutableBytes { try second.read(into: $0, at: offset) }) ?? -2
      guard n == m, n > 0, left[0..<n] == right[0..<m] else { return false }
      offset += UInt64(n)
    }
    return true
  }

  /// Copies `source` into a new file `target` (created exclusively, mode 0644),
  /// fsyncs it and its directory. A partial copy is removed when anything fails.
  package static func copy(_ source: String, to target: String) throws {
    let input = try POSIXStorageSystem().open(source, .readOnly)
    defer { input.close() }
    let fd = Glibc.open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SombraError.io("open", errno: errno, path: target) }
    var done = false
    defer {
      _ = Glibc.close(fd)
      if !done { _ = Glibc.unlink(target) }
    }
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buffer.deallocate() }
    var offset: UInt64 = 0
    while true {
      let n = try input.read(into: buffer, at: offset)
      if n == 0 { break }
      var written = 0
      while written < n {
        guard let base = buffer.baseAddress else { break }
        let rc = Glibc.write(fd, base + written, n - written)
        if rc < 0 {
          if errno == EINTR { continue }
          throw SombraError.io("write", errno: errno, path: target, offset: offset + UInt64(written))
        }
        written += rc
      }
      offset += UInt64(n)
    }
    var rc: Int32
    repeat { rc = fsync(fd) } while rc < 0 && errno == EINTR
    guard rc == 0 else { throw SombraError.io("fsync", errno: errno, path: target) }
    try syncDirectory(of: target)
    done = true
  }
}
