import Dispatch
import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// `WALDamage`: where a torn tail ends and damage begins, the database id that
/// binds a WAL to its database, and the format 3.1 fields. The real tools on
/// the same cases: `SombraToolsTests/WALDamageToolTests`.
@Suite struct WALDamageTests {
  static let path = "/db/damage.sombra"
  static let walPath = path + ".wal"

  /// The committed frames of a WAL's bytes, with their transactions.
  static func frames(_ wal: [UInt8]) throws -> [WALScan.Frame] {
    let disk = SimulatedDisk()
    disk.setContents("/scan.wal", wal)
    let file = try disk.open("/scan.wal", .readOnly)
    defer { file.close() }
    return try WALScanner.scan(file, pageSize: 8192).committed
  }

  /// A fresh disk holding `main` and `wal` at `path` (what a reboot finds).
  static func disk(main: [UInt8], wal: [UInt8], at path: String) -> SimulatedDisk {
    let disk = SimulatedDisk()
    disk.setContents(path, main)
    disk.setContents(path + ".wal", wal)
    return disk
  }

  /// Flips a byte in the body of the first frame of `transaction`.
  static func damaging(_ wal: [UInt8], transaction: UInt64) throws -> [UInt8] {
    let frames = try frames(wal)
    let index = try #require(frames.firstIndex { $0.transaction == transaction })
    let offset = try #require(WALFormat.frameOffset(index, pageSize: 8192))
    var damaged = wal
    damaged[Int(offset) + WALFormat.frameHeaderSize + 5] ^= 0x40
    return damaged
  }

  /// Group commit: B is written while A waits for its sync, so B claims only
  /// the frames before A. A tear in A (a power loss before the sync) is a torn
  /// tail even though B, whole, follows it; the same byte flipped in the
  /// commit before A, which a sync had covered, is damage.
  @Test func aCommitTornBehindALaterUnsyncedOneIsATornTailButASyncedOneIsDamage() throws {
    let path = GroupCommitTests.path
    let (disk, held, db) = try GroupCommitTests.openWithOneNode()
    let first = try db.read { $0.transactionID }
    let a = try GroupCommitTests.commitHeld(db, held, label: "A")
    let b = try GroupCommitTests.Committer(db, label: "B")
    // Wait until B is written too (it then waits for the sync A holds).
    var live: [UInt8] = []
    let written = waitUntil {
      live = disk.contents(path + ".wal") ?? []
      return (try? Self.frames(live).last?.transaction) == first + 2
    }
    let main = try #require(disk.contents(path))
    #expect(written, "B was not written while A waited")
    #expect(try Self.frames(live).last?.transaction == first + 2)

    let tornA = Self.disk(main: main, wal: try Self.damaging(live, transaction: first + 1), at: path)
    let reopened = try Database.open(path, options: OpenOptions(), storage: tornA)
    #expect(try reopened.read { tx in try ["First", "A", "B"].map { try tx.nodeIDs(label: $0).count } } == [1, 0, 0])
    #expect(reopened.openReport.walDamage == nil)
    try reopened.close()

    let damagedFirst = try Self.damaging(live, transaction: first)
    let damaged = Self.disk(main: main, wal: damagedFirst, at: path)
    let refusal = #expect(throws: SombraError.self) { try Database.open(path, options: OpenOptions(), storage: damaged) }
    #expect(refusal?.code == .corruption)
    #expect(refusal?.message.contains("is damaged") == true, "\(refusal?.message ?? "")")
    #expect(damaged.contents(path + ".wal") == damagedFirst, "the refused open wrote to the WAL")
    let readOnly = try Database.open(path, options: .readOnly, storage: damaged)
    #expect(readOnly.openReport.walDamage != nil)
    #expect(try readOnly.read { $0.transactionID } < first)
    try readOnly.close()

    held.release()
    #expect(try a.join()?.get() != nil)
    #expect(try b.join()?.get() != nil)
    try db.close()
  }

