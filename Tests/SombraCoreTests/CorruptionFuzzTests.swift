import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Corruption fuzzing of the main file and the WAL (DESIGN.md §9): seeded bit
/// flips, random overwrites and truncations of a small database whose WAL holds
/// several unapplied commits, then open (read-write, and on a quarter of the
/// seeds read-only first), read everything, write once, close, and reopen
/// read-only.
///
/// Acceptable outcomes of an iteration:
/// 1. any step throws a `SombraError` (any code), or
/// 2. every read gives a committed state: the checkpointed one or one of the
///    commits in the WAL; the empty state only when the main file was cut to
///    nothing and the open reports that it created a new database. An earlier
///    commit than the last is acceptable only when nothing in the WAL proves the
///    commits after it durable: every commit was synced, and the last one claims
///    so (`WALDamage`), so while its frames (and the checksum they chain from)
///    are intact, a read-write open must refuse rather than serve less.
/// After a successful read, write and close, the reopened database must hold
/// exactly the state read plus the write (a failed write rolls back: the state
/// read). Read-only and read-write opens of the same bytes must agree, and a
/// read-only open must change nothing. Anything else fails: `PageStore.WrongData`
/// (a page served with wrong bytes), a state never committed, an error of another
/// type, and, in the exit test, a trap anywhere in the engine.
@Suite struct CorruptionFuzzTests {
  typealias Base = CorruptionFuzz.Base

  @Test func theUndamagedBaseOpensAtItsLastCommitAndTheWALHoldsSeveralCommits() throws {
    let base = try Base.make()
    #expect(base.states.count == Base.walCommits + 1)
    #expect(base.main.count == 4096 * 16, "main file pages")
    let frames = (base.wal.count - WALFormat.headerSize) / WALFormat.frameSize(pageSize: 4096)
    #expect(frames >= 10, "frames of \(Base.walCommits) commits")
    let disk = SimulatedDisk()
    disk.setContents(Base.path, base.main)
    disk.setContents(Base.walPath, base.wal)
    // Images and delta records both: the damage below lands in each kind.
    let wal = try disk.open(Base.walPath, .readOnly)
    let scan = try WALScanner.scan(wal, pageSize: 4096)
    wal.close()
    #expect(Set(scan.committed.map(\.isDelta)) == [true, false], "image and delta frames in the base WAL")
    let db = try Database.open(Base.path, options: Base.options, storage: disk)
    #expect(db.openReport.recoveredTransactions == Base.walCommits)
    #expect(db.openReport.recoveredFrames >= 10)

    #expect(db.openReport.discardedFrames == 0)
    if db.openReport.recoveredFrames < frames {
      #expect(db.openReport.walStopReason?.contains("stale frame") == true, "older frames follow the commits")
    }
    #expect(try db.read { try PageStore.read($0) } == base.states.last)
    #expect(try db.read { $0.header.pageCount } == 16, "the WAL commits do not grow the file")
    #expect(try db.read { $0.header.freeListCount } == 1, "one free page for the iteration's write")
  }

  @Test func theFirst300SeedsGiveOnlyCodedErrorsOrCommittedStates() throws {
    let base = try Base.make()
    var tally = CorruptionFuzz.Tally()
    for seed in UInt64(0)..<300 {
      let outcome = CorruptionFuzz.run(seed: seed, base: base)
      #expect(outcome.failure == nil, "seed \(seed): \(outcome.failure ?? "")")
      tally.add(outcome)
    }
    // The fuzzer must reach every kind of outcome, or it tests less than it claims.
    #expect(tally.latest > 0, "some damage is harmless (a page nobody reads): \(tally)")
    #expect(tally.earlier > 0, "some damage cuts later WAL commits off: \(tally)")
    #expect(tally.errors[.corruption, default: 0] > 0, "most damage is reported as corruption: \(tally)")
    #expect(tally.readFailures > 0, "some damage is only found when a page is read: \(tally)")
    #expect(tally.readOnlyOpens >= 75, "a quarter of the seeds also open read-only first: \(tally)")
    #expect(tally.reopened > 0, "some damaged databases are written, closed and reopened: \(tally)")
  }

