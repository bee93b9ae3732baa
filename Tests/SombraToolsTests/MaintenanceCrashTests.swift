import SombraCLI
import SombraTestSupport
import SombraTools
import Testing

@testable import SombraCore

/// Crash simulation of `sombra-repair`'s maintenance paths, run in-process on
/// a `SimulatedDisk` (`ToolContext.storage`): the very code an operator runs.
/// A database is built and left with commits in its WAL; then the command
/// loses power at each of its writes, syncs and directory operations (creates,
/// links, renames, unlinks, directory syncs; long runs of page writes are
/// sampled: `SimulatedDisk.crashPoints`), and the machine reboots in each
/// model. Every commit was acknowledged before the command ran, so after any
/// crash:
/// - vacuum: the path holds the old or the new database, complete (same
///   records, verifies clean, opens read-write and takes a commit); a backup
///   that exists is whole (same records, verifies clean); and on a run that
///   completes, nothing was ever written to the file that became the backup;
/// - salvage: the source is byte for byte what it was; the output is absent or
///   whole (never a database with part of the records);
/// - rebuild-indexes: the database has its records, with the old indexes or
///   rebuilt ones (verify finds the old problems or none); a backup that exists
///   is the old database, whole.
@Suite struct MaintenanceCrashTests {
  static let path = "/data/g.sombra"
  static let stamp = "20260101-120000"
  static var backup: String { path + ".backup-" + stamp }

  static var options: OpenOptions {
    var options = OpenOptions()
    options.pageSize = 4096
    options.autoCheckpointInterval = nil
    return options
  }

  /// Records of a database, to compare states.
  struct Records: Equatable {
    var nodes: [Node] = []
    var edges: [Edge] = []
  }

  static func records(_ db: Database) throws -> Records {
    try db.read { tx in
      var records = Records()
      try tx.forEachNode {
        records.nodes.append($0)
        return true
      }
      try tx.forEachEdge {
        records.edges.append($0)
        return true
      }
      return records
    }
  }

  /// A graph with deleted records (free pages for vacuum), its last commits
  /// still in the WAL (the handle is dropped without a close, as a process
  /// that dies), and, when asked, label-index entries removed (for
  /// rebuild-indexes). Everything it wrote is durable.
  static func prepared(damagedIndexes: Bool = false) throws -> (disk: SimulatedDisk, records: Records) {
    let disk = SimulatedDisk()
    do {
      let db = try Database.open(path, options: options, storage: disk)
      var people: [NodeID] = []
      try db.write { tx in
        try tx.createIndex(label: "Person", key: "name")
        for i in 0..<30 {
          people.append(try tx.createNode(labels: ["Person"], properties: ["name": .string("p\(i)"), "i": .int(Int64(i))]))
        }
        for i in 0..<40 { _ = try tx.createEdge(from: people[i % 30], to: people[(i * 7 + 1) % 30], type: "KNOWS") }
      }
      let temp = try db.write { tx in
        try (0..<30).map { _ in
          try tx.createNode(labels: ["Temp"], properties: ["blob": .string(String(repeating: "z", count: 700))])
        }
      }
      try db.write { tx in for id in temp { try tx.deleteNode(id) } }
      try db.checkpoint(.truncate)
      try db.write { tx in _ = try tx.createNode(labels: ["City"], properties: ["name": .string("Paris")]) }
      if damagedIndexes {
        try db.write { tx in
          let labels = BTree(root: tx.header.roots[GraphRoot.labels.rawValue])
          for entry in try labels.entries(in: tx.pages).prefix(4) { _ = try labels.remove(entry.key, in: tx.pages) }
        }
      }
    }
    let db = try Database.open(path, options: .readOnly, storage: disk)
    defer { try? db.close() }
    return (disk.afterPowerLoss(.keepAll), try records(db))
  }

  /// Runs `sombra-repair` on `disk`.
  @discardableResult
  static func repair(_ arguments: [String], on disk: SimulatedDisk) -> (status: ExitCode, err: String) {
    var (context, _, err) = ToolContext.capturing(["COLUMNS": "80", "NO_COLOR": "1"])
    context.storage = disk
    let status = SombraRepair.run(arguments, context: context, timestamp: { stamp })
    return (status, err.text)
  }

  /// Opens `file` on `image` read-only and returns its records and verify report.
  static func look(_ file: String, on image: SimulatedDisk) throws -> (records: Records, report: VerifyReport) {
    let db = try Database.open(file, options: .readOnly, storage: image)
    defer { try? db.close() }
    return (try records(db), try db.verify())
  }

