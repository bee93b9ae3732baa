import Dispatch
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

@Suite struct DatabaseTests {
  let disk = SimulatedDisk()
  let path = "/db/test.sombra"

  func open(_ options: OpenOptions = OpenOptions()) throws -> Database {
    try Database.open(path, options: options, storage: disk)
  }

  func state(_ db: Database) throws -> PageStore.State {
    try db.read { try PageStore.read($0) }
  }

  @Test func aNewDatabaseIsCreatedEmptyAndReportsIt() throws {
    let db = try open()
    #expect(db.openReport.created)
    #expect(!db.openReport.uncleanShutdown)
    #expect(try state(db).isEmpty)
    try db.close()
    let again = try open()
    #expect(!again.openReport.created)
    #expect(!again.openReport.uncleanShutdown)
  }

  @Test func committedChangesSurviveCloseAndReopen() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 10), (2, 20), (3, 30)], in: $0) }
    try db.write { try PageStore.apply([(2, nil), (4, 40)], in: $0) }
    #expect(try state(db) == [1: 10, 3: 30, 4: 40])
    try db.close()
    #expect(disk.contents(path + ".wal")?.count == 0, "close truncates the WAL")
    let reopened = try open()
    #expect(try state(reopened) == [1: 10, 3: 30, 4: 40])
  }

  @Test func aThrowingWriteRollsBackWithoutATrace() throws {
    struct Boom: Error {}
    let db = try open()
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let before = try db.read { $0.header }
    #expect(throws: Boom.self) {
      try db.write { tx in
        try PageStore.apply([(1, 2), (5, 5)], in: tx)
        throw Boom()
      }
    }
    #expect(try state(db) == [1: 1])
    #expect(try db.read { $0.header } == before)
    let explicit = try db.beginWrite()
    try PageStore.apply([(7, 7)], in: explicit)
    try explicit.rollback()
    #expect(try state(db) == [1: 1])
  }

  @Test func freedPagesAreReused() throws {
    let db = try open()
    try db.write { try PageStore.apply((0..<10).map { ($0, UInt64($0)) }, in: $0) }
    let grown = try db.read { $0.header.pageCount }
    try db.write { try PageStore.apply((0..<10).map { ($0, nil) }, in: $0) }
    #expect(try db.read { $0.header.freeListCount } == 10)
    try db.write { try PageStore.apply((20..<30).map { ($0, UInt64($0)) }, in: $0) }
    #expect(try db.read { $0.header.pageCount } == grown)
    #expect(try db.read { $0.header.freeListCount } == 0)
  }

  @Test func aReaderKeepsItsSnapshotWhileTheWriterCommits() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let reader = try db.beginRead()
    try db.write { try PageStore.apply([(1, 2), (2, 2)], in: $0) }
    #expect(try PageStore.read(reader) == [1: 1])
    #expect(try db.checkpoint(.passive).busy, "a live snapshot holds the WAL back")
    #expect(try PageStore.read(reader) == [1: 1])
    reader.end()
    #expect(try state(db) == [1: 2, 2: 2])
    let result = try db.checkpoint(.full)
    #expect(result.walReset)
    #expect(try state(db) == [1: 2, 2: 2])
  }

  @Test func checkpointModesCopyFramesAndResetTheWAL() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1), (2, 2)], in: $0) }
    let passive = try db.checkpoint(.passive)
    #expect(passive.framesBefore > 0 && passive.walReset && passive.pagesCopied > 0)
    try db.write { try PageStore.apply([(3, 3)], in: $0) }
    let truncate = try db.checkpoint(.truncate)
    #expect(truncate.walReset && truncate.walBytesAfter == 0)
    let empty = try db.checkpoint(.full)
    #expect(empty.framesBefore == 0 && empty.pagesCopied == 0)
    try db.write { try PageStore.apply([(4, 4)], in: $0) }
    #expect(try state(db) == [1: 1, 2: 2, 3: 3, 4: 4])
    try db.close()
    #expect(try state(try open()) == [1: 1, 2: 2, 3: 3, 4: 4])
  }

  @Test func autoCheckpointKeepsTheWALBounded() throws {
    var options = OpenOptions()
    options.maxWALSize = 100_000
    let db = try open(options)
    var model: PageStore.State = [:]
    var rng = SplitMix64(seed: 5)
    for _ in 0..<40 {
      let changes = PageStore.randomChanges(&rng, count: 4)
      try db.write { try PageStore.apply(changes, in: $0) }
      model = PageStore.applied(changes, to: model)
      #expect(db.pager.walSize < 100_000 + 10 * 8224)
    }
    #expect(try state(db) == model)
  }

  @Test func anUncleanShutdownIsDetectedAndRecovered() throws {
    do {
      let db = try open()
      try db.write { try PageStore.apply([(1, 11)], in: $0) }
      // Dropped without close: the process "died".
      _ = db
    }
    let image = disk.afterPowerLoss(.dropUnsynced)
    let db = try Database.open(path, options: OpenOptions(), storage: image)
    #expect(db.openReport.uncleanShutdown)
    #expect(db.openReport.recoveredTransactions >= 1)
    #expect(try db.read { try PageStore.read($0) } == [1: 11])
  }

  @Test func aSecondWriterIsLockedOutAndAReadOnlyOpenWorksBesideIt() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    #expect {
      _ = try open()
    } throws: { ($0 as? SombraError)?.code == .locked }
    let ro = try Database.open(path, options: .readOnly, storage: disk)
    #expect(try state(ro) == [1: 1])
    try db.write { try PageStore.apply([(2, 2)], in: $0) }
    #expect(try state(ro) == [1: 1, 2: 2], "a new read transaction sees the new commit")
    _ = try db.checkpoint(.full)
    try db.write { try PageStore.apply([(3, 3)], in: $0) }
    #expect(try state(ro) == [1: 1, 2: 2, 3: 3])
  }

  @Test func aCheckpointWaitsForAReadOnlyReaderInAnotherHandle() throws {
    var options = OpenOptions()
    options.lockTimeout = 0.05
    let db = try open(options)
    try db.write { try PageStore.apply([(1, 1)], in: $0) }
    let ro = try Database.open(path, options: .readOnly, storage: disk)
    let reader = try ro.beginRead()
    #expect(try db.checkpoint(.passive).busy)
    #expect { try db.checkpoint(.full) } throws: { ($0 as? SombraError)?.code == .busy }
    #expect(try PageStore.read(reader) == [1: 1])
    reader.end()
    #expect(try db.checkpoint(.full).walReset)
  }

  @Test func aReadOnlyOpenChangesNoByteOfEitherFile() throws {
    let db = try open()
    try db.write { try PageStore.apply([(1, 1), (2, 2)], in: $0) }
    let mainBefore = disk.contents(path)
    let walBefore = disk.contents(path + ".wal")
    let ops = disk.operations
    let ro = try Database.open(path, options: .readOnly, storage: disk)
    #expect(try state(ro) == [1: 1, 2: 2])
    try ro.close()
    #expect(disk.contents(path) == mainBefore)
    #expect(disk.contents(path + ".wal") == walBefore)
    #expect(disk.operations == ops, "no write, sync or truncate")
    #expect { try ro.read { _ in } } throws: { ($0 as? SombraError)?.code == .misuse }
  }

  @Test func aReadOnlyOpenNeverCreatesAFile() throws {
    #expect { try Database.open("/db/missing.sombra", options: .readOnly, storage: disk) } throws: {
      ($0 as? SombraError)?.code == .notFound
    }
    #expect(!disk.exists("/db/missing.sombra") && !disk.exists("/db/missing.sombra.wal"))
  }

  @Test func limitsFailTheTransactionAndKeepTheDatabaseUsable() throws {
    var options = OpenOptions()
    options.maxDatabaseSize = 8192 * 12
    options.maxTransactionPages = 6
    let db = try open(options)
    #expect {
      try db.write { try PageStore.apply((0..<8).map { ($0, 1) }, in: $0) }
    } throws: { ($0 as? SombraError)?.code == .limitExceeded }
    try db.write { try PageStore.apply((0..<4).map { ($0, 1) }, in: $0) }
    try db.write { try PageStore.apply((4..<8).map { ($0, 1) }, in: $0) }
    #expect {
      try db.write { try PageStore.apply((8..<12).map { ($0, 1) }, in: $0) }
    } throws: { ($0 as? SombraError)?.code == .limitExceeded }
    #expect(try state(db).count == 8)
    try db.close()
  }

  @Test func pageSizesFromTheOptionsAreKept() throws {
    for size in [4096, 16384, 65536] {
      var options = OpenOptions()
      options.pageSize = size
      let p = "/db/size-\(size)"
      let db = try Database.open(p, options: options, storage: disk)
      try db.write { try PageStore.apply([(1, UInt64(size))], in: $0) }
      try db.close()
      let again = try Database.open(p, options: OpenOptions(), storage: disk)
      #expect(again.pageSize == size)
      #expect(try again.read { try PageStore.read($0) } == [1: UInt64(size)])
    }
    var bad = OpenOptions()
    bad.pageSize = 5000
    #expect { try Database.open("/db/bad", options: bad, storage: disk) } throws: {
      ($0 as? SombraError)?.code == .invalidArgument
    }
  }
}