  /// All 10,000 seeds in a child process, so that a trap in the engine fails this
  /// test instead of killing the test run. The child's stderr goes to a log that
  /// notes each seed as it starts; when the child fails, the end of that log (the
  /// seed, and the runtime's message for a trap) becomes this test's issue.
  @Test func tenThousandDamagedDatabasesNeverTrapNorServeAWrongPage() async {
    let log = CorruptionFuzz.logPath(testProcess: getpid())
    defer { unlink(log) }
    let result = await #expect(processExitsWith: .success, "seeds 0..<10000") {
      CorruptionFuzz.redirectStandardError(to: CorruptionFuzz.logPath(testProcess: getppid()))
      let base: Base
      do {
        base = try Base.make()
      } catch {
        CorruptionFuzz.printError("cannot build the base database: \(error)\n")
        exit(2)
      }
      for seed in UInt64(0)..<10_000 {
        CorruptionFuzz.printError("seed \(seed)\n")
        if let failure = CorruptionFuzz.run(seed: seed, base: base).failure {
          CorruptionFuzz.printError("unacceptable outcome: \(failure)\n")
          exit(1)
        }
      }
    }
    if result == nil {
      Issue.record("the fuzz process failed; its log from the last seed started:\n\(CorruptionFuzz.lastSeed(inLog: log))")
    }
  }
}

// MARK: - The base database, outcomes and tally

extension CorruptionFuzz {
  /// One small database (4096-byte pages, 16 pages) and a WAL with five commits
  /// that are not in the main file, with the model state after each commit.
  struct Base: Sendable {
    static let path = "/db/fuzz.sombra"
    static let walPath = path + ".wal"
    static let walCommits = 5

    static var options: OpenOptions {
      var o = OpenOptions()
      o.pageSize = 4096
      o.cachePages = 64
      o.maxWALSize = .max  // no auto-checkpoint: the commits stay in the WAL
      return o
    }

    let main: [UInt8]
    let wal: [UInt8]
    /// The checkpointed state, then the state after each WAL commit.
    let states: [PageStore.State]
    /// The bytes that make the last commit's frames genuine: the running
    /// checksum stored in the frame before them, and the frames themselves.
    let lastCommitProof: [Range<Int>]

    /// The byte ranges of `lastCommitProof` in `wal`.
    static func proof(of wal: [UInt8], disk: SimulatedDisk) throws -> [Range<Int>] {
      let file = try disk.open(walPath, .readOnly)
      defer { file.close() }
      let frames = try WALScanner.scan(file, pageSize: 4096).committed
      guard let last = frames.last?.transaction, let first = frames.firstIndex(where: { $0.transaction == last }), first > 0,
        let before = WALFormat.frameOffset(first - 1, pageSize: 4096).map(Int.init),
        let start = WALFormat.frameOffset(first, pageSize: 4096).map(Int.init),
        let end = WALFormat.frameOffset(frames.count, pageSize: 4096).map(Int.init)
      else { throw SombraError.misuse("the base WAL has no last commit after another") }
      return [before + 24..<before + 28, start..<min(end, wal.count)]
    }

