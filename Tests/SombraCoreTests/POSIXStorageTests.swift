import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The POSIX storage layer on real files: every test works in its own fresh
/// directory under /tmp and removes it at the end.
@Suite struct POSIXStorageTests {
  let system = POSIXStorageSystem()

  // MARK: Reading and writing

  @Test func bytesWrittenAtAnOffsetReadBackUnchanged() throws {
    let dir = try ScratchDirectory()
    let file = try system.open(dir.path + "/a", .readWriteCreate)
    defer { file.close() }
    let bytes: [UInt8] = Array(0..<200).map { UInt8($0) }
    try bytes.withUnsafeBytes { try file.write($0, at: 0) }
    try write([9, 8, 7], to: file, at: 100)
    #expect(try readAll(file, count: 200, at: 0) == Array(bytes[0..<100]) + [9, 8, 7] + Array(bytes[103..<200]))
    #expect(try readAll(file, count: 50, at: 150) == Array(bytes[150..<200]))
    #expect(try file.size() == 200)
  }

  @Test func aWriteBeyondTheEndGrowsTheFileAndTheGapReadsAsZeros() throws {
    let dir = try ScratchDirectory()
    let file = try system.open(dir.path + "/a", .readWriteCreate)
    defer { file.close() }
    try write([1, 2, 3, 4], to: file, at: 0)
    try write([5, 6], to: file, at: 10_000)
    #expect(try file.size() == 10_002)
    let all = try readAll(file, count: 10_002, at: 0)
    #expect(Array(all[0..<4]) == [1, 2, 3, 4])
    #expect(all[4..<10_000].allSatisfy { $0 == 0 })
    #expect(Array(all[10_000...]) == [5, 6])
  }

