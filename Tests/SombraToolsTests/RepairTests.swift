import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

enum RepairFixture {
  static let stamp = "20260101-120000"

  /// Runs `sombra-repair` in-process with `COLUMNS=80 NO_COLOR=1`; standard
  /// input is a terminal only when `terminalAnswers` is given (its lines are the answers).
  static func run(_ arguments: [String], terminalAnswers: [String]? = nil) -> (out: String, err: String, status: ExitCode) {
    var (context, out, err) = ToolContext.capturing(InspectFixture.environment, input: terminalAnswers ?? [])
    if terminalAnswers != nil {
      context.terminal = Terminal(
        environment: InspectFixture.environment, standardInputIsTerminal: true, standardOutputIsTerminal: false,
        standardErrorIsTerminal: false)
    }
    let status = SombraRepair.run(arguments, context: context, timestamp: { stamp })
    return (out.text, err.text, status)
  }

  /// The graph of `InspectFixture.makeGraph` with 40 more nodes created and
  /// deleted again (free pages for a vacuum to drop); closed cleanly.
  static func makeGraphWithGarbage(at path: String) throws {
    try InspectFixture.makeGraph(at: path)
    let db = try Database.open(path, options: InspectFixture.options)
    let ids = try db.write { tx in
      try (0..<40).map { _ in
        try tx.createNode(labels: ["Temp"], properties: ["blob": .string(String(repeating: "z", count: 900))])
      }
    }
    try db.write { tx in for id in ids { try tx.deleteNode(id) } }
    try db.close()
  }

  /// Every node and edge, for before/after comparisons.
  static func dump(_ path: String) throws -> (nodes: [Node], edges: [Edge]) {
    let db = try Database.open(path, options: .readOnly)
    defer { try? db.close() }
    return try db.read { tx in
      var nodes: [Node] = []
      var edges: [Edge] = []
      try tx.forEachNode {
        nodes.append($0)
        return true
      }
      try tx.forEachEdge {
        edges.append($0)
        return true
      }
      return (nodes, edges)
    }
  }
}

@Suite struct RepairTests {
  @Test func dryRunPrintsThePlanAndChangesNothing() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let bytes = fileBytes(path)
    let result = RepairFixture.run([path, "vacuum", "--dry-run"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        plan for vacuum of \(path):
          1. take the database exclusively (the writer lock) and checkpoint the WAL (0 committed frames) into it
          2. write a compact copy of the live data to \(path).vacuum-tmp (7 pages now, 0 of them free; at most 28672 bytes)
          3. verify the copy: 3 nodes and 3 edges expected
          4. keep the current file as the backup \(path).backup-YYYYMMDD-HHMMSS
          5. replace \(path) with the copy (atomic rename) and remove the old WAL
        dry run: nothing was changed

        """)
    #expect(fileBytes(path) == bytes)
    #expect(dir.entries() == ["g.sombra", "g.sombra.wal"])
  }

  @Test func withoutYesAndWithoutATerminalEveryCommandRefuses() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let bytes = fileBytes(path)
    for command in ["checkpoint", "vacuum", "rebuild-indexes"] {
      let result = RepairFixture.run([path, command])
      #expect(result.status == .usage)
      #expect(result.out == "")
      #expect(
        result.err
          == "sombra-repair: error: \(command) changes \(path) and needs confirmation, but standard input is not a terminal; pass --yes to proceed (or --dry-run to see the plan)\n"
      )
    }
    #expect(fileBytes(path) == bytes)
    #expect(dir.entries() == ["g.sombra", "g.sombra.wal"])
  }

  @Test func onATerminalAnAnswerOtherThanYesChangesNothing() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let bytes = fileBytes(path)
    let result = RepairFixture.run([path, "vacuum"], terminalAnswers: ["n"])
    #expect(result.status == .failure)
    #expect(result.out == "")
    #expect(
      result.err
        == "Vacuum \(path) (replace it with a compact copy, keeping a backup)? [y/N] sombra-repair: nothing was changed\n")
    #expect(fileBytes(path) == bytes)
  }

  @Test func checkpointShowsTheWALBeforeAndAfter() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let live = dir.file("live.sombra")
    let path = dir.file("g.sombra")
    // A WAL with committed frames and no writer: copies taken while one is live.
    let writer = try InspectFixture.makeLiveWAL(at: live)
    writeFile(path, fileBytes(live) ?? [])
    writeFile(path + ".wal", fileBytes(live + ".wal") ?? [])
    try writer.close()

    let result = RepairFixture.run([path, "checkpoint", "--yes"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        checkpointed \(path) (mode truncate)
          WAL before  2 frames, 66080 bytes
          WAL after   0 frames, 0 bytes

        """)
    #expect(fileBytes(path + ".wal")?.count == 0)
    #expect(try RepairFixture.dump(path).nodes.count == 4)
    #expect(!dir.entries().contains { $0.contains("backup") })
  }