    static func make() throws -> Base {
      let disk = SimulatedDisk()
      let db = try Database.open(path, options: options, storage: disk)
      var rng = SplitMix64(seed: 0x5EED_BA5E)
      var model: PageStore.State = [:]
      func commit(_ changes: [(key: Int, value: UInt64?)]) throws {
        try db.write { try PageStore.apply(changes, in: $0) }
        model = PageStore.applied(changes, to: model)
      }
      // Checkpointed history: 14 keys, updates, then deletes (three free pages).
      try commit((0..<14).map { ($0, rng.next()) })
      try commit([(2, rng.next()), (11, rng.next()), (12, rng.next())])
      try commit([(3, nil), (7, nil), (10, nil), (11, rng.next())])
      guard try db.checkpoint(.full).walReset else {
        throw SombraError.misuse("the base checkpoint did not reset the WAL")
      }
      var states = [model]
      // Left in the WAL: reuse of the free pages, deletes, and rewrites of one page
      // in several commits; one free page is left for the fuzz iteration's write.
      // (Nothing grows the file: extending a file on the simulated disk is the
      // slowest thing a debug build does here, and truncation already leaves pages
      // that only the WAL holds.)
      let walBatches: [[(key: Int, value: UInt64?)]] = [
        [(3, rng.next()), (14, rng.next())],
        [(0, nil), (1, rng.next()), (15, rng.next())],
        [(1, rng.next()), (5, rng.next()), (0, rng.next())],
        [(14, nil), (7, rng.next()), (2, rng.next())],
        [(9, nil), (1, rng.next()), (6, nil), (16, rng.next())],
      ]
      for batch in walBatches {
        try commit(batch)
        states.append(model)
      }
      // Never closed: the WAL keeps its frames, as after a crash.
      let image = disk.afterPowerLoss(.keepAll)
      guard let main = image.contents(path), let wal = image.contents(walPath) else {
        throw SombraError(.notFound, "the base database has no files")
      }
      return Base(main: main, wal: wal, states: states, lastCommitProof: try proof(of: wal, disk: image))
    }
  }

  /// What one seed did, and what was wrong with it (nil when acceptable).
  struct Outcome {
    var mutation = ""
    var failure: String?
    /// The read-write open's first read: index into `Base.states`.
    var stateIndex: Int?
    /// The code of the first `SombraError`, if any step threw one.
    var error: SombraError.Code?
    var errorStep = ""
    var openedReadOnly = false
    var reopened = false
  }

  struct Tally: CustomStringConvertible {
    var latest = 0
    var earlier = 0
    var created = 0
    var errors: [SombraError.Code: Int] = [:]
    var readFailures = 0
    var readOnlyOpens = 0
    var reopened = 0

    mutating func add(_ outcome: Outcome) {
      if let i = outcome.stateIndex {
        if i == Base.walCommits { latest += 1 } else { earlier += 1 }
      }
      if let code = outcome.error {
        errors[code, default: 0] += 1
        if outcome.errorStep == "read" { readFailures += 1 }
      }
      if outcome.stateIndex == nil && outcome.error == nil && outcome.failure == nil { created += 1 }
      if outcome.openedReadOnly { readOnlyOpens += 1 }
      if outcome.reopened { reopened += 1 }
    }

    var description: String {
      let codes = errors.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
      return "latest \(latest), earlier \(earlier), created \(created), errors [\(codes.joined(separator: ", "))], "
        + "read failures \(readFailures), read-only \(readOnlyOpens), reopened \(reopened)"
    }
  }
}

// MARK: - One iteration

enum CorruptionFuzz {
  private enum Step<T> {
    case value(T)
    case coded(SombraError)
    case other(any Error)
  }

  private static func attempt<T>(_ body: () throws -> T) -> Step<T> {
    do { return .value(try body()) } catch let e as SombraError { return .coded(e) } catch { return .other(error) }
  }

