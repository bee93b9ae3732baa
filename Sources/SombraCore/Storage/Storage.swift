/// The storage protocol: everything the engine does to files goes through
/// these two protocols (reads and writes, syncs, locks, and the directory
/// operations of vacuum and salvage), and so does what the tools do to a
/// database and the files beside it (repair's backups and the copy that
/// recover keeps of a damaged database and its WAL, `StorageSystem+Copy.swift`;
/// the verify metrics file), so tests can inject faults and simulate power
/// loss. The shell's `.import` and `.export` of text files, its file-name
/// completion and its history file, and the fixture and benchmark programs use
/// the C library directly.
///
/// Implementations: `POSIXStorage.swift`, the real file system and the only
/// file of the engine that makes file-system calls; in the `SombraTestSupport`
/// target (the engine ships no test doubles), `SimulatedDisk`, in memory, with
/// injected faults, failed syncs, and power loss that drops or tears unsynced
/// writes, and wrappers that change one call of either.
///
/// Contract:
/// 1. `read` fills as much of the buffer as the file holds at that offset and
///    returns the count; a short count means end of file, never an error.
/// 2. `write` writes every byte or throws; after a throw, what reached the file
///    is unknown.
/// 3. Bytes are durable only after `sync` returns. A failed `sync` leaves the
///    durability of every earlier write unknown (the handle must be poisoned):
///    Linux may drop the unwritten pages and report the failure once, so a
///    later `sync` can succeed without them (`SimulatedDisk` model, 5).
/// 4. Locks are byte-range advisory locks owned by the open file (not the process),
///    so two handles in one process conflict exactly like two processes.
package protocol StorageFile: AnyObject, Sendable {
  var path: String { get }
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int
  func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws
  /// fdatasync: the file's data (and size) reach stable storage.
  func sync() throws
  func size() throws -> UInt64
  func truncate(to size: UInt64) throws
  /// Takes a lock on `range`; returns false when `wait` is false and it is held
  /// elsewhere in a conflicting mode.
  func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool
  func unlock(_ range: LockRange) throws
  /// The lock with the lowest offset that another open file holds in `range`
  /// (shared or exclusive), or nil: a look that takes nothing.
  func firstLock(in range: LockRange) throws -> (start: UInt64, mode: LockMode)?
  func close()
  /// Which file this handle has open (device and inode), to tell whether the
  /// path still names it: a vacuum may rename a new file over the path.
  func identity() throws -> FileIdentity
}

/// A file's identity on its file system.
package struct FileIdentity: Sendable, Hashable {
  package let device: UInt64
  package let inode: UInt64

  package init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }
}

package enum LockMode: Sendable { case shared, exclusive }

/// A byte range of the database file used only as a lock (never written).
package struct LockRange: Sendable, Hashable {
  package let start: UInt64
  package let length: UInt64

  /// Held exclusively by the one read-write handle for its whole life.
  package static let writer = LockRange(start: 1 << 40, length: 1)
  /// Held shared by every read-only handle's read transaction; taken exclusively
  /// by a checkpoint before it overwrites main-file pages or resets the WAL.
  package static let readers = LockRange(start: (1 << 40) + 1, length: 1)
  /// Held exclusively by a checkpoint while it waits for `readers`: new read
  /// transactions of read-only handles yield to it (`Pager+ReaderYield.swift`).
  package static let checkpointWaiting = LockRange(start: (1 << 40) + 2, length: 1)
  /// Where the read-write handle publishes its durable point: it holds one
  /// byte at `durableMarks.start + n` exclusively, n being the frames of the
  /// current WAL generation that a sync has covered (`Pager+DurableMark.swift`).
  package static let durableMarks = LockRange(start: 1 << 41, length: 1 << 32)

  /// The durable mark at `frames` (0 ..< 2^32).
  package static func durableMark(_ frames: Int) -> LockRange {
    LockRange(start: durableMarks.start + UInt64(UInt32(clamping: frames)), length: 1)
  }
}

package enum OpenMode: Sendable {
  /// Read and write; create the file (empty) when it does not exist.
  case readWriteCreate
  /// Read and write an existing file.
  case readWrite
  /// Read only; the file must exist.
  case readOnly
  /// Read and write a file this call creates; fails when the path exists
  /// (`O_EXCL`: a backup or temporary file never overwrites anything).
  case createNew
}

/// Opening files and the directory operations around them.
///
/// Directory entries (a file created, renamed, linked or removed) are durable
/// only once `syncDirectory` of their directory returns: a power loss before it
/// may undo the change, whatever happened to the file's contents.
package protocol StorageSystem: Sendable {
  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile
  func exists(_ path: String) -> Bool
  /// The size of the file `path` names, nil when there is none.
  func size(of path: String) -> UInt64?
  /// `rename(2)`: atomically makes `target` name the file `source` names,
  /// replacing what `target` named (same directory, or at least file system).
  func rename(_ source: String, over target: String) throws
  /// `link(2)`: a second name for an existing file; fails when `newPath` exists
  /// or the file system has no hard links (the caller may copy instead).
  func link(_ existing: String, as newPath: String) throws
  /// `unlink(2)`: removes the name; open handles keep the file. A missing
  /// file is not an error. Returns whether a name was removed.
  @discardableResult
  func remove(_ path: String) throws -> Bool
  /// fsync of the directory that holds `path`, so a created, renamed, linked or
  /// removed entry is durable.
  func syncDirectory(of path: String) throws
  /// Bytes available to this process on the file system holding `path`
  /// (statvfs `f_bavail * f_frsize` of its directory), for health checks and
  /// the free-space check of vacuum.
  func availableBytes(at path: String) throws -> UInt64
  /// The identity of the file the path names now, or nil when there is none.
  func identity(of path: String) -> FileIdentity?
}

/// Paths as the storage layer sees them.
package enum StoragePath {
  /// The directory holding `path` (`.` for a bare name, `/` for a name in the root).
  package static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}

extension StorageFile {
  /// Reads exactly `buffer.count` bytes or throws `corruption` (truncated file).
  package func readExactly(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, what: @autoclosure () -> String) throws
  {
    let n = try read(into: buffer, at: offset)
    if n != buffer.count {
      throw SombraError.corruption(
        "\(what()) is truncated: \(n) of \(buffer.count) bytes at offset \(offset)", offset: offset, path: path)
    }
  }
}