  /// A WAL of another database beside this one: never replayed, never
  /// written; read-only serves the main file; accepting the loss opens
  /// without it.
  @Test func aStrayWALIsRefusedAndServedWithout() throws {
    let disk = SimulatedDisk()
    let home = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    _ = try home.write { try $0.createNode(labels: ["Home"]) }
    try home.close()
    let other = "/db/other.sombra"
    do {
      let db = try Database.open(other, options: OpenOptions(), storage: disk)
      for _ in 0..<3 { _ = try db.write { try $0.createNode(labels: ["Other"]) } }
    }
    let stray = try #require(disk.contents(other + ".wal"))
    disk.setContents(Self.walPath, stray)

    let refusal = #expect(throws: SombraError.self) { try Database.open(Self.path, options: OpenOptions(), storage: disk) }
    #expect(refusal?.code == .corruption)
    #expect(refusal?.message.contains("belongs to another database") == true)
    #expect(disk.contents(Self.walPath) == stray)
    let readOnly = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try readOnly.read { try $0.nodeIDs(label: "Home").count } == 1)
    #expect(try readOnly.read { try $0.nodeIDs(label: "Other").count } == 0)
    #expect(readOnly.walDamage.map { if case .foreign = $0.kind { true } else { false } } == true)
    try readOnly.close()

    var accepting = OpenOptions()
    accepting.acceptWALLoss = true
    let db = try Database.open(Self.path, options: accepting, storage: disk)
    #expect(try db.read { try $0.nodeIDs(label: "Home").count } == 1)
    try db.close()
    let clean = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    #expect(clean.walDamage == nil)
    try clean.close()
  }

  /// New databases get a random id, carried by their WAL; a vacuum's new file
  /// gets its own; a format 3.0 file (id 0) gets one at its next read-write
  /// open and none from a read-only open.
  @Test func theDatabaseIDIsMadeAtCreationBindsTheWALAndIsNewAfterAVacuum() throws {
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    _ = try db.write { try $0.createNode(labels: ["N"]) }
    let id = try db.read { $0.header.databaseID }
    #expect(id != 0)
    let wal = try #require(disk.contents(Self.walPath))
    let walHeader = try wal.withUnsafeBytes { try WALHeader.decode($0).get() }
    #expect(walHeader.version == 3)
    #expect(walHeader.databaseID == WALHeader.binding(id))
    try db.close()

    // Vacuum writes a new file (on the real file system): a new id.
    let dir = try ScratchDirectory()
    let real = try Database.open(dir.path + "/g.sombra", options: OpenOptions())
    _ = try real.write { try $0.createNode(labels: ["N"]) }
    let realID = try real.read { $0.header.databaseID }
    _ = try real.vacuum(into: dir.path + "/vacuumed.sombra")
    try real.close()
    let vacuumed = try Database.open(dir.path + "/vacuumed.sombra", options: .readOnly)
    let newID = try vacuumed.read { $0.header.databaseID }
    #expect(newID != 0 && newID != realID)
    try vacuumed.close()

    // Format 3.0: minor 0, no id, no claim.
    var main = try #require(disk.contents(Self.path))
    main.withUnsafeMutableBytes { page in
      let page0 = UnsafeMutableRawBufferPointer(rebasing: page[0..<8192])
      page0.putLE(UInt16(0), at: 10)
      page0.putLE(UInt64(0), at: DatabaseHeader.databaseIDOffset)
      page0.putLE(UInt32(0), at: DatabaseHeader.durableWALFramesOffset)
      PageLayout.seal(page0)
    }
    disk.setContents(Self.path, main)
    let old = try Database.open(Self.path, options: .readOnly, storage: disk)
    #expect(try old.read { ($0.header.minor, $0.header.databaseID) } == (0, 0))
    try old.close()
    let upgraded = try Database.open(Self.path, options: OpenOptions(), storage: disk)
    let (minor, given) = try upgraded.read { ($0.header.minor, $0.header.databaseID) }
    #expect(minor == DatabaseHeader.currentMinor)
    #expect(given != 0)
    try upgraded.close()
  }
}
