#if canImport(Glibc)
  import Glibc
#endif

/// The storage protocol (`Storage.swift`) on the real file system: the one file
/// of the engine that makes file-system calls (its other system calls read
/// clocks, sleep, and run threads).
///
/// - pread and pwrite loop until the whole length is transferred: a read stops
///   early only at the end of the file (a short count, not an error), and a
///   write that transfers nothing fails with EIO.
/// - Those and open, fdatasync, ftruncate, the directory fsync, statvfs and the
///   fcntl lock calls retry `EINTR`; rename, link, unlink, stat and fstat are
///   made once.
/// - A failed call throws `SombraError.io` with the system call, errno and path
///   (and the offset, for pread and pwrite), except where the failure has a
///   meaning of its own: opening a missing file is `notFound`, opening a
///   directory `invalidArgument`, an offset or size beyond `off_t`
///   `invalidArgument`; unlinking a missing file returns false, and so does
///   taking a lock held elsewhere without `wait` (with it, the lock is tried
///   again every millisecond: the waiting fcntl cannot time out). `exists`,
///   `size(of:)` and `identity(of:)` answer false or nil when stat fails,
///   whatever the reason.
/// - Every descriptor is opened `O_CLOEXEC`.
///
/// Locks are open-file-description locks (`F_OFD_SETLK`), which belong to the
/// open file rather than the process: a second handle in the same process
/// conflicts, and closing one descriptor does not drop another's locks (classic
/// POSIX record locks fail on both counts).
package struct POSIXStorageSystem: StorageSystem {
  package init() {}

  package func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let flags: Int32
    switch mode {
    case .readWriteCreate: flags = O_RDWR | O_CREAT | O_CLOEXEC
    case .readWrite: flags = O_RDWR | O_CLOEXEC
    case .readOnly: flags = O_RDONLY | O_CLOEXEC
    case .createNew: flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC
    }
    var fd: Int32
    repeat { fd = Glibc.open(path, flags, 0o644) } while fd < 0 && Glibc.errno == EINTR
    guard fd >= 0 else {
      let e = Glibc.errno
      if e == ENOENT { throw SombraError(.notFound, "no such file", path: path, syscall: "open", errno: e) }
      // A directory opened for writing fails here (a read-only open fails below).
      if e == EISDIR {
        throw SombraError(.invalidArgument, "is a directory, not a database file", path: path, syscall: "open", errno: e)
      }
      throw SombraError.io("open", errno: e, path: path)
    }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
      _ = Glibc.close(fd)
      throw SombraError(.invalidArgument, "is a directory, not a database file", path: path)
    }
    return POSIXFile(fd: fd, path: path)
  }

  package func exists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
  }

  package func size(of path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt64(clamping: st.st_size)
  }

  package func identity(of path: String) -> FileIdentity? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }

  package func rename(_ source: String, over target: String) throws {
    guard Glibc.rename(source, target) == 0 else { throw SombraError.io("rename", errno: Glibc.errno, path: target) }
  }

  package func link(_ existing: String, as newPath: String) throws {
    guard Glibc.link(existing, newPath) == 0 else { throw SombraError.io("link", errno: Glibc.errno, path: newPath) }
  }

  @discardableResult
  package func remove(_ path: String) throws -> Bool {
    if Glibc.unlink(path) == 0 { return true }
    let e = Glibc.errno
    if e == ENOENT { return false }
    throw SombraError.io("unlink", errno: e, path: path)
  }

  package func syncDirectory(of path: String) throws {
    let dir = StoragePath.directory(of: path)
    var fd: Int32
    repeat { fd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } while fd < 0 && Glibc.errno == EINTR
    guard fd >= 0 else { throw SombraError.io("open", errno: Glibc.errno, path: dir) }
    defer { _ = Glibc.close(fd) }
    var rc: Int32
    repeat { rc = fsync(fd) } while rc < 0 && Glibc.errno == EINTR
    guard rc == 0 else { throw SombraError.io("fsync", errno: Glibc.errno, path: dir) }
  }

  package func availableBytes(at path: String) throws -> UInt64 {
    let dir = StoragePath.directory(of: path)
    var info = statvfs()
    var rc: Int32
    repeat { rc = statvfs(dir, &info) } while rc < 0 && Glibc.errno == EINTR
    guard rc == 0 else { throw SombraError.io("statvfs", errno: Glibc.errno, path: dir) }
    let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
    return overflow ? UInt64.max : bytes
  }
}