  @Test func checkpointAsJSONIsOneSchema1Document() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = RepairFixture.run([path, "checkpoint", "--mode", "passive", "--yes", "--json"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        {
          "schema": 1,
          "command": "checkpoint",
          "path": "\(path)",
          "dryRun": false,
          "mode": "passive",
          "walFramesBefore": 0,
          "walBytesBefore": 0,
          "walFramesAfter": 0,
          "walBytesAfter": 0,
          "busy": false
        }

        """)
  }

  @Test func vacuumReplacesTheDatabaseWithACompactCopyAndKeepsTheOldFileAsBackup() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try RepairFixture.makeGraphWithGarbage(at: path)
    let before = try RepairFixture.dump(path)
    let oldBytes = fileBytes(path) ?? []
    let result = RepairFixture.run([path, "vacuum", "--yes"])
    #expect(result.status == .success)
    #expect(result.err == "")
    let backup = path + ".backup-" + RepairFixture.stamp
    #expect(
      result.out == """
        vacuumed \(path)
          size      \(oldBytes.count) -> 28672 bytes (\(oldBytes.count / 4096) -> 7 pages)
          records   3 nodes, 3 edges
          verified  no problems
          backup    \(backup)

        """)
    #expect(dir.entries() == ["g.sombra", "g.sombra.backup-\(RepairFixture.stamp)"])
    let after = try RepairFixture.dump(path)
    #expect(after.nodes == before.nodes && after.edges == before.edges)
    let kept = try RepairFixture.dump(backup)
    #expect(kept.nodes == before.nodes && kept.edges == before.edges)
    // The new file opens read-write and writes on, with its own new WAL.
    let db = try Database.open(path, options: InspectFixture.options)
    #expect(try db.write { try $0.createNode(labels: ["Person"]) } == 44)
    try db.close()
  }

  @Test func vacuumWithoutBackupLeavesOnlyTheNewFile() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try RepairFixture.makeGraphWithGarbage(at: path)
    let oldSize = fileBytes(path)?.count ?? 0
    let result = RepairFixture.run([path, "vacuum", "--yes", "--no-backup"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        vacuumed \(path)
          size      \(oldSize) -> 28672 bytes (\(oldSize / 4096) -> 7 pages)
          records   3 nodes, 3 edges
          verified  no problems
          backup    none (--no-backup)

        """)
    #expect(dir.entries() == ["g.sombra"])
  }

  @Test func aDatabaseOpenForWritingIsBusy() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let writer = try Database.open(path, options: InspectFixture.options)
    defer { try? writer.close() }
    for command in ["checkpoint", "vacuum", "rebuild-indexes"] {
      let result = RepairFixture.run([path, command, "--yes"])
      #expect(result.status == .busy)
      #expect(result.out == "")
      #expect(
        result.err == """
          sombra-repair: error: the database is open for writing by another process (or handle); close it or use a read-only open [\(path)]
          sombra-repair: hint: another process has the database open for writing; retry later or raise --lock-timeout

          """)
    }
    #expect(dir.entries() == ["g.sombra", "g.sombra.wal"])
  }

  @Test func aMissingDatabaseCannotBeOpened() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("missing.sombra")
    let result = RepairFixture.run([path, "vacuum", "--yes"])
    #expect(result.status == .cannotOpen)
    #expect(result.out == "")
    #expect(result.err.hasPrefix("sombra-repair: error: "))
    #expect(dir.entries() == [])
    let salvage = RepairFixture.run([path, "salvage", "--output", dir.file("new.sombra"), "--yes"])
    #expect(salvage.status == .cannotOpen)
    #expect(salvage.err == "sombra-repair: error: cannot open \(path): no such file\n")
  }

  @Test func rebuildIndexesRebuildsBacksUpAndVerifies() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = RepairFixture.run([path, "rebuild-indexes", "--yes"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        rebuilt the indexes of \(path)
          records      3 nodes, 3 edges
          entries      3 label, 6 adjacency, 2 property-index
          pages freed  3
          verified     no problems
          backup       \(path).backup-\(RepairFixture.stamp)

        """)
    #expect(dir.entries() == ["g.sombra", "g.sombra.backup-\(RepairFixture.stamp)", "g.sombra.wal"])
  }

  @Test func salvageOfAHealthyDatabaseLosesNothingAndNeverOverwrites() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let bytes = fileBytes(path)
    let output = dir.file("new.sombra")
    let result = RepairFixture.run([path, "salvage", "--output", output, "--yes"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        salvaged \(path) into \(output)
          recovered  3 nodes, 3 edges
          pages      6 scanned, 0 unreadable
          lost       0 nodes, 0 edges
          verified   no problems

        """)
    #expect(fileBytes(path) == bytes)
    let again = RepairFixture.run([path, "salvage", "--output", output, "--yes"])
    #expect(again.status == .failure)
    #expect(
      again.err
        == "sombra-repair: error: \(output) already exists; salvage never overwrites a file: choose another --output or move it away\n"
    )
    let missing = RepairFixture.run([path, "salvage", "--yes"])
    #expect(missing.status == .usage)
  }
}

extension RepairTests {
  @Test func theBuiltExecutablePrintsHelpChecksAndExits3ForAMissingFile() throws {
    let inspect = try #require(InspectBinary.find(), "sombra-inspect is not built next to the test bundle")
    let binary = String(inspect.dropLast("sombra-inspect".count)) + "sombra-repair"
    try #require(access(binary, X_OK) == 0, "sombra-repair is not built next to the test bundle")
    let help = try InspectBinary.run(binary, ["--help"])
    #expect(help.status == 0)
    #expect(help.out.hasPrefix("OVERVIEW: Maintain and repair a Sombra database"))
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let checkpoint = try InspectBinary.run(binary, [path, "checkpoint", "--yes", "--json"])
    #expect(checkpoint.status == 0)
    #expect(checkpoint.err == "")
    #expect(try JSONParser.parse(checkpoint.out)["walBytesAfter"] == 0)
    let missing = try InspectBinary.run(binary, [dir.file("missing.sombra"), "checkpoint", "--yes"])
    #expect(missing.status == 3)
    #expect(missing.out == "")
  }
}