@Suite struct ConcurrencyTests {
  /// Readers on three threads see only whole commits (every key holds the same
  /// value) while the writer commits and checkpoints on a fourth.
  @Test func readersOnOtherThreadsSeeOnlyWholeCommitsWhileTheWriterCommits() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.cachePages = 16
    options.maxWALSize = 200_000
    let db = try Database.open("/db/threads.sombra", options: options, storage: disk)
    try db.write { try PageStore.apply((0..<8).map { ($0, 0) }, in: $0) }
    let failures = Mutex<[String]>([])
    let reads = Mutex<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 4) { worker in
      do {
        if worker == 0 {
          for version in 1...150 as ClosedRange<UInt64> {
            try db.write { try PageStore.apply((0..<8).map { ($0, version) }, in: $0) }
            if version % 40 == 0 { try db.checkpoint(.full) }
          }
        } else {
          for _ in 0..<300 {
            let state = try db.read { try PageStore.read($0) }
            let values = Set(state.values)
            if state.count != 8 || values.count != 1 { failures.withLock { $0.append("torn state \(state)") } }
            reads.withLock { $0 += 1 }
          }
        }
      } catch {
        failures.withLock { $0.append("worker \(worker): \(error)") }
      }
    }
    #expect(failures.withLock { $0 } == [])
    #expect(reads.withLock { $0 } == 900)
    #expect(try db.read { try PageStore.read($0) } == Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, UInt64(150)) }))
    try db.close()
  }
}