/// One open file descriptor.
package final class POSIXFile: StorageFile, @unchecked Sendable {
  // @unchecked: `fd` is immutable after init except in `close`, which the owner
  // calls once after every other use has ended (the pager's lifecycle).
  private var fd: Int32
  package let path: String

  // Linux open-file-description lock commands (fcntl.h, _GNU_SOURCE).
  private static let F_OFD_GETLK: Int32 = 36
  private static let F_OFD_SETLK: Int32 = 37

  init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
  }

  deinit { close() }

  /// `offset + done` as a file position, or `invalidArgument` past what off_t holds.
  private func filePosition(_ offset: UInt64, plus done: Int) throws -> off_t {
    let (sum, overflow) = offset.addingReportingOverflow(UInt64(done))
    guard !overflow, let position = off_t(exactly: sum) else {
      throw SombraError(.invalidArgument, "offset \(offset) is beyond what this system can address", path: path)
    }
    return position
  }

  package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    var done = 0
    while done < buffer.count {
      let position = try filePosition(offset, plus: done)
      let n = pread(fd, base + done, buffer.count - done, position)
      if n < 0 {
        if Glibc.errno == EINTR { continue }
        throw SombraError.io("pread", errno: Glibc.errno, path: path, offset: offset)
      }
      if n == 0 { break }
      done += n
    }
    return done
  }

  package func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
      let position = try filePosition(offset, plus: done)
      let n = pwrite(fd, base + done, bytes.count - done, position)
      if n < 0 {
        if Glibc.errno == EINTR { continue }
        throw SombraError.io("pwrite", errno: Glibc.errno, path: path, offset: offset)
      }
      if n == 0 { throw SombraError.io("pwrite", errno: EIO, path: path, offset: offset) }
      done += n
    }
  }

  package func sync() throws {
    var rc: Int32
    repeat { rc = fdatasync(fd) } while rc < 0 && Glibc.errno == EINTR
    guard rc == 0 else { throw SombraError.io("fdatasync", errno: Glibc.errno, path: path) }
  }

  package func identity() throws -> FileIdentity {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw SombraError.io("fstat", errno: Glibc.errno, path: path) }
    return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }

  package func size() throws -> UInt64 {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw SombraError.io("fstat", errno: Glibc.errno, path: path) }
    return UInt64(max(0, st.st_size))
  }

  package func truncate(to size: UInt64) throws {
    guard let length = off_t(exactly: size) else {
      throw SombraError(.invalidArgument, "size \(size) is beyond what this system can address", path: path)
    }
    var rc: Int32
    repeat { rc = ftruncate(fd, length) } while rc < 0 && Glibc.errno == EINTR
    guard rc == 0 else { throw SombraError.io("ftruncate", errno: Glibc.errno, path: path) }
  }

  package func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool {
    // F_OFD_SETLKW cannot time out; callers that wait poll with wait: false.
    var fl = flock()
    fl.l_type = Int16(mode == .shared ? F_RDLCK : F_WRLCK)
    fl.l_whence = Int16(SEEK_SET)
    fl.l_start = off_t(range.start)
    fl.l_len = off_t(range.length)
    fl.l_pid = 0
    while true {
      let rc = fcntl(fd, Self.F_OFD_SETLK, &fl)
      if rc == 0 { return true }
      let e = Glibc.errno
      if e == EINTR { continue }
      if e == EAGAIN || e == EACCES {
        if !wait { return false }
        usleep(1000)
        continue
      }
      throw SombraError.io("fcntl(F_OFD_SETLK)", errno: e, path: path)
    }
  }

  package func unlock(_ range: LockRange) throws {
    var fl = flock()
    fl.l_type = Int16(F_UNLCK)
    fl.l_whence = Int16(SEEK_SET)
    fl.l_start = off_t(range.start)
    fl.l_len = off_t(range.length)
    fl.l_pid = 0
    var rc: Int32
    repeat { rc = fcntl(fd, Self.F_OFD_SETLK, &fl) } while rc < 0 && Glibc.errno == EINTR
    guard rc == 0 else { throw SombraError.io("fcntl(F_UNLCK)", errno: Glibc.errno, path: path) }
  }

  package func firstLock(in range: LockRange) throws -> (start: UInt64, mode: LockMode)? {
    // F_OFD_GETLK reports one lock that would block the probe, not
    // necessarily the lowest: probe again below each hit until none is left.
    var found: (start: UInt64, mode: LockMode)?
    var end = range.start + range.length
    for _ in 0..<64 {
      guard end > range.start else { break }
      var fl = flock()
      fl.l_type = Int16(F_WRLCK)  // conflicts with any lock another open file holds
      fl.l_whence = Int16(SEEK_SET)
      fl.l_start = off_t(range.start)
      fl.l_len = off_t(end - range.start)
      fl.l_pid = 0
      var rc: Int32
      repeat { rc = fcntl(fd, Self.F_OFD_GETLK, &fl) } while rc < 0 && Glibc.errno == EINTR
      guard rc == 0 else { throw SombraError.io("fcntl(F_OFD_GETLK)", errno: Glibc.errno, path: path) }
      guard fl.l_type != Int16(F_UNLCK), let start = UInt64(exactly: fl.l_start) else { break }
      found = (start, fl.l_type == Int16(F_RDLCK) ? .shared : .exclusive)
      end = start
    }
    return found
  }

  package func close() {
    if fd >= 0 {
      _ = Glibc.close(fd)
      fd = -1
    }
  }
}
