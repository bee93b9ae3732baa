#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

/// An in-memory disk for tests: fault injection at the Nth call and power-loss
/// simulation.
///
/// Model:
/// 1. Each file has `live` bytes (what reads see) and `durable` bytes (what
///    survives power loss): `sync` makes live durable. Writes and truncations since
///    the last sync are kept in order as `pending`.
/// 2. Every write, sync and truncate is an operation with a number (1, 2, ...),
///    counted across all files. A `Fault` fires at its operation number: the call
///    fails with EIO or ENOSPC, a write is cut short (a prefix lands, then EIO), a
///    sync fails (nothing more becomes durable), or the power is lost (the call
///    and every later one fails; the disk is frozen).
/// 3. `afterPowerLoss` gives the disk a machine would find on reboot: the durable
///    bytes, plus, depending on the mode, none, all, or a seeded random choice of
///    the pending operations, random writes torn at a random byte.
/// 4. Directory entries (create) are durable at once; locks behave like
///    open-file-description locks: per handle, shared or exclusive, by range.
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
    case dropUnsynced
    case keepAll
    case random(seed: UInt64)
  }

  enum Pending {
    case write(offset: Int, bytes: [UInt8])
    case truncate(Int)
  }

  struct FileState {
    var live: [UInt8] = []
    var durable: [UInt8] = []
    var pending: [Pending] = []
  }

  struct HeldLock {
    let owner: ObjectIdentifier
    let range: LockRange
    let mode: LockMode
  }

  let lock = Mutex<Void>(())
  var files: [String: FileState] = [:]
  var locks: [String: [HeldLock]] = [:]
  /// Operations performed so far (writes, syncs, truncates).
  package private(set) var operations = 0
  var faults: [Int: Fault] = [:]
  private var syncHook: (@Sendable (String) -> Void)?
  var readFaults: [Int: Fault] = [:]
  var readCount = 0
  package private(set) var poweredOff = false
  /// Every operation so far: its number, system call and file.
  package private(set) var log: [(number: Int, call: String, path: String)] = []

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

  /// The bytes a reader would see now.
  package func contents(_ path: String) -> [UInt8]? {
    lock.withLock { _ in files[path]?.live }
  }

  /// Replaces a file's bytes, live and durable (corruption tests).
  package func setContents(_ path: String, _ bytes: [UInt8]) {
    lock.withLock { _ in files[path] = FileState(live: bytes, durable: bytes, pending: []) }
  }

  package func remove(_ path: String) {
    lock.withLock { _ in _ = files.removeValue(forKey: path) }
  }

  /// The disk a reboot after power loss now would find.
  package func afterPowerLoss(_ mode: Recovery) -> SimulatedDisk {
    let copy = SimulatedDisk()
    lock.withLock { _ in
      var rng = mode.seed.map { SplitMix64(seed: $0) }
      for (path, state) in files {
        var bytes = state.durable
        for op in state.pending {
          switch mode {
          case .dropUnsynced: continue
          case .keepAll: apply(op, to: &bytes)
          case .random:
            guard var r = rng else { continue }
            defer { rng = r }
            guard r.next() % 2 == 0 else { continue }
            if case .write(let offset, let data) = op, r.next() % 3 == 0, data.count > 1 {
              let cut = Int(r.next() % UInt64(data.count))
              apply(.write(offset: offset, bytes: Array(data[..<cut])), to: &bytes)
            } else {
              apply(op, to: &bytes)
            }
          }
        }
        copy.files[path] = FileState(live: bytes, durable: bytes, pending: [])
      }
    }
    return copy
  }

  private func apply(_ op: Pending, to bytes: inout [UInt8]) {
    switch op {
    case .write(let offset, let data):
      if bytes.count < offset + data.count { bytes.append(contentsOf: [UInt8](repeating: 0, count: offset + data.count - bytes.count)) }
      bytes.replaceSubrange(offset..<offset + data.count, with: data)
    case .truncate(let size):
      if size < bytes.count { bytes.removeSubrange(size...) } else { bytes.append(contentsOf: [UInt8](repeating: 0, count: size - bytes.count)) }
    }
  }

  // MARK: StorageSystem

  package func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("open", errno: EIO, path: path) }
      if files[path] == nil {
        guard mode == .readWriteCreate else { throw SombraError(.notFound, "no such file", path: path, syscall: "open", errno: ENOENT) }
        files[path] = FileState()
      }
    }
    return SimulatedFile(disk: self, path: path, writable: mode != .readOnly)
  }

  package func identity(of path: String) -> FileIdentity? {
    lock.withLock { _ in files[path] != nil } ? FileIdentity(device: 0, inode: UInt64(truncatingIfNeeded: path.hashValue)) : nil
  }

  package func exists(_ path: String) -> Bool {
    lock.withLock { _ in files[path] != nil }
  }

  package func syncDirectory(of path: String) throws {
    try lock.withLock { _ in if poweredOff { throw SombraError.io("fsync", errno: EIO, path: path) } }
  }

  // MARK: Operations (called by SimulatedFile)

  /// Counts an operation and returns the fault scheduled for it. Call under `lock`.
  private func nextOperation(_ path: String, _ syscall: String) throws -> Fault? {
    if poweredOff { throw SombraError.io(syscall, errno: EIO, path: path) }
    operations += 1
    log.append((operations, syscall, path))
    guard let fault = faults.removeValue(forKey: operations) else { return nil }
    switch fault {
    case .powerLoss:
      poweredOff = true
      throw SombraError.io(syscall, errno: EIO, path: path)
    case .eio where syscall != "pwrite":
      throw SombraError.io(syscall, errno: EIO, path: path)
    case .enospc where syscall != "pwrite":
      throw SombraError.io(syscall, errno: ENOSPC, path: path)
    default:
      return fault
    }
  }

  func read(_ path: String, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("pread", errno: EIO, path: path) }
      readCount += 1
      if readFaults.removeValue(forKey: readCount) != nil { throw SombraError.io("pread", errno: EIO, path: path, offset: offset) }
      guard let bytes = files[path]?.live else { throw SombraError.io("pread", errno: EBADF, path: path) }
      guard offset < UInt64(bytes.count) else { return 0 }
      let start = Int(offset)
      let n = min(buffer.count, bytes.count - start)
      bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + n])) }
      return n
    }
  }

  func write(_ path: String, _ data: UnsafeRawBufferPointer, at offset: UInt64) throws {
    try lock.withLock { _ in
      let fault = try nextOperation(path, "pwrite")
      guard var state = files[path] else { throw SombraError.io("pwrite", errno: EBADF, path: path) }
      guard offset < 1 << 40 else { throw SombraError.io("pwrite", errno: EFBIG, path: path) }
      var bytes = Array(data)
      switch fault {
      case .enospc?: throw SombraError.io("pwrite", errno: ENOSPC, path: path, offset: offset)
      case .eio?: throw SombraError.io("pwrite", errno: EIO, path: path, offset: offset)
      case .shortWrite?: bytes = Array(bytes.prefix(bytes.count / 2))
      default: break
      }
      let op = Pending.write(offset: Int(offset), bytes: bytes)
      apply(op, to: &state.live)
      state.pending.append(op)
      files[path] = state
      if fault == .shortWrite { throw SombraError.io("pwrite", errno: EIO, path: path, offset: offset + UInt64(bytes.count)) }
    }
  }

  /// Runs before every sync with the file's path, outside the disk's lock:
  /// a test can hold a sync there and look at what happens meanwhile.
  package var beforeSync: (@Sendable (String) -> Void)? {
    get { lock.withLock { _ in syncHook } }
    set { lock.withLock { _ in syncHook = newValue } }
  }

  func sync(_ path: String) throws {
    if let hook = beforeSync { hook(path) }
    try lock.withLock { _ in
      let fault = try nextOperation(path, "fdatasync")
      if fault == .syncFailure || fault == .eio { throw SombraError.io("fdatasync", errno: EIO, path: path) }
      guard var state = files[path] else { return }
      state.durable = state.live
      state.pending.removeAll()
      files[path] = state
    }
  }

  func truncate(_ path: String, to size: UInt64) throws {
    try lock.withLock { _ in
      _ = try nextOperation(path, "ftruncate")
      guard var state = files[path] else { return }
      let op = Pending.truncate(Int(size))
      apply(op, to: &state.live)
      state.pending.append(op)
      files[path] = state
    }
  }

  func size(_ path: String) throws -> UInt64 {
    try lock.withLock { _ in
      if poweredOff { throw SombraError.io("fstat", errno: EIO, path: path) }
      return UInt64(files[path]?.live.count ?? 0)
    }
  }

  func lock(_ path: String, owner: ObjectIdentifier, _ range: LockRange, _ mode: LockMode) -> Bool {
    lock.withLock { _ in
      var held = locks[path, default: []]
      let conflict = held.contains { $0.owner != owner && $0.range == range && ($0.mode == .exclusive || mode == .exclusive) }
      if conflict { return false }
      held.removeAll { $0.owner == owner && $0.range == range }
      held.append(HeldLock(owner: owner, range: range, mode: mode))
      locks[path] = held
      return true
    }
  }

  /// Drops the owner's locks inside `range` (all of them for nil).
  func unlock(_ path: String, owner: ObjectIdentifier, _ range: LockRange?) {
    lock.withLock { _ in locks[path]?.removeAll { held in held.owner == owner && (range?.contains(held.range) ?? true) } }
  }

  /// The lowest lock another owner holds that overlaps `range`.
  func firstLock(_ path: String, except owner: ObjectIdentifier, in range: LockRange) -> (start: UInt64, mode: LockMode)? {
    lock.withLock { _ in
      locks[path, default: []]
        .filter { $0.owner != owner && $0.range.overlaps(range) }
        .min { $0.range.start < $1.range.start }
        .map { ($0.range.start, $0.mode) }
    }
  }
}

