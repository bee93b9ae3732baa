import SombraCLI
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
      try tx.forEachNode { records.nodes.append($0); return true }
      try tx.forEachEdge { records.edges.append($0); return true }
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
        try (0..<30).map { _ in try tx.createNode(labels: ["Temp"], properties: ["blob": .string(String(repeating: "z", count: 700))]) }
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
    _ image: SimulatedDisk, _ file: String, records expected: Records, context: String, accept: (VerifyReport) -> Bool = { $0.isClean }
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
    [("drop unsynced", .dropUnsynced), ("keep all", .keepAll), ("random", .random(seed: UInt64(point))), ("sector tears", .sectors(seed: UInt64(point)))]
  }

  // MARK: Vacuum

  @Test(arguments: [(true, true), (true, false), (false, true)])
  func afterPowerLossAtEveryOperationOfVacuumThePathIsTheOldOrTheNewDatabaseAndTheBackupIsWhole(backup: Bool, hardLinks: Bool) throws {
    let (base, before) = try Self.prepared()
    let arguments = [Self.path, "vacuum", "--yes"] + (backup ? [] : ["--no-backup"])
    let clean = base.afterPowerLoss(.keepAll)
    clean.hardLinks = hardLinks
    let result = Self.repair(arguments, on: clean)
    #expect(result.status == .success, "\(result.err)")
    #expect(clean.paths == (backup ? [Self.path, Self.backup] : [Self.path]), "\(clean.paths)")
    #expect(clean.log.contains { $0.call == "rename" } && clean.log.contains { $0.call == "fsync(dir)" })
    if backup && hardLinks {
      // Nothing touches the old file once the backup is a second name for it.
      let linked = try #require(clean.log.last { $0.call == "link" && $0.path == Self.backup }?.number)
      let late = clean.operations(onFileAt: Self.backup).filter { $0 > linked }
      #expect(late.isEmpty, "vacuum wrote into its backup at operations \(late): \(late.map { clean.log[$0 - 1] })")
    }

    let points = clean.crashPoints()
    #expect(points.count > 30)
    for point in points {
      let disk = base.afterPowerLoss(.keepAll)
      disk.hardLinks = hardLinks
      disk.inject(.powerLoss, atOperation: point)
      Self.repair(arguments, on: disk)
      for (name, recovery) in Self.reboots(point) {
        let image = disk.afterPowerLoss(recovery)
        let context = "backup \(backup), links \(hardLinks): power loss at \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?") \(disk.log.last?.path ?? "")), reboot \(name)"
        if image.exists(Self.backup) {
          try Self.expectDatabase(image, Self.backup, records: before, context: context)
        }
        try Self.expectDatabase(image, Self.path, records: before, context: context)
      }
    }
  }

  // MARK: Salvage

  @Test func afterPowerLossAtEveryOperationOfSalvageTheSourceIsUntouchedAndTheOutputAbsentOrWhole() throws {
    let (base, before) = try Self.prepared()
    let output = "/data/new.sombra"
    let arguments = [Self.path, "salvage", "--output", output, "--yes"]
    let source = (base.contents(Self.path), base.contents(Self.path + ".wal"))
    let clean = base.afterPowerLoss(.keepAll)
    let result = Self.repair(arguments, on: clean)
    #expect(result.status == .success, "\(result.err)")
    #expect(clean.exists(output))

    for point in clean.crashPoints() {
      let disk = base.afterPowerLoss(.keepAll)
      disk.inject(.powerLoss, atOperation: point)
      Self.repair(arguments, on: disk)
      for (name, recovery) in Self.reboots(point) {
        let image = disk.afterPowerLoss(recovery)
        let context = "power loss at \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?") \(disk.log.last?.path ?? "")), reboot \(name)"
        #expect(image.contents(Self.path) == source.0 && image.contents(Self.path + ".wal") == source.1, "the source changed; \(context)")
        if image.exists(output) {
          try Self.expectDatabase(image, output, records: before, context: context)
        }
      }
    }
  }

  // MARK: Rebuild indexes

  @Test func afterPowerLossAtEveryOperationOfRebuildIndexesTheDatabaseHasTheOldOrTheRebuiltIndexes() throws {
    let (base, before) = try Self.prepared(damagedIndexes: true)
    let original = try Self.look(Self.path, on: base).report
    #expect(!original.isClean, "the label index is damaged")
    let arguments = [Self.path, "rebuild-indexes", "--yes"]
    let clean = base.afterPowerLoss(.keepAll)
    let result = Self.repair(arguments, on: clean)
    #expect(result.status == .success, "\(result.err)")
    #expect(try Self.look(Self.path, on: clean).report.isClean)
    #expect(clean.exists(Self.backup))

    // Warnings aside (a main-file page torn by a crash in a checkpoint, which a
    // committed WAL frame replaces, is one), the errors are the old ones or none.
    let errors = { (report: VerifyReport) in report.problems.filter { $0.severity == .error } }
    let oldOrRebuilt = { (report: VerifyReport) in report.isClean || errors(report) == errors(original) }
    for point in clean.crashPoints() {
      let disk = base.afterPowerLoss(.keepAll)
      disk.inject(.powerLoss, atOperation: point)
      Self.repair(arguments, on: disk)
      for (name, recovery) in Self.reboots(point) {
        let image = disk.afterPowerLoss(recovery)
        let context = "power loss at \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?") \(disk.log.last?.path ?? "")), reboot \(name)"
        if image.exists(Self.backup) {
          try Self.expectDatabase(image, Self.backup, records: before, context: context) { errors($0) == errors(original) }
        }
        try Self.expectDatabase(image, Self.path, records: before, context: context, accept: oldOrRebuilt)
      }
    }
  }
}
