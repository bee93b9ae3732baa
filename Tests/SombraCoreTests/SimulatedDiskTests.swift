import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The simulator's own model (the header of `SimulatedDisk`): what survives a
/// power loss, byte by byte and entry by entry, and how a failed sync behaves.
/// Every crash test leans on these facts.
@Suite struct SimulatedDiskTests {
  static let path = "/d/f"

  /// A file holding `bytes`, durable with its entry.
  func disk(holding bytes: [UInt8], at path: String = path) -> SimulatedDisk {
    let disk = SimulatedDisk()
    disk.setContents(path, bytes)
    return disk
  }

  func write(_ file: any StorageFile, _ bytes: [UInt8], at offset: UInt64) throws {
    try bytes.withUnsafeBytes { try file.write($0, at: offset) }
  }

  @Test func aPowerLossKeepsSyncedBytesAndDropsUnsyncedOnes() throws {
    let disk = disk(holding: [UInt8](repeating: 1, count: 100))
    let file = try disk.open(Self.path, .readWrite)
    try write(file, [2, 2], at: 0)
    try file.sync()
    try write(file, [3, 3], at: 10)
    #expect(disk.contents(Self.path)?[10] == 3)
    let rebooted = disk.afterPowerLoss(.dropUnsynced)
    #expect(rebooted.contents(Self.path)?[0..<2] == [2, 2])
    #expect(rebooted.contents(Self.path)?[10] == 1)
    #expect(disk.afterPowerLoss(.keepAll).contents(Self.path)?[10] == 3)
  }

  @Test func anUnsyncedWriteSurvivesAsAnySubsetOfItsSectorsAndNoSectorIsSplit() throws {
    let size = SimulatedDisk.sectorSize
    var patterns = Set<[Bool]>()
    for seed in 0..<64 as Range<UInt64> {
      let disk = disk(holding: [UInt8](repeating: 0, count: 6 * size))
      let file = try disk.open(Self.path, .readWrite)
      // Sectors 1 (from byte 100 on), 2, 3 and 4 (up to byte 200).
      try write(file, [UInt8](repeating: 7, count: 3 * size + 100), at: UInt64(size + 100))
      let bytes = try #require(disk.afterPowerLoss(.sectors(seed: seed)).contents(Self.path))
      #expect(bytes.count == 6 * size || bytes.count <= 5 * size)
      var landed: [Bool] = []
      for sector in 1...4 {
        let start = sector == 1 ? size + 100 : sector * size
        let end = sector == 4 ? 4 * size + 200 : (sector + 1) * size
        let part = bytes.count >= end ? Array(bytes[start..<end]) : []
        let all = !part.isEmpty && part.allSatisfy { $0 == 7 }
        #expect(all || part.allSatisfy { $0 == 0 }, "sector \(sector) is split; seed \(seed)")
        landed.append(all)
      }
      #expect(bytes[0..<size + 100].allSatisfy { $0 == 0 }, "nothing lands outside the write")
      patterns.insert(landed)
    }
    #expect(patterns.contains([false, true, false, true]), "a later sector lands without an earlier one: \(patterns)")
    #expect(patterns.contains([true, true, true, true]) && patterns.contains([false, false, false, false]))
    #expect(patterns.count > 10)
  }

  @Test func aFailedSyncDropsThePendingWritesWhileReadsStillSeeThem() throws {
    let disk = disk(holding: [UInt8](repeating: 1, count: 64))
    let file = try disk.open(Self.path, .readWrite)
    try write(file, [2], at: 0)
    disk.inject(.syncFailure, atOperation: disk.operations + 2)
    try write(file, [3], at: 1)
    #expect(throws: SombraError.self) { try file.sync() }
    // Reported once: the next sync succeeds, but the dropped writes stay lost.
    try write(file, [4], at: 2)
    try file.sync()
    #expect(disk.contents(Self.path)?[0..<3] == [2, 3, 4], "live reads see every write")
    #expect(disk.durableContents(Self.path)?[0..<3] == [1, 1, 4])
    #expect(disk.afterPowerLoss(.keepAll).contents(Self.path)?[0..<3] == [1, 1, 4])
  }

