import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

/// Where `WALDamage` must not see damage: after an accepted loss, behind a
/// header cut short before any sync, and in a huge sparse WAL (bounded work).
@Suite struct WALDamageEdgeTests {
  static let path = "/db/edge.sombra"
  static let walPath = path + ".wal"

  static func copy(of disk: SimulatedDisk) throws -> SimulatedDisk {
    let fresh = SimulatedDisk()
    fresh.setContents(path, try #require(disk.contents(path)))
    fresh.setContents(walPath, try #require(disk.contents(walPath)))
    return fresh
  }

  /// Accepting the loss keeps the WAL's generation (same salts) and leaves the
  /// genuine frames after the damage in place. When the session that accepted
  /// it ends without a WAL reset (a process that dies before close; likewise a
  /// close whose checkpoint a reader in another process keeps busy), the next
  /// plain open finds those old frames, still genuine, still claiming more
  /// durable frames than it keeps, and refuses the database again: "damage"
  /// with no new fault at all.
  @Test func afterAcceptingTheLossADeathBeforeCloseStillReopens() throws {
    let disk = SimulatedDisk()
    do {
      let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
      _ = try db.write { try $0.createNode(labels: ["Home"]) }
      try db.close()
    }
    do {
      let db = try Database.open(Self.path, options: OpenOptions(), storage: disk)
      for _ in 0..<20 { _ = try db.write { try $0.createNode(labels: ["Logged"]) } }
      // Dropped without close: every commit (synced) stays in the WAL.
    }
    let damaged = try Self.copy(of: disk)
    var wal = try #require(damaged.contents(Self.walPath))
    // Frame 0 (this session's first commit): the damage keeps no frame.
    wal[WALFormat.headerSize + WALFormat.frameHeaderSize + 5] ^= 0x40
    damaged.setContents(Self.walPath, wal)
    let refusal = #expect(throws: SombraError.self) { try Database.open(Self.path, options: OpenOptions(), storage: damaged) }
    #expect(refusal?.code == .corruption)

    var accepting = OpenOptions()
    accepting.acceptWALLoss = true
    do {
      let db = try Database.open(Self.path, options: accepting, storage: damaged)
      #expect(try db.read { try $0.nodeIDs(label: "Home").count } == 1)
      _ = try db.write { try $0.createNode(labels: ["After"]) }
      // The process dies here: no close, no checkpoint.
    }
    let afterDeath = try Self.copy(of: damaged)
    let reopened: Database
    do {
      reopened = try Database.open(Self.path, options: OpenOptions(), storage: afterDeath)
    } catch {
      Issue.record("a plain reopen after the accepting session died is refused: \(error)")
      return
    }
    #expect(reopened.openReport.walDamage == nil, "\(reopened.openReport.walDamage ?? "")")
    #expect(try reopened.read { try $0.nodeIDs(label: "After").count } == 1)
    try reopened.close()
  }
}

extension WALDamageEdgeTests {
  /// The crash model the suite uses (`Recovery.random`) cuts a pending write
  /// at any byte and may keep a later write whole, so a header can be torn. With
  /// `SyncMode.off` nothing was ever synced, so nothing acknowledged as durable
  /// can be lost; this must open (as an empty or partial database), not be
  /// refused as damage.
  @Test func aWALHeaderCutShortBeforeAnySyncIsATornTailNotDamage() throws {
    var options = OpenOptions()
    options.sync = .off
    let disk = SimulatedDisk()
    let db = try Database.open(Self.path, options: options, storage: disk)
    for i in 0..<4 { _ = try db.write { try $0.createNode(labels: ["N"], properties: ["i": .int(Int64(i))]) } }
    var wal = try #require(disk.afterPowerLoss(.keepAll).contents(Self.walPath))
    // The first write (header and the first commit's frames) cut after 10 bytes; later writes kept.
    let file = try disk.open(Self.walPath, .readOnly)
    let pageSize = Int(try wal.withUnsafeBytes { try WALHeader.decode($0).get() }.pageSize)
    let committed = try WALScanner.scan(file, pageSize: pageSize).committed
    file.close()
    let firstTx = try #require(committed.first?.transaction)
    let firstEnd = try #require(WALFormat.frameOffset(committed.lastIndex { $0.transaction == firstTx }! + 1, pageSize: pageSize))
    for i in 10..<Int(firstEnd) { wal[i] = 0 }
    let image = SimulatedDisk()
    image.setContents(Self.path, disk.afterPowerLoss(.keepAll).contents(Self.path) ?? [])
    image.setContents(Self.walPath, wal)
    do {
      let reopened = try Database.open(Self.path, options: options, storage: image)
      try reopened.close()
    } catch {
      Issue.record("a crash that tore only unsynced writes is refused: \(error)")
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension WALDamageEdgeTests {
  /// `WALDamage.assess` walks every frame slot to the end of the file, and a
  /// zeroed header makes (0, 0) a candidate generation whose "frames" (zeros)
  /// all match, so each body is read and checked. A sparse WAL whose size says
  /// 4 GiB (a few KiB on disk) must not be read to its end by a read-only open:
  /// the work is bounded by the bytes read, not by how long a loaded machine
  /// takes for them.
  @Test func aHugeSparseWALWithAZeroHeaderIsNotReadToItsEnd() throws {
    let dir = try ScratchDirectory()
    let path = dir.path + "/g.sombra"
    var options = OpenOptions()
    options.pageSize = 4096
    let db = try Database.open(path, options: options)
    _ = try db.write { try $0.createNode(labels: ["N"]) }
    try db.close()
    let fd = open(path + ".wal", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    #expect(fd >= 0)
    #expect(ftruncate(fd, 4 << 30) == 0)
    close(fd)
    let counted = WALReadCount()
    let ro = try Database.open(path, options: .readOnly, storage: counted)
    try ro.close()
    let read = counted.bytes.load(ordering: .relaxed)
    // The walk stops after a growth step (4 MiB) of slots that are not frames.
    #expect(read <= 2 * WALFormat.maxGrowthBytes, "a read-only open read \(read) bytes of a sparse 4 GiB WAL")
  }
}

/// POSIX storage that counts the bytes read from WAL files.
private final class WALReadCount: ForwardingStorageSystem {
  let base: any StorageSystem = POSIXStorageSystem()
  let bytes = Atomic<Int>(0)

  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let file = try base.open(path, mode)
    return path.hasSuffix(".wal") ? CountedFile(file, count: self) : file
  }

  private final class CountedFile: ForwardingStorageFile {
    let file: any StorageFile
    let count: WALReadCount

    init(_ file: any StorageFile, count: WALReadCount) {
      self.file = file
      self.count = count
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
      let n = try file.read(into: buffer, at: offset)
      count.bytes.add(n, ordering: .relaxed)
      return n
    }
  }
}