  /// Damages a copy of the base as `seed` says and runs the open-read-write-close
  /// cycle on it.
  static func run(seed: UInt64, base: Base) -> Outcome {
    var rng = SplitMix64(seed: seed)
    var main = base.main
    var wal = base.wal
    var outcome = Outcome()
    let target = rng.below(20)
    var notes: [String] = []
    // 35% the main file only, 45% the WAL only, 20% both. Structure: the header
    // fields of page 0 or a page's envelope; the WAL header or a frame header.
    if target < 7 || target >= 16 {
      notes.append("main " + mutate(&main, &rng, unit: 4096, first: 0, structure: 136))
    }
    if target >= 7 {
      notes.append(
        "WAL " + mutate(&wal, &rng, unit: WALFormat.frameSize(pageSize: 4096), first: WALFormat.headerSize, structure: 32))
    }
    outcome.mutation = notes.joined(separator: "; ")

    func failed(_ what: String) -> Outcome {
      outcome.failure = "\(outcome.mutation): \(what)"
      return outcome
    }
    func coded(_ error: SombraError, at step: String) {
      if outcome.error == nil {
        outcome.error = error.code
        outcome.errorStep = step
      }
    }

    let disk = SimulatedDisk()
    disk.setContents(Base.path, main)
    disk.setContents(Base.walPath, wal)

    // A read-only open first, on a quarter of the seeds: it must change nothing.
    var readOnlyState: PageStore.State?
    if seed % 4 == 0 {
      outcome.openedReadOnly = true
      switch readOnly(disk) {
      case .other(let e): return failed("read-only: \(e)")
      case .coded: break
      case .value(let state):
        guard base.states.contains(state) else { return failed("the read-only open read a state never committed: \(state)") }
        readOnlyState = state
      }
      guard disk.contents(Base.path) == main, disk.contents(Base.walPath) == wal, disk.operations == 0 else {
        return failed("the read-only open changed the files")
      }
    }

    // Read-write: open, read everything, write, close.
    let db: Database
    switch attempt({ try Database.open(Base.path, options: Base.options, storage: disk) }) {
    case .other(let e): return failed("the open threw \(type(of: e)): \(e)")
    case .coded(let e):
      coded(e, at: "open")
      return outcome
    case .value(let d): db = d
    }
    var expected: PageStore.State?
    switch attempt({ try db.read { try PageStore.read($0) } }) {
    case .other(let e): return failed("the read threw \(type(of: e)): \(e)")
    case .coded(let e): coded(e, at: "read")
    case .value(let state):
      if let i = base.states.firstIndex(of: state) {
        outcome.stateIndex = i
        if i < Base.walCommits, base.lastCommitProof.allSatisfy({ $0.upperBound <= wal.count && wal[$0] == base.wal[$0] }) {
          return failed("served commit \(i) of \(Base.walCommits) though the last commit is intact and claims the rest durable")
        }
      } else if !(state.isEmpty && db.openReport.created && main.isEmpty) {
        return failed("read a state never committed: \(state)")
      }
      if let readOnlyState, readOnlyState != state {
        return failed("the read-only open read \(readOnlyState) but the read-write open \(state)")
      }
      expected = state
    }
    // Keys the base uses, so the write mostly rewrites pages instead of growing the file.
    let changes: [(key: Int, value: UInt64?)] = (0..<3).map { _ in
      (rng.below(18), rng.below(4) == 0 ? nil : rng.next())
    }
    switch attempt({ try db.write { try PageStore.apply(changes, in: $0) } }) {
    case .other(let e): return failed("the write threw \(type(of: e)): \(e)")
    case .coded(let e): coded(e, at: "write")  // rolled back: the state stays
    case .value: expected = expected.map { PageStore.applied(changes, to: $0) }
    }
    switch attempt({ try db.close() }) {
    case .other(let e): return failed("close threw \(type(of: e)): \(e)")
    case .coded(let e):
      coded(e, at: "close")
      return outcome
    case .value: break
    }

    // A database that read, wrote and closed cleanly must reopen to that state.
    guard let want = expected else { return outcome }
    outcome.reopened = true
    switch readOnly(disk) {
    case .value(let state) where state == want: return outcome
    case .value(let state): return failed("after close and reopen the state is \(state), not \(want)")
    case .coded(let e): return failed("the database closed cleanly but does not reopen and read: \(e)")
    case .other(let e): return failed("reopen: \(e)")
    }
  }