  @Test func aCreatedFileIsDurableOnlyOnceItsDirectoryIsSynced() throws {
    let disk = SimulatedDisk()
    let file = try disk.open("/d/new", .readWriteCreate)
    try write(file, [9, 9], at: 0)
    try file.sync()
    #expect(!disk.afterPowerLoss(.dropUnsynced).exists("/d/new"), "the data is durable, its name is not")
    try disk.syncDirectory(of: "/d/other")
    let rebooted = disk.afterPowerLoss(.dropUnsynced)
    #expect(rebooted.contents("/d/new") == [9, 9])
    #expect(rebooted.paths == ["/d/new"])
  }

  @Test func renameLinkAndUnlinkAreUndoneUnlessTheDirectoryIsSynced() throws {
    let disk = disk(holding: [1], at: "/d/old")
    disk.setContents("/d/tmp", [2])
    try disk.link("/d/old", as: "/d/backup")
    try disk.rename("/d/tmp", over: "/d/old")
    try disk.remove("/d/gone-missing")
    #expect(disk.contents("/d/old") == [2] && disk.contents("/d/backup") == [1] && !disk.exists("/d/tmp"))

    let reverted = disk.afterPowerLoss(.dropUnsynced)
    #expect(reverted.contents("/d/old") == [1] && reverted.contents("/d/tmp") == [2] && !reverted.exists("/d/backup"))
    let kept = disk.afterPowerLoss(.keepAll)
    #expect(kept.paths == ["/d/backup", "/d/old"])

    // A random reboot keeps the changes in order: never the rename without the link.
    var seen = Set<[String]>()
    for seed in 0..<40 as Range<UInt64> {
      let image = disk.afterPowerLoss(.random(seed: seed))
      seen.insert(image.paths)
      if image.contents("/d/old") == [2] { #expect(image.contents("/d/backup") == [1], "seed \(seed)") }
    }
    #expect(seen == [["/d/old", "/d/tmp"], ["/d/backup", "/d/old", "/d/tmp"], ["/d/backup", "/d/old"]])

    try disk.syncDirectory(of: "/d/old")
    #expect(disk.afterPowerLoss(.dropUnsynced).paths == ["/d/backup", "/d/old"])
  }

  @Test func aHandleFollowsItsFileWhenThePathIsRenamedOverOrRemoved() throws {
    let disk = disk(holding: [1, 1], at: "/d/a")
    let file = try disk.open("/d/a", .readWrite)
    let before = try file.identity()
    disk.setContents("/d/b", [5])
    try disk.rename("/d/b", over: "/d/a")
    try write(file, [2], at: 0)
    #expect(disk.contents("/d/a") == [5], "the path names the new file")
    #expect(disk.identity(of: "/d/a") != before)
    try disk.remove("/d/a")
    var byte: [UInt8] = [0]
    _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
    #expect(byte == [2], "an unlinked file stays readable through its handle")
  }

  @Test func directoryOperationsAreNumberedAndAPowerLossStopsThem() throws {
    let clean = SimulatedDisk()
    func run(_ disk: SimulatedDisk) throws {
      let file = try disk.open("/d/t", .createNew)
      try write(file, [1], at: 0)
      try file.sync()
      try disk.syncDirectory(of: "/d/t")
      try disk.link("/d/t", as: "/d/u")
      try disk.rename("/d/u", over: "/d/v")
      try disk.remove("/d/t")
    }
    try run(clean)
    #expect(clean.log.map(\.call) == ["open(O_CREAT)", "pwrite", "fdatasync", "fsync(dir)", "link", "rename", "unlink"])

    let disk = SimulatedDisk()
    disk.inject(.powerLoss, atOperation: 6)
    #expect(throws: SombraError.self) { try run(disk) }
    #expect(disk.paths == ["/d/t", "/d/u"], "the rename never happened")
    #expect(throws: SombraError.self) { try disk.syncDirectory(of: "/d/t") }
    #expect(disk.afterPowerLoss(.keepAll).paths == ["/d/t", "/d/u"])
  }

  @Test func withoutHardLinksLinkFailsAndAnExclusiveCreateRefusesAnExistingFile() throws {
    let disk = disk(holding: [1])
    disk.hardLinks = false
    #expect {
      try disk.link(Self.path, as: "/d/g")
    } throws: {
      ($0 as? SombraError)?.errno == EPERM
    }
    #expect {
      try disk.open(Self.path, .createNew)
    } throws: {
      ($0 as? SombraError)?.errno == EEXIST
    }
    #expect(disk.operations == 0)
  }
}