/// A handle on a `SimulatedDisk` file.
final class SimulatedFile: StorageFile, @unchecked Sendable {
  // @unchecked: immutable apart from `closed`, which only `close` sets.
  let disk: SimulatedDisk
  let path: String
  let writable: Bool
  private var closed = false

  init(disk: SimulatedDisk, path: String, writable: Bool) {
    self.disk = disk
    self.path = path
    self.writable = writable
  }

  deinit { close() }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    try disk.read(path, into: buffer, at: offset)
  }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
    guard writable else { throw SombraError.io("pwrite", errno: EBADF, path: path) }
    try disk.write(path, bytes, at: offset)
  }

  func sync() throws { try disk.sync(path) }
  func identity() throws -> FileIdentity { FileIdentity(device: 0, inode: UInt64(truncatingIfNeeded: path.hashValue)) }
  func size() throws -> UInt64 { try disk.size(path) }

  func truncate(to size: UInt64) throws {
    guard writable else { throw SombraError.io("ftruncate", errno: EBADF, path: path) }
    try disk.truncate(path, to: size)
  }

  func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool {
    if mode == .exclusive && !writable { throw SombraError.io("fcntl", errno: EBADF, path: path) }
    let deadline = monotonicSeconds() + (wait ? 3600 : 0)
    while true {
      if disk.lock(path, owner: ObjectIdentifier(self), range, mode) { return true }
      if monotonicSeconds() >= deadline { return false }
      usleepSeconds(0.001)
    }
  }

  func unlock(_ range: LockRange) throws {
    disk.unlock(path, owner: ObjectIdentifier(self), range)
  }

  func firstLock(in range: LockRange) throws -> (start: UInt64, mode: LockMode)? {
    disk.firstLock(path, except: ObjectIdentifier(self), in: range)
  }

  func close() {
    if closed { return }
    closed = true
    disk.unlock(path, owner: ObjectIdentifier(self), nil)
  }
}

/// splitmix64 (the benchmark workload's generator): the seeded source of every
/// randomized test and power-loss choice, so a failing seed can be replayed.
package struct SplitMix64: RandomNumberGenerator {
  package var state: UInt64
  package init(seed: UInt64) { state = seed }
  package mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
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

extension SimulatedDisk.Recovery {
  var seed: UInt64? {
    if case .random(let s) = self { return s }
    return nil
  }
}
