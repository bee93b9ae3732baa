import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import Testing

/// Damage to a WAL that holds acknowledged commits, and WALs that belong to
/// another database, tried through the real executables as operators meet them
/// (issue "No acknowledged commit is ever lost"; `WALDamage` in SombraCore).
/// Every database here committed with `SyncMode.full`: each commit returned
/// only once fsynced, so every one of them was acknowledged.
@Suite struct WALDamageToolTests {
  /// Real files: `before` commits checkpointed into the main file, then
  /// `inWAL` more commits left in the WAL by a handle that never closes
  /// (a process that died). One node per commit.
  static func database(at path: String, checkpointed before: Int, inWAL: Int) throws {
    var options = OpenOptions()
    options.pageSize = 4096
    options.autoCheckpointInterval = nil
    options.maxWALSize = 1 << 40
    do {
      let db = try Database.open(path, options: options)
      for i in 0..<before { _ = try db.write { try $0.createNode(labels: ["Home"], properties: ["i": .int(Int64(i))]) } }
      if before > 0 { _ = try db.checkpoint(.full) }
      for i in 0..<inWAL { _ = try db.write { try $0.createNode(labels: ["Logged"], properties: ["i": .int(Int64(i))]) } }
      // Dropped without close: the WAL keeps every commit after the checkpoint.
    }
  }