  /// Opens read-only, reads everything and closes. `.other` carries a message
  /// saying which step threw what.
  private static func readOnly(_ disk: SimulatedDisk) -> Step<PageStore.State> {
    var options = Base.options
    options.readOnly = true
    options.create = false
    let db: Database
    switch attempt({ try Database.open(Base.path, options: options, storage: disk) }) {
    case .other(let e): return .other(StepFailure("the open threw \(type(of: e)): \(e)"))
    case .coded(let e): return .coded(e)
    case .value(let d): db = d
    }
    let read = attempt { try db.read { try PageStore.read($0) } }
    if case .other(let e) = read { return .other(StepFailure("the read threw \(type(of: e)): \(e)")) }
    if case .other(let e) = attempt({ try db.close() }) { return .other(StepFailure("close threw \(type(of: e)): \(e)")) }
    return read
  }

  private struct StepFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  /// Flips 1–8 bits, overwrites a range with random bytes, or truncates. A
  /// quarter of the positions fall on structure: the first `structure` bytes of
  /// the file or of a unit (page or WAL frame) starting at `first`.
  static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64, unit: Int, first: Int, structure: Int) -> String {
    guard !bytes.isEmpty else { return "empty" }
    let units = max(1, (bytes.count - first) / unit)
    func position() -> Int {
      guard rng.below(4) == 0 else { return rng.below(bytes.count) }
      let start = rng.below(3) == 0 ? 0 : first + rng.below(units) * unit
      return min(bytes.count - 1, start + rng.below(structure))
    }
    switch rng.below(3) {
    case 0:
      var flips: [String] = []
      for _ in 0..<(1 + rng.below(8)) {
        let at = position()
        let bit = rng.below(8)
        bytes[at] ^= UInt8(1) << UInt8(bit)
        flips.append("\(at).\(bit)")
      }
      return "bits flipped at byte.bit \(flips.joined(separator: " "))"
    case 1:
      let at = position()
      let length = min(bytes.count - at, 1 + (rng.below(4) == 0 ? rng.below(4096) : rng.below(64)))
      for i in at..<at + length { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
      return "\(length) random bytes at \(at)"
    default:
      // Half the cuts land near a page or frame boundary, where torn writes end.
      let size =
        rng.below(2) == 0
        ? min(bytes.count - 1, first + rng.below(units + 1) * unit + (rng.below(2) == 0 ? 0 : rng.below(64)))
        : rng.below(bytes.count)
      bytes.removeSubrange(size...)
      return "truncated to \(size) bytes"
    }
  }

  // MARK: The child process's log

  /// The log of the fuzz child process of test process `pid` (the child finds it
  /// with `getppid()`: exit-test bodies cannot capture values).
  static func logPath(testProcess pid: pid_t) -> String {
    "/tmp/sombra-corruption-fuzz-\(pid).log"
  }

  /// Points file descriptor 2 at `path`, so the runtime's message about a trap
  /// lands there too.
  static func redirectStandardError(to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    _ = dup2(fd, 2)
    _ = close(fd)
  }

  /// Writes to stderr (no Foundation, no shared `FILE *`).
  static func printError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
  }

  /// The log from its last "seed N" line on (what happened in that seed), or
  /// why there is none.
  static func lastSeed(inLog path: String) -> String {
    do {
      let file = try POSIXStorageSystem().open(path, .readOnly)
      defer { file.close() }
      let size = try file.size()
      let start = size > 65536 ? size - 65536 : 0
      var buffer = [UInt8](repeating: 0, count: Int(size - start))
      let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: start) }
      let lines = String(decoding: buffer[..<n], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      let last = lines.lastIndex { $0.hasPrefix("seed ") } ?? lines.startIndex
      return String(lines[last...].joined(separator: "\n").prefix(6000))
    } catch {
      return "(no log: \(error))"
    }
  }
}