  /// The database at `path` after a reboot: `expected` records, a report that
  /// `accept` takes, and a read-write open that takes a commit and closes.
  static func expectDatabase(
    _ image: SimulatedDisk, _ file: String, records expected: Records, context: String,
    accept: (VerifyReport) -> Bool = { $0.isClean }
  ) throws {
    let found: (records: Records, report: VerifyReport)
    do {
      found = try look(file, on: image)
    } catch {
      Issue.record("\(file) does not open read-only: \(error); \(context)")
      return
    }
    #expect(found.records == expected, "\(file) has other records; \(context)")
    #expect(accept(found.report), "\(file): \(found.report.problems.prefix(3)); \(context)")
    guard file == path else { return }
    do {
      let db = try Database.open(file, options: options, storage: image)
      try db.write { tx in _ = try tx.createNode(labels: ["After"]) }
      try db.close()
    } catch {
      Issue.record("\(file) does not open read-write: \(error); \(context)")
    }
  }

  static func reboots(_ point: Int) -> [(String, SimulatedDisk.Recovery)] {
    [
      ("drop unsynced", .dropUnsynced), ("keep all", .keepAll), ("random", .random(seed: UInt64(point))),
      ("sector tears", .sectors(seed: UInt64(point))),
    ]
  }

  /// One command on the prepared database, and what must hold after any crash.
  struct Scenario {
    static let output = "/data/new.sombra"

    let command: String
    let arguments: [String]
    let base: SimulatedDisk
    let records: Records
    /// The verify problems (errors) of the database before the command.
    let errors: [VerifyProblem]
    /// The source's bytes (salvage never writes them).
    let source: ([UInt8]?, [UInt8]?)

    init(_ command: String, backup: Bool = true) throws {
      self.command = command
      let (base, records) = try MaintenanceCrashTests.prepared(damagedIndexes: command == "rebuild-indexes")
      self.base = base
      self.records = records
      errors = Self.errors(try MaintenanceCrashTests.look(MaintenanceCrashTests.path, on: base).report)
      source = (base.contents(MaintenanceCrashTests.path), base.contents(MaintenanceCrashTests.path + ".wal"))
      let path = MaintenanceCrashTests.path
      switch command {
      case "salvage": arguments = [path, "salvage", "--output", Self.output, "--yes"]
      default: arguments = [path, command, "--yes"] + (backup ? [] : ["--no-backup"])
      }
    }

    /// Errors, not warnings: a main-file page torn by a crash in a checkpoint,
    /// which a committed WAL frame replaces, is a warning.
    static func errors(_ report: VerifyReport) -> [VerifyProblem] { report.problems.filter { $0.severity == .error } }

    /// A fresh copy of the prepared disk.
    func disk(hardLinks: Bool = true) -> SimulatedDisk {
      let disk = base.afterPowerLoss(.keepAll)
      disk.hardLinks = hardLinks
      return disk
    }

    /// What must hold on a rebooted disk, whatever the command got to.
    func expectWhole(_ image: SimulatedDisk, context: String) throws {
      let path = MaintenanceCrashTests.path
      let backups = image.paths.filter { $0.hasPrefix(path + ".backup-") && !$0.hasSuffix(".partial") && !$0.hasSuffix(".wal") }
      switch command {
      case "salvage":
        #expect(image.contents(path) == source.0 && image.contents(path + ".wal") == source.1, "the source changed; \(context)")
        if image.exists(Self.output) {
          try MaintenanceCrashTests.expectDatabase(image, Self.output, records: records, context: context)
        }
      case "rebuild-indexes":
        // The old indexes or rebuilt ones; a backup is of the database as the
        // run found it (a run after a failed one may find it rebuilt).
        let oldOrRebuilt = { (report: VerifyReport) in report.isClean || Self.errors(report) == errors }
        for backup in backups {
          try MaintenanceCrashTests.expectDatabase(image, backup, records: records, context: context, accept: oldOrRebuilt)
        }
        try MaintenanceCrashTests.expectDatabase(image, path, records: records, context: context, accept: oldOrRebuilt)
      default:
        for backup in backups {
          try MaintenanceCrashTests.expectDatabase(image, backup, records: records, context: context)
        }
        try MaintenanceCrashTests.expectDatabase(image, path, records: records, context: context)
      }
    }