  static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    try ToolBinary.run(name, arguments)
  }

  /// The node count a read-only `sombra-inspect info --json` reports.
  static func nodes(_ path: String) throws -> Int? {
    let info = try run("sombra-inspect", [path, "info", "--json"])
    guard info.status == 0, case .integer(let n)? = try JSONParser.parse(info.out)["nodes"] else { return nil }
    return Int(n)
  }

  static func offset(ofFrame frame: Int) -> Int { WALFormat.headerSize + frame * WALFormat.frameSize(pageSize: 4096) }

  /// Every tool that opens for writing refuses, and leaves the WAL byte for byte.
  static func expectWritersRefuse(_ path: String, wal: [UInt8], mentioning words: [String]) throws {
    let checkpoint = try run("sombra-repair", [path, "checkpoint", "--yes"])
    #expect(checkpoint.status == 1, "\(checkpoint.err)")
    for word in words { #expect(checkpoint.err.contains(word), "\(checkpoint.err)") }
    #expect(checkpoint.err.contains("sombra-repair DB recover"))
    let vacuum = try run("sombra-repair", [path, "vacuum", "--yes", "--no-backup"])
    #expect(vacuum.status != 0)
    let shell = try run("sombra", [path, "--command", ".info"])
    #expect(shell.status != 0)
    #expect(fileBytes(path + ".wal") == wal, "a writer changed the damaged WAL")
  }

  @Test func aByteFlippedInTheMiddleOfTheWALIsRefusedAndKeptAndRecoverGivesUpExactlyTheRest() throws {
    let dir = try ScratchDirectory(prefix: "sombra-damage")
    let path = dir.file("g.sombra")
    try Self.database(at: path, checkpointed: 0, inWAL: 240)
    var wal = try #require(fileBytes(path + ".wal"))
    // A byte in the records of frame 120's delta frame: later frames intact.
    wal[Self.offset(ofFrame: 120) + WALFormat.frameHeaderSize + 8] ^= 0x10
    writeFile(path + ".wal", wal)

    let verify = try Self.run("sombra-verify", [path])
    #expect(verify.status == 1)
    #expect(verify.out.contains("WAL_DAMAGED"), "\(verify.out)")
    #expect(verify.out.contains("WAL frame 120"), "\(verify.out)")
    try Self.expectWritersRefuse(path, wal: wal, mentioning: ["WAL frame 120 is damaged", "would be lost"])
    // Read-only: the commits before the damage, with the damage said.
    let served = try #require(try Self.nodes(path))
    #expect(served > 0 && served < 240)
    let listing = try Self.run("sombra-inspect", [path, "wal"])
    #expect(listing.status == 0)
    #expect(listing.out.contains("\ndamage: WAL frame 120 is damaged"), "\(listing.out)")
    let shell = try Self.run("sombra", ["--readonly", path, "--command", ".info"])
    #expect(shell.status == 0)
    #expect(shell.err.hasPrefix("sombra: warning: WAL frame 120 is damaged"), "\(shell.err)")

    let look = try Self.run("sombra-repair", [path, "recover"])
    #expect(look.status == 1)
    #expect(look.out.hasPrefix("WAL damage in \(path): nothing was changed\n"), "\(look.out)")
    #expect(look.out.contains("gives up    \(240 - served) committed transactions"), "\(look.out)")
    #expect(fileBytes(path + ".wal") == wal)

    let recovered = try Self.run("sombra-repair", [path, "recover", "--accept-loss", "--yes"])
    #expect(recovered.status == 0, "\(recovered.out)\(recovered.err)")
    let copies = dir.entries().filter { $0.hasPrefix("g.sombra.damaged-") && $0.hasSuffix(".wal") }
    #expect(copies.count == 1)
    if let copy = copies.first {
      #expect(fileBytes(dir.file(copy)) == wal, "the copy is not the damaged WAL")
      // The pair opens read-only as the database was: the damage is shown again.
      let pair = dir.file(String(copy.dropLast(4)))
      let listing = try Self.run("sombra-inspect", [pair, "wal"])
      #expect(listing.out.contains("\ndamage: WAL frame 120 is damaged"), "\(listing.out)\(listing.err)")
    }
    #expect(try Self.nodes(path) == served)
    #expect(try Self.run("sombra-verify", ["-q", path]).status == 0)
  }

  @Test func aDamagedWALHeaderBesideADatabaseIsRefusedNotDropped() throws {
    let dir = try ScratchDirectory(prefix: "sombra-damage")
    let path = dir.file("g.sombra")
    try Self.database(at: path, checkpointed: 40, inWAL: 200)
    var wal = try #require(fileBytes(path + ".wal"))
    wal[13] ^= 0x01  // the sequence number: the header fails its checksum
    writeFile(path + ".wal", wal)

    let verify = try Self.run("sombra-verify", [path])
    #expect(verify.status == 1)
    #expect(verify.out.contains("WAL_DAMAGED"), "\(verify.out)")
    try Self.expectWritersRefuse(path, wal: wal, mentioning: ["the WAL header is damaged", "200 committed transaction(s)"])
    #expect(try Self.nodes(path) == 40)
  }

  @Test func aYoungDatabaseWhoseWALHeaderIsDamagedIsNeverTruncated() throws {
    let dir = try ScratchDirectory(prefix: "sombra-damage")
    let path = dir.file("g.sombra")
    try Self.database(at: path, checkpointed: 0, inWAL: 50)
    #expect(fileBytes(path)?.isEmpty == true, "the main file should still be empty")
    var wal = try #require(fileBytes(path + ".wal"))
    wal[17] ^= 0x01  // a salt byte
    writeFile(path + ".wal", wal)

    let verify = try Self.run("sombra-verify", [path])
    #expect(verify.status == 1)
    #expect(verify.out.contains("WAL_DAMAGED"), "\(verify.out)")
    // 51: the first open's own commit, and the 50.
    try Self.expectWritersRefuse(path, wal: wal, mentioning: ["the WAL header is damaged", "51 committed transaction(s)"])
    #expect(fileBytes(path)?.isEmpty == true)
  }

  @Test func aWALOfAnotherDatabaseIsNeverReplayedNorDeleted() throws {
    let dir = try ScratchDirectory(prefix: "sombra-damage")
    let path = dir.file("a.sombra")
    let other = dir.file("b.sombra")
    try Self.database(at: path, checkpointed: 40, inWAL: 0)
    var options = OpenOptions()
    options.pageSize = 4096
    let a = try Database.open(path, options: options)
    try a.close()  // clean: the WAL is empty
    try Self.database(at: other, checkpointed: 0, inWAL: 30)
    // A leftover WAL of another database beside a restored copy.
    let stray = try #require(fileBytes(other + ".wal"))
    writeFile(path + ".wal", stray)

    #expect(try Self.nodes(path) == 40)
    let verify = try Self.run("sombra-verify", [path])
    #expect(verify.status == 1)
    #expect(verify.out.contains("WAL_FOREIGN"), "\(verify.out)")
    try Self.expectWritersRefuse(path, wal: stray, mentioning: ["belongs to another database", "not replayed"])
    #expect(try Self.nodes(path) == 40)
    let look = try Self.run("sombra-repair", [path, "recover"])
    #expect(look.status == 1)
    #expect(look.out.hasPrefix("a stray WAL beside \(path): nothing was changed\n"), "\(look.out)")
    let recovered = try Self.run("sombra-repair", [path, "recover", "--accept-loss", "--yes"])
    #expect(recovered.status == 0, "\(recovered.out)\(recovered.err)")
    #expect(try Self.nodes(path) == 40)
    #expect(dir.entries().contains { $0.hasPrefix("a.sombra.damaged-") && $0.hasSuffix(".wal") })
    #expect(try Self.run("sombra-verify", ["-q", path]).status == 0)
  }

  @Test func aTornTailStillOpensWithEveryCommitBeforeIt() throws {
    let dir = try ScratchDirectory(prefix: "sombra-damage")
    let path = dir.file("g.sombra")
    try Self.database(at: path, checkpointed: 0, inWAL: 20)
    // A commit that was being written when the process died: its last frame
    // is cut short. Nothing after it claims it was durable.
    let wal = try #require(fileBytes(path + ".wal"))
    let file = try POSIXStorageSystem().open(path + ".wal", .readOnly)
    let frames = try WALScanner.scan(file, pageSize: 4096).committed.count
    file.close()
    writeFile(path + ".wal", Array(wal.prefix(Self.offset(ofFrame: frames - 1) + 100)))
    let check = try Self.run("sombra", [path, "--command", ".info"])
    #expect(check.status == 0, "\(check.err)")
    #expect(try Self.run("sombra-verify", ["-q", path]).status == 0)
  }
}