  @Test func aReadThatReachesTheEndReturnsTheShortCount() throws {
    let dir = try ScratchDirectory()
    let file = try system.open(dir.path + "/a", .readWriteCreate)
    defer { file.close() }
    let bytes: [UInt8] = Array(repeating: 0xAB, count: 100)
    try bytes.withUnsafeBytes { try file.write($0, at: 0) }

    var buffer = [UInt8](repeating: 0xEE, count: 50)
    let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 80) }
    #expect(n == 20)
    #expect(Array(buffer[0..<20]) == Array(repeating: 0xAB, count: 20))
    #expect(Array(buffer[20...]) == Array(repeating: 0xEE, count: 30), "bytes past the end are left alone")

    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 100) } == 0)
    #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 1 << 40) } == 0)
    var empty: [UInt8] = []
    #expect(try empty.withUnsafeMutableBytes { try file.read(into: $0, at: 0) } == 0)
  }

  @Test func readExactlyReportsATruncatedFileAsCorruption() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    let file = try system.open(path, .readWriteCreate)
    defer { file.close() }
    try write([1, 2, 3], to: file, at: 0)
    var buffer = [UInt8](repeating: 0, count: 8)
    let error = #expect(throws: SombraError.self) {
      try buffer.withUnsafeMutableBytes { try file.readExactly(into: $0, at: 0, what: "the test record") }
    }
    #expect(error == SombraError(.corruption, "the test record is truncated: 3 of 8 bytes at offset 0", path: path, offset: 0))
  }

  @Test func anOffsetBeyondWhatTheSystemCanAddressIsAnInvalidArgument() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    let file = try system.open(path, .readWriteCreate)
    defer { file.close() }
    let hostile = UInt64(Int64.max) + 1
    var buffer = [UInt8](repeating: 0, count: 4)
    let readError = #expect(throws: SombraError.self) {
      try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: hostile) }
    }
    #expect(readError == SombraError(.invalidArgument, "offset \(hostile) is beyond what this system can address", path: path))
    let writeError = #expect(throws: SombraError.self) {
      try buffer.withUnsafeBytes { try file.write($0, at: UInt64.max) }
    }
    #expect(
      writeError == SombraError(.invalidArgument, "offset \(UInt64.max) is beyond what this system can address", path: path))
    let truncateError = #expect(throws: SombraError.self) { try file.truncate(to: hostile) }
    #expect(truncateError == SombraError(.invalidArgument, "size \(hostile) is beyond what this system can address", path: path))
    #expect(try file.size() == 0, "nothing was written")
  }

  // MARK: Size, truncate, sync

  @Test func truncateShrinksAndGrowsTheFileAndGrownBytesReadAsZeros() throws {
    let dir = try ScratchDirectory()
    let file = try system.open(dir.path + "/a", .readWriteCreate)
    defer { file.close() }
    #expect(try file.size() == 0)
    try [UInt8](repeating: 7, count: 64).withUnsafeBytes { try file.write($0, at: 0) }
    #expect(try file.size() == 64)
    try file.truncate(to: 10)
    #expect(try file.size() == 10)
    try file.truncate(to: 30)
    #expect(try file.size() == 30)
    #expect(try readAll(file, count: 30, at: 0) == Array(repeating: 7, count: 10) + Array(repeating: 0, count: 20))
    try file.truncate(to: 0)
    #expect(try file.size() == 0)
  }

  @Test func syncSucceedsOnAWrittenFileAndOnItsDirectory() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    let file = try system.open(path, .readWriteCreate)
    defer { file.close() }
    try write([1, 2, 3], to: file, at: 0)
    try file.sync()
    try system.syncDirectory(of: path)
    #expect(try file.size() == 3)
  }

  @Test func syncingTheDirectoryOfAPathInAMissingDirectoryFailsWithENOENT() throws {
    let dir = try ScratchDirectory()
    let error = #expect(throws: SombraError.self) { try system.syncDirectory(of: dir.path + "/missing/a") }
    #expect(error == SombraError(.io, "no such file", path: dir.path + "/missing", syscall: "open", errno: ENOENT))
  }

  // MARK: Opening

  @Test func openingAMissingFileWithoutCreateThrowsNotFoundAndCreatesNothing() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/missing"
    for mode in [OpenMode.readOnly, .readWrite] {
      let error = #expect(throws: SombraError.self) { _ = try system.open(path, mode) }
      #expect(error == SombraError(.notFound, "no such file", path: path, syscall: "open", errno: ENOENT))
    }
    #expect(!system.exists(path))
    #expect(dir.entries() == [])
  }

  @Test func readWriteCreateCreatesAnEmptyFileAndKeepsAnExistingOne() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    #expect(!system.exists(path))
    let first = try system.open(path, .readWriteCreate)
    #expect(system.exists(path))
    #expect(try first.size() == 0)
    try write([4, 5], to: first, at: 0)
    first.close()
    let second = try system.open(path, .readWriteCreate)
    defer { second.close() }
    #expect(try readAll(second, count: 2, at: 0) == [4, 5])
    #expect(second.path == path)
  }

  @Test func openingADirectoryFailsInEveryModeWithAClearError() throws {
    let dir = try ScratchDirectory()
    for mode in [OpenMode.readOnly, .readWrite, .readWriteCreate] {
      let error = #expect(throws: SombraError.self) { _ = try system.open(dir.path, mode) }
      #expect(error?.code == .invalidArgument, "mode \(mode)")
      #expect(error?.message == "is a directory, not a database file", "mode \(mode)")
      #expect(error?.path == dir.path, "mode \(mode)")
    }
  }

  @Test func aDatabaseOpenOfADirectoryFailsWithAClearError() throws {
    let dir = try ScratchDirectory()
    for options in [OpenOptions(), .readOnly] {
      let error = #expect(throws: SombraError.self) { _ = try Database.open(dir.path, options: options) }
      #expect(error?.code == .invalidArgument)
      #expect(error?.message == "is a directory, not a database file")
    }
    #expect(dir.entries() == [], "no WAL was created beside it")
  }

  // MARK: Errors carry the syscall and errno

  @Test func writingThroughAReadOnlyHandleFailsWithEBADFAndThePath() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    let creator = try system.open(path, .readWriteCreate)
    try write([1, 2, 3], to: creator, at: 0)
    creator.close()

    let file = try system.open(path, .readOnly)
    defer { file.close() }
    let error = #expect(throws: SombraError.self) {
      try write([9], to: file, at: 1)
    }
    #expect(error == SombraError(.io, "pwrite failed", path: path, offset: 1, syscall: "pwrite", errno: EBADF))
    #expect(error?.description == "pwrite failed [\(path)] (offset 1): pwrite: Bad file descriptor (errno 9)")
    let truncateError = #expect(throws: SombraError.self) { try file.truncate(to: 0) }
    #expect(truncateError == SombraError(.io, "ftruncate failed", path: path, syscall: "ftruncate", errno: EINVAL))
    #expect(try readAll(file, count: 3, at: 0) == [1, 2, 3], "the file is unchanged")
  }

  @Test func aClosedHandleFailsWithEBADFAndClosingTwiceIsHarmless() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/a"
    let file = try system.open(path, .readWriteCreate)
    file.close()
    file.close()
    var buffer = [UInt8](repeating: 0, count: 4)
    let readError = #expect(throws: SombraError.self) {
      try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
    }
    #expect(readError == SombraError(.io, "pread failed", path: path, offset: 0, syscall: "pread", errno: EBADF))
    let sizeError = #expect(throws: SombraError.self) { try file.size() }
    #expect(sizeError == SombraError(.io, "fstat failed", path: path, syscall: "fstat", errno: EBADF))
    let syncError = #expect(throws: SombraError.self) { try file.sync() }
    #expect(syncError == SombraError(.io, "fdatasync failed", path: path, syscall: "fdatasync", errno: EBADF))
    let lockError = #expect(throws: SombraError.self) { try file.lock(.writer, .exclusive, wait: false) }
    #expect(lockError == SombraError(.io, "fcntl(F_OFD_SETLK) failed", path: path, syscall: "fcntl(F_OFD_SETLK)", errno: EBADF))
  }

  // MARK: Locks between two handles of one process

  @Test func twoExclusiveLocksOnTheSameRangeConflictBetweenHandlesOfOneProcess() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer {
      a.close()
      b.close()
    }
    #expect(try a.lock(.writer, .exclusive, wait: false))
    #expect(try !b.lock(.writer, .exclusive, wait: false))
    #expect(try !b.lock(.writer, .shared, wait: false))
    #expect(try a.lock(.writer, .exclusive, wait: false), "relocking its own range is not a conflict")
  }

  @Test func sharedLocksCoexistButExcludeAnExclusiveOneEitherWay() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer {
      a.close()
      b.close()
    }
    #expect(try a.lock(.readers, .shared, wait: false))
    #expect(try b.lock(.readers, .shared, wait: false))
    let c = try system.open(dir.path + "/db", .readWrite)
    defer { c.close() }
    #expect(try !c.lock(.readers, .exclusive, wait: false))
    try a.unlock(.readers)
    #expect(try !c.lock(.readers, .exclusive, wait: false), "b still holds its shared lock")
    try b.unlock(.readers)
    #expect(try c.lock(.readers, .exclusive, wait: false))
    #expect(try !a.lock(.readers, .shared, wait: false), "an exclusive lock excludes a shared one")
  }

  @Test func locksOnDifferentRangesDoNotConflictAndDoNotGrowTheFile() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer {
      a.close()
      b.close()
    }
    #expect(try a.lock(.writer, .exclusive, wait: false))
    #expect(try b.lock(.readers, .exclusive, wait: false))
    #expect(try a.size() == 3, "a lock range is never written")
  }

  @Test func closingOneHandleReleasesOnlyItsOwnLocks() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer { b.close() }
    #expect(try a.lock(.writer, .exclusive, wait: false))
    #expect(try b.lock(.readers, .shared, wait: false))
    a.close()
    let c = try system.open(dir.path + "/db", .readWrite)
    defer { c.close() }
    #expect(try c.lock(.writer, .exclusive, wait: false), "a's lock went with a's descriptor")
    #expect(try !c.lock(.readers, .exclusive, wait: false), "closing a must not drop b's lock (classic POSIX locks would)")
  }

  @Test func unlockingOneHandleKeepsTheOtherHandlesLock() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer {
      a.close()
      b.close()
    }
    #expect(try a.lock(.writer, .exclusive, wait: false))
    try b.unlock(.writer)
    #expect(try !b.lock(.writer, .exclusive, wait: false), "b's unlock released nothing of a's")
    try a.unlock(.writer)
    #expect(try b.lock(.writer, .exclusive, wait: false))
  }

  /// A waiting lock polls (`F_OFD_SETLKW` cannot time out), so no one can see
  /// from outside that it waits: what the test checks is that it is granted
  /// only after the other handle lets go, whenever its tries fall.
  @Test func aWaitingLockIsGrantedOnceTheOtherHandleReleasesIt() throws {
    let dir = try ScratchDirectory()
    let (a, b) = try twoHandles(dir)
    defer {
      a.close()
      b.close()
    }
    #expect(try a.lock(.writer, .exclusive, wait: false))
    let released = Atomic<Bool>(false)
    let entered = Atomic<Bool>(false)
    let outcome = Mutex<Result<(granted: Bool, afterRelease: Bool), SombraError>?>(nil)
    let waiter = try BlockingWorkThread {
      entered.store(true, ordering: .releasing)
      do {
        let granted = try b.lock(.writer, .exclusive, wait: true)
        outcome.withLock { $0 = .success((granted, released.load(ordering: .acquiring))) }
      } catch {
        outcome.withLock { $0 = .failure(error as? SombraError ?? SombraError(.misuse, "\(error)")) }
      }
    }
    #expect(waitUntil { entered.load(ordering: .acquiring) })
    // A window for b to try while a holds the lock: it cannot succeed there.
    #expect(!waitUntil(timeout: 0.05) { outcome.withLock { $0 } != nil }, "b got the lock while a held it")
    released.store(true, ordering: .releasing)
    try a.unlock(.writer)
    waiter.join()
    guard case .success(let result)? = outcome.withLock({ $0 }) else {
      Issue.record("b's waiting lock failed: \(String(describing: outcome.withLock { $0 }))")
      return
    }
    #expect(result.granted && result.afterRelease, "granted, and only once a let go")
    #expect(try !a.lock(.writer, .shared, wait: false), "b holds it now")
  }

  /// `firstLock(in:)` is how a reader finds the durable mark: it reports the
  /// lowest lock another handle holds in the range, with its mode, takes
  /// nothing, and works through a read-only handle. The simulator's locks
  /// must answer the same.
  @Test(arguments: ["posix", "simulated"])
  func firstLockReportsTheLowestLockOfAnotherHandleAndTakesNothing(storage: String) throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/db"
    let system: any StorageSystem = storage == "posix" ? self.system : SimulatedDisk()
    let a = try system.open(path, .readWriteCreate)
    let c = try system.open(path, .readWrite)
    let reader = try system.open(path, .readOnly)
    defer {
      a.close()
      c.close()
      reader.close()
    }
    let base = LockRange.durableMarks.start

    #expect(try reader.firstLock(in: .durableMarks) == nil)
    #expect(try a.lock(.durableMark(5), .exclusive, wait: false))
    #expect(try reader.firstLock(in: .durableMarks)?.start == base + 5)
    #expect(try reader.firstLock(in: .durableMarks)?.mode == .exclusive)
    #expect(try a.firstLock(in: .durableMarks) == nil, "a handle's own locks are not reported to it")
    #expect(try a.lock(.durableMark(3), .exclusive, wait: false))
    #expect(try reader.firstLock(in: .durableMarks)?.start == base + 3, "the lower of two")
    #expect(try reader.firstLock(in: LockRange(start: base + 4, length: 10))?.start == base + 5, "only inside the range")
    #expect(try c.lock(.durableMark(9), .exclusive, wait: false), "the looks took no lock")

    try a.unlock(.durableMarks)
    #expect(try reader.firstLock(in: LockRange(start: base, length: 9)) == nil, "unlocking the range dropped both of a's locks")
    #expect(try reader.firstLock(in: .durableMarks)?.start == base + 9)
    try c.unlock(.durableMark(9))
    #expect(try c.lock(.durableMark(2), .shared, wait: false))
    #expect(try reader.firstLock(in: .durableMarks)?.mode == .shared)
  }

  // MARK: Helpers

  /// Two read-write handles on one 3-byte file.
  func twoHandles(_ dir: ScratchDirectory) throws -> (any StorageFile, any StorageFile) {
    let path = dir.path + "/db"
    let a = try system.open(path, .readWriteCreate)
    try write([1, 2, 3], to: a, at: 0)
    let b = try system.open(path, .readWrite)
    return (a, b)
  }

  func write(_ bytes: [UInt8], to file: any StorageFile, at offset: UInt64) throws {
    try bytes.withUnsafeBytes { try file.write($0, at: offset) }
  }

  func readAll(_ file: any StorageFile, count: Int, at offset: UInt64) throws -> [UInt8] {
    var buffer = [UInt8](repeating: 0xEE, count: count)
    let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
    return Array(buffer[0..<n])
  }
}