    /// Power loss at every operation of the command (sampled in long runs of
    /// writes), each followed by a reboot in every model.
    func crashEverywhere(hardLinks: Bool = true, label: String = "") throws {
      let clean = disk(hardLinks: hardLinks)
      let result = MaintenanceCrashTests.repair(arguments, on: clean)
      #expect(result.status == .success, "\(result.err)")
      let points = clean.crashPoints()
      #expect(points.count > 20)
      for point in points {
        let disk = disk(hardLinks: hardLinks)
        disk.inject(.powerLoss, atOperation: point)
        MaintenanceCrashTests.repair(arguments, on: disk)
        for (name, recovery) in MaintenanceCrashTests.reboots(point) {
          let context =
            "\(command)\(label): power loss at \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?") \(disk.log.last?.path ?? "")), reboot \(name)"
          try expectWhole(disk.afterPowerLoss(recovery), context: context)
        }
      }
    }
  }

  // MARK: Vacuum

  @Test(arguments: [(true, true), (true, false), (false, true)])
  func afterPowerLossAtEveryOperationOfVacuumThePathIsTheOldOrTheNewDatabaseAndTheBackupIsWhole(backup: Bool, hardLinks: Bool)
    throws
  {
    let scenario = try Scenario("vacuum", backup: backup)
    let clean = scenario.disk(hardLinks: hardLinks)
    let result = Self.repair(scenario.arguments, on: clean)
    #expect(result.status == .success, "\(result.err)")
    #expect(clean.paths == (backup ? [Self.path, Self.backup] : [Self.path]), "\(clean.paths)")
    #expect(clean.log.contains { $0.call == "rename" } && clean.log.contains { $0.call == "fsync(dir)" })
    if backup && hardLinks {
      // Nothing touches the old file once the backup is a second name for it.
      let linked = try #require(clean.log.last { $0.call == "link" && $0.path == Self.backup }?.number)
      let late = clean.operations(onFileAt: Self.backup).filter { $0 > linked }
      #expect(late.isEmpty, "vacuum wrote into its backup at operations \(late): \(late.map { clean.log[$0 - 1] })")
    }
    try scenario.crashEverywhere(hardLinks: hardLinks, label: " (backup \(backup), hard links \(hardLinks))")
  }

  // MARK: Salvage

  @Test func afterPowerLossAtEveryOperationOfSalvageTheSourceIsUntouchedAndTheOutputAbsentOrWhole() throws {
    let scenario = try Scenario("salvage")
    try scenario.crashEverywhere()
  }

  // MARK: Rebuild indexes

  @Test func afterPowerLossAtEveryOperationOfRebuildIndexesTheDatabaseHasTheOldOrTheRebuiltIndexes() throws {
    let scenario = try Scenario("rebuild-indexes")
    #expect(!scenario.errors.isEmpty, "the label index is damaged")
    let clean = scenario.disk()
    #expect(Self.repair(scenario.arguments, on: clean).status == .success)
    #expect(try Self.look(Self.path, on: clean).report.isClean)
    #expect(clean.exists(Self.backup))
    try scenario.crashEverywhere()
  }

  // MARK: Failed syncs

  /// The fsync-failure model: each sync of the command (of a file or a
  /// directory) fails in turn. The command must fail and say so; then the
  /// power is lost at once, or after the operator ran the command again in
  /// the same boot (which may succeed or refuse, but must not build on what
  /// the failed sync dropped). Every reboot model must find whole files.
  @Test(arguments: ["vacuum", "salvage", "rebuild-indexes"])
  func afterAFailedSyncTheCommandFailsAndNeitherItNorItsRetryLeavesAPartFileAcrossAPowerLoss(command: String) throws {
    let scenario = try Scenario(command)
    let clean = scenario.disk()
    #expect(Self.repair(scenario.arguments, on: clean).status == .success)
    let syncs = clean.log.filter { $0.call == "fdatasync" || $0.call == "fsync(dir)" }
    #expect(syncs.count > 3)
    for sync in syncs {
      let disk = scenario.disk()
      disk.inject(.syncFailure, atOperation: sync.number)
      let failed = Self.repair(scenario.arguments, on: disk)
      let context = "\(command): \(sync.call) of \(sync.path) (operation \(sync.number)) failed"
      #expect(failed.status != .success, "the failed sync went unreported; \(context)")
      for (name, recovery) in Self.reboots(sync.number) {
        try scenario.expectWhole(disk.afterPowerLoss(recovery), context: "\(context), then power loss, reboot \(name)")
      }
      Self.repair(scenario.arguments, on: disk)
      for (name, recovery) in Self.reboots(sync.number) {
        try scenario.expectWhole(disk.afterPowerLoss(recovery), context: "\(context), ran again, then power loss, reboot \(name)")
      }
    }
  }
}
