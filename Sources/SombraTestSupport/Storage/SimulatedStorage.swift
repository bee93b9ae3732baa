import SombraCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// An in-memory disk for tests: fault injection at the Nth call and power-loss
/// simulation, with the failure semantics of Linux file systems.
///
/// Model:
/// 1. Files are inodes; paths are directory entries naming them. A handle
///    refers to its inode, so it keeps working after the name is renamed over or
///    removed (the old file of a vacuum, an unlinked WAL), as on POSIX.
/// 2. Each inode has `live` bytes (what reads see) and `durable` bytes (what
///    survives power loss). Writes and truncations since the last sync are kept
///    in order as `pending`; `sync` applies them to `durable`.
/// 3. Directory entries (create, rename, link, unlink) are durable only after
///    `syncDirectory` of their directory: until then each directory keeps its
///    entry changes in order, and a power loss may undo them (below).
/// 4. Every write, sync, truncate and directory operation (create, rename,
///    link, unlink, directory sync) is an operation with a number (1, 2, ...),
///    counted across all files. A `Fault` fires at its operation number: the
///    call fails with EIO or ENOSPC (rename, unlink and a directory sync with
///    EIO whatever the fault), a write is cut short (a prefix lands, then EIO),
///    a sync fails (any fault at a sync), or the power is lost (the call and
///    every later read, write, sync, truncate, open, file size and directory
///    operation fail; the disk is frozen). A short write or sync failure
///    scheduled at a truncate does nothing. Reads are not operations:
///    `injectReadError` fails the Nth read with EIO.
/// 5. A failed sync behaves as Linux does after a failed writeback: the file's
///    pending writes are dropped (they will not survive a power loss) while
///    live reads still show them; the error is reported once, and the next sync
///    of the file succeeds without making the dropped writes durable. Pending
///    truncations are metadata, not pages: they stay pending for the next sync.
///    A failed directory sync makes no entry durable.
/// 6. `afterPowerLoss` gives the disk a machine would find on reboot, from the
///    durable entries and bytes plus, by `Recovery` model, none, all, or a seeded
///    choice of what was pending: `random` keeps or drops each pending write
///    whole or cuts it at a random byte; `sectors` keeps any subset of each
///    pending write's 512-byte sectors (a disk tears between sectors, never inside
///    one). Each directory's unsynced entry changes survive as a prefix, in order
///    (none, all, or a random prefix), as a journaling file system commits them.
/// 7. Locks behave like open-file-description locks: per handle, shared or
///    exclusive, on a byte range of the inode. A lock conflicts with another
///    handle's lock on the same range (the engine's ranges are fixed and never
///    partly overlap); `firstLock` finds any that overlaps.
package final class SimulatedDisk: StorageSystem, @unchecked Sendable {
  // @unchecked: all mutable state is guarded by `lock`.
  package enum Fault: Sendable, Equatable {
    case eio
    case enospc
    case shortWrite
    case syncFailure
    case powerLoss
  }

  package enum Recovery: Sendable {
    /// Only what was synced: durable bytes and synced directory entries.
    case dropUnsynced
    /// Everything pending reached the disk (but not writes a failed sync dropped).
    case keepAll
    /// Each pending write dropped, kept, or cut at a random byte; a random
    /// prefix of each directory's entry changes.
    case random(seed: UInt64)
    /// Each pending write survives as a random subset of its 512-byte sectors;
    /// a random prefix of each directory's entry changes.
    case sectors(seed: UInt64)
  }

  /// The unit a disk writes atomically.
  package static let sectorSize = 512

  typealias Inode = UInt64

  enum Pending {
    case write(offset: Int, bytes: [UInt8])
    case truncate(Int)
  }

  struct FileState {
    var live: [UInt8] = []
    var durable: [UInt8] = []
    var pending: [Pending] = []
  }

  /// One directory operation's effect on the entries of one directory: each
  /// name now names the inode, or nothing.
  typealias EntryChange = [(name: String, inode: Inode?)]

  struct HeldLock {
    let owner: ObjectIdentifier
    let range: LockRange
    let mode: LockMode
  }

  let lock = Mutex<Void>(())
  var inodes: [Inode: FileState] = [:]
  /// Entries as reads see them.
  var names: [String: Inode] = [:]
  /// Entries as of each directory's last sync.
  var durableNames: [String: Inode] = [:]
  /// Per directory, the entry changes since its last sync, in order.
  var unsyncedEntries: [String: [EntryChange]] = [:]
  var nextInode: Inode = 1
  var locks: [Inode: [HeldLock]] = [:]
  /// Operations performed so far (see the model, 4).
  package private(set) var operations = 0
  var faults: [Int: Fault] = [:]
  private var syncHook: (@Sendable (String) -> Void)?
  private var linksSupported = true
  private var free: UInt64 = 1 << 40
  var readFaults: [Int: Fault] = [:]
  var readCount = 0
  package private(set) var poweredOff = false
  /// Every operation so far: its number, system call and path.
  package private(set) var log: [(number: Int, call: String, path: String)] = []
  /// The file each write, sync and truncation went to, by operation number.
  private var fileOfOperation: [Int: Inode] = [:]

  package init() {}

  /// Schedules `fault` at operation number `operation` (1-based, counted from now on
  /// the running total).
  package func inject(_ fault: Fault, atOperation operation: Int) {
    lock.withLock { _ in faults[operation] = fault }
  }

  /// Schedules EIO on the Nth read from now.
  package func injectReadError(atRead read: Int) {
    lock.withLock { _ in readFaults[readCount + read] = .eio }
  }

  package func clearFaults() {
    lock.withLock { _ in
      faults.removeAll()
      readFaults.removeAll()
    }
  }

  /// Whether `link` works (false: it fails with EPERM, as on file systems
  /// without hard links).
  package var hardLinks: Bool {
    get { lock.withLock { _ in linksSupported } }
    set { lock.withLock { _ in linksSupported = newValue } }
  }

  /// What `availableBytes` reports (1 TiB unless a test sets it).
  package var freeBytes: UInt64 {
    get { lock.withLock { _ in free } }
    set { lock.withLock { _ in free = newValue } }
  }

  /// The bytes a reader would see now.
  package func contents(_ path: String) -> [UInt8]? {
    lock.withLock { _ in names[path].flatMap { inodes[$0]?.live } }
  }

  /// The bytes that would survive a power loss now, if its entry does.
  package func durableContents(_ path: String) -> [UInt8]? {
    lock.withLock { _ in names[path].flatMap { inodes[$0]?.durable } }
  }

  /// Operations that wrote to, synced or truncated the file `path` names now,
  /// whatever path its handle was opened by.
  package func operations(onFileAt path: String) -> [Int] {
    lock.withLock { _ in
      guard let inode = names[path] else { return [] }
      return fileOfOperation.filter { $0.value == inode }.keys.sorted()
    }
  }

  /// The paths that name a file now, sorted.
  package var paths: [String] {
    lock.withLock { _ in names.keys.sorted() }
  }

  /// Replaces a file's bytes, live and durable, creating it durably when it is
  /// missing (test setup; not an operation).
  package func setContents(_ path: String, _ bytes: [UInt8]) {
    lock.withLock { _ in
      let inode = names[path] ?? newInode()
      inodes[inode] = FileState(live: bytes, durable: bytes, pending: [])
      names[path] = inode
      durableNames[path] = inode
    }
  }

  /// Removes a file at once, durably (test setup; not an operation).
  package func delete(_ path: String) {
    lock.withLock { _ in
      names[path] = nil
      durableNames[path] = nil
    }
  }

  /// A fresh inode. Call under `lock`.
  private func newInode() -> Inode {
    defer { nextInode += 1 }
    inodes[nextInode] = FileState()
    return nextInode
  }

  /// Records a change of entries (one directory operation). Call under `lock`.
  private func change(_ entries: EntryChange) {
    var byDirectory: [String: EntryChange] = [:]
    for entry in entries {
      names[entry.name] = entry.inode
      byDirectory[StoragePath.directory(of: entry.name), default: []].append(entry)
    }
    for (directory, part) in byDirectory { unsyncedEntries[directory, default: []].append(part) }
  }

  // MARK: StorageSystem

  package func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let inode = try lock.withLock { _ -> Inode in
      if poweredOff { throw SombraError.io("open", errno: EIO, path: path) }
      if let inode = names[path] {
        if mode == .createNew { throw SombraError.io("open", errno: EEXIST, path: path) }
        return inode
      }
      guard mode == .readWriteCreate || mode == .createNew else {
        throw SombraError(.notFound, "no such file", path: path, syscall: "open", errno: ENOENT)
      }
      if let fault = try nextOperation(path, "open(O_CREAT)") {
        throw SombraError.io("open", errno: fault == .enospc ? ENOSPC : EIO, path: path)
      }
      let inode = newInode()
      change([(path, inode)])
      return inode
    }
    return SimulatedFile(disk: self, inode: inode, path: path, writable: mode != .readOnly)
  }

  package func identity(of path: String) -> FileIdentity? {
    lock.withLock { _ in names[path].map { FileIdentity(device: 0, inode: $0) } }
  }

  package func exists(_ path: String) -> Bool {
    lock.withLock { _ in names[path] != nil }
  }

  package func size(of path: String) -> UInt64? {
    lock.withLock { _ in names[path].flatMap { inodes[$0] }.map { UInt64($0.live.count) } }
  }

  package func rename(_ source: String, over target: String) throws {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("rename", errno: EIO, path: target) }
      guard let inode = names[source] else { throw SombraError.io("rename", errno: ENOENT, path: source) }
      if try nextOperation(target, "rename") != nil { throw SombraError.io("rename", errno: EIO, path: target) }
      change(source == target ? [] : [(target, inode), (source, nil)])
    }
  }

  package func link(_ existing: String, as newPath: String) throws {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("link", errno: EIO, path: newPath) }
      guard linksSupported else { throw SombraError.io("link", errno: EPERM, path: newPath) }
      guard let inode = names[existing] else { throw SombraError.io("link", errno: ENOENT, path: existing) }
      guard names[newPath] == nil else { throw SombraError.io("link", errno: EEXIST, path: newPath) }
      if let fault = try nextOperation(newPath, "link") {
        throw SombraError.io("link", errno: fault == .enospc ? ENOSPC : EIO, path: newPath)
      }
      change([(newPath, inode)])
    }
  }

  @discardableResult
  package func remove(_ path: String) throws -> Bool {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("unlink", errno: EIO, path: path) }
      guard names[path] != nil else { return false }
      if try nextOperation(path, "unlink") != nil { throw SombraError.io("unlink", errno: EIO, path: path) }
      change([(path, nil)])
      return true
    }
  }

  package func syncDirectory(of path: String) throws {
    let directory = StoragePath.directory(of: path)
    try lock.withLock { _ in
      if try nextOperation(directory, "fsync(dir)") != nil { throw SombraError.io("fsync", errno: EIO, path: directory) }
      for entries in unsyncedEntries.removeValue(forKey: directory) ?? [] {
        for entry in entries { durableNames[entry.name] = entry.inode }
      }
    }
  }

  /// `freeBytes`, the same for every path.
  package func availableBytes(at path: String) throws -> UInt64 {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("statvfs", errno: EIO, path: path) }
      return free
    }
  }

  // MARK: Operations (called by SimulatedFile)

  /// Counts an operation and returns the fault scheduled for it; a power loss
  /// or an EIO or ENOSPC on anything but a write throws here. Call under `lock`.
  private func nextOperation(_ path: String, _ syscall: String) throws -> Fault? {
    if poweredOff { throw SombraError.io(syscall, errno: EIO, path: path) }
    operations += 1
    log.append((operations, syscall, path))
    guard let fault = faults.removeValue(forKey: operations) else { return nil }
    switch fault {
    case .powerLoss:
      poweredOff = true
      throw SombraError.io(syscall, errno: EIO, path: path)
    case .eio where syscall == "ftruncate":
      throw SombraError.io(syscall, errno: EIO, path: path)
    case .enospc where syscall == "ftruncate":
      throw SombraError.io(syscall, errno: ENOSPC, path: path)
    default:
      return fault
    }
  }

  func read(_ inode: Inode, path: String, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("pread", errno: EIO, path: path) }
      readCount += 1
      if readFaults.removeValue(forKey: readCount) != nil {
        throw SombraError.io("pread", errno: EIO, path: path, offset: offset)
      }
      guard let bytes = inodes[inode]?.live else { throw SombraError.io("pread", errno: EBADF, path: path) }
      guard offset < UInt64(bytes.count) else { return 0 }
      let start = Int(offset)
      let n = min(buffer.count, bytes.count - start)
      bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + n])) }
      return n
    }
  }

  func write(_ inode: Inode, path: String, _ data: UnsafeRawBufferPointer, at offset: UInt64) throws {
    try lock.withLock { _ in
      let fault = try nextOperation(path, "pwrite")
      fileOfOperation[operations] = inode
      guard inodes[inode] != nil else { throw SombraError.io("pwrite", errno: EBADF, path: path) }
      guard offset < 1 << 40 else { throw SombraError.io("pwrite", errno: EFBIG, path: path) }
      var bytes = Array(data)
      switch fault {
      case .enospc?: throw SombraError.io("pwrite", errno: ENOSPC, path: path, offset: offset)
      case .eio?, .syncFailure?: throw SombraError.io("pwrite", errno: EIO, path: path, offset: offset)
      case .shortWrite?: bytes = Array(bytes.prefix(bytes.count / 2))
      default: break
      }
      let op = Pending.write(offset: Int(offset), bytes: bytes)
      // In place (`default:` is never used): a copy of the state would copy
      // the whole file at every write.
      Self.apply(op, to: &inodes[inode, default: FileState()].live)
      inodes[inode, default: FileState()].pending.append(op)
      if fault == .shortWrite { throw SombraError.io("pwrite", errno: EIO, path: path, offset: offset + UInt64(bytes.count)) }
    }
  }

  /// Runs before every sync with the file's path, outside the disk's lock:
  /// a test can hold a sync there and look at what happens meanwhile.
  package var beforeSync: (@Sendable (String) -> Void)? {
    get { lock.withLock { _ in syncHook } }
    set { lock.withLock { _ in syncHook = newValue } }
  }

  func sync(_ inode: Inode, path: String) throws {
    if let hook = beforeSync { hook(path) }
    try lock.withLock { _ in
      let fault = try nextOperation(path, "fdatasync")
      fileOfOperation[operations] = inode
      guard let pending = inodes[inode]?.pending else { return }
      if let fault {
        // The writeback failed: the pages are clean again without having
        // reached the disk; a truncation (metadata) waits for the next sync
        // (model, 5).
        inodes[inode, default: FileState()].pending.removeAll { if case .write = $0 { true } else { false } }
        throw SombraError.io("fdatasync", errno: fault == .enospc ? ENOSPC : EIO, path: path)
      }
      inodes[inode, default: FileState()].pending.removeAll()
      for op in pending { Self.apply(op, to: &inodes[inode, default: FileState()].durable) }
    }
  }

  func truncate(_ inode: Inode, path: String, to size: UInt64) throws {
    try lock.withLock { _ in
      _ = try nextOperation(path, "ftruncate")
      fileOfOperation[operations] = inode
      guard inodes[inode] != nil else { return }
      let op = Pending.truncate(Int(size))
      Self.apply(op, to: &inodes[inode, default: FileState()].live)
      inodes[inode, default: FileState()].pending.append(op)
    }
  }

  func size(_ inode: Inode, path: String) throws -> UInt64 {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("fstat", errno: EIO, path: path) }
      return UInt64(inodes[inode]?.live.count ?? 0)
    }
  }

  func lock(_ inode: Inode, owner: ObjectIdentifier, _ range: LockRange, _ mode: LockMode) -> Bool {
    lock.withLock { _ in
      var held = locks[inode, default: []]
      let conflict = held.contains { $0.owner != owner && $0.range == range && ($0.mode == .exclusive || mode == .exclusive) }
      if conflict { return false }
      held.removeAll { $0.owner == owner && $0.range == range }
      held.append(HeldLock(owner: owner, range: range, mode: mode))
      locks[inode] = held
      return true
    }
  }

  /// Drops the owner's locks inside `range` (all of them for nil).
  func unlock(_ inode: Inode, owner: ObjectIdentifier, _ range: LockRange?) {
    lock.withLock { _ in locks[inode]?.removeAll { held in held.owner == owner && (range?.contains(held.range) ?? true) } }
  }

  /// The lowest lock another owner holds that overlaps `range`.
  func firstLock(_ inode: Inode, except owner: ObjectIdentifier, in range: LockRange) -> (start: UInt64, mode: LockMode)? {
    lock.withLock { _ in
      locks[inode, default: []]
        .filter { $0.owner != owner && $0.range.overlaps(range) }
        .min { $0.range.start < $1.range.start }
        .map { ($0.range.start, $0.mode) }
    }
  }

  static func apply(_ op: Pending, to bytes: inout [UInt8]) {
    switch op {
    case .write(let offset, let data):
      if bytes.count < offset + data.count {
        bytes.append(contentsOf: [UInt8](repeating: 0, count: offset + data.count - bytes.count))
      }
      bytes.replaceSubrange(offset..<offset + data.count, with: data)
    case .truncate(let size):
      if size < bytes.count {
        bytes.removeSubrange(size...)
      } else {
        bytes.append(contentsOf: [UInt8](repeating: 0, count: size - bytes.count))
      }
    }
  }
}

extension LockRange {
  /// Whether every byte of `other` is in this range.
  func contains(_ other: LockRange) -> Bool {
    other.start >= start && other.start + other.length <= start + length
  }

  func overlaps(_ other: LockRange) -> Bool {
    other.start < start + length && start < other.start + other.length
  }
}
