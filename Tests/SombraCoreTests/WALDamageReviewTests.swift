import Testing

@testable import SombraCore

/// Review findings on `WALDamage` (branch `review`).
@Suite struct WALDamageReviewTests {
  static let path = "/db/review.sombra"
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
