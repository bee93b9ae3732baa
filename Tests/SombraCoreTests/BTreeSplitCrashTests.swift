import SombraTestSupport
import Testing

@testable import SombraCore

/// Crash simulation for B-tree splits: each commit inserts entries with long
/// keys into one tree of 4096-byte pages, so every commit splits leaves and
/// the interior levels split too (the tree grows from one leaf to three
/// levels), with a few deletes between. A power loss at every write, sync,
/// truncate and directory operation (sampled inside a checkpoint's run of page
/// writes), then a reboot in each model: the tree must hold exactly the
/// entries of a committed prefix that contains every acknowledged commit, pass
/// its invariants (order, fill, separators, depth) with every page accounted
/// for, and take another commit.
@Suite struct BTreeSplitCrashTests {
  static let path = "/db/split.sombra"
  typealias Model = [[UInt8]: [UInt8]]

  static var options: OpenOptions {
    var o = OpenOptions()
    o.pageSize = 4096
    o.cachePages = 16
    o.maxWALSize = 120_000
    return o
  }

  struct Outcome {
    var models: [Model] = [[:]]
    var returned = 0
    var attempted = 0
    var depth = 0
    var failed = false
  }

  /// A key of 300 bytes that differs from the others only in its last 8 (its
  /// number, big-endian): separators are long, so interior pages split too.
  static func key(_ n: Int) -> [UInt8] {
    [UInt8](repeating: 0x4B, count: 292) + bigEndianKey(n)
  }

  static func run(seed: UInt64, on disk: SimulatedDisk) -> Outcome {
    var outcome = Outcome()
    var rng = SplitMix64(seed: seed)
    do {
      let db = try Database.open(path, options: options, storage: disk)
      var model: Model = [:]
      for i in 0..<6 {
        var next = model
        let tx = try db.beginWrite()
        var tree = BTree(root: tx.pages.header.roots[0])
        if tree.root == 0 {
          tree = try BTree.create(in: tx.pages)
          try tx.pages.updateHeader { $0.roots[0] = tree.root }
        }
        for _ in 0..<30 {
          let k = key(rng.below(100_000))
          let value = randomBytes(&rng, count: 40 + rng.below(200))
          _ = try tree.insert(k, value, in: tx.pages)
          next[k] = value
        }
        for k in next.keys.sorted(by: { BTree.compare($0, $1) < 0 }).prefix(3) where rng.below(2) == 0 {
          _ = try tree.remove(k, in: tx.pages)
          next[k] = nil
        }
        outcome.depth = tree.checkInvariants(in: tx.pages).depth
        outcome.models.append(next)
        outcome.attempted += 1
        try tx.commit()
        outcome.returned += 1
        model = next
        if i == 3 { try db.checkpoint(.full) }
      }
      try db.close()
    } catch {
      outcome.failed = true
    }
    return outcome
  }

  /// The tree after a reboot, checked; nil (with an issue recorded) when it is unsound.
  static func check(_ image: SimulatedDisk, _ outcome: Outcome, context: String) throws {
    let db: Database
    do {
      db = try Database.open(path, options: options, storage: image)
    } catch {
      Issue.record("reopen failed: \(error); \(context)")
      return
    }
    let entries: Model = try db.read { tx in
      let root = tx.header.roots[0]
      guard root != 0 else { return [:] }
      let tree = BTree(root: root)
      let check = tree.checkInvariants(in: tx)
      #expect(check.problems.isEmpty, "invariants: \(check.problems.prefix(3)); \(context)")
      #expect(check.pages.count + Int(tx.header.freeListCount) + 1 == Int(tx.header.pageCount), "page accounting; \(context)")
      var model: Model = [:]
      for (key, value) in try tree.entries(in: tx) { model[key] = value }
      return model
    }
    let allowed = outcome.models[outcome.returned...outcome.attempted]
    #expect(allowed.contains(entries), "\(entries.count) entries: not a committed prefix from \(outcome.returned); \(context)")
    try db.write { tx in
      let tree = BTree(root: tx.pages.header.roots[0])
      if tree.root != 0 { _ = try tree.insert([0xFF], [1], in: tx.pages) }
    }
    try db.close()
  }

  @Test(arguments: [41, 42] as [UInt64])
  func afterPowerLossAtEveryOperationTheTreeIsACommittedPrefixAndSound(seed: UInt64) throws {
    let clean = SimulatedDisk()
    let expected = Self.run(seed: seed, on: clean)
    #expect(!expected.failed)
    #expect(expected.depth >= 3, "the root split and an interior level split")
    let points = clean.crashPoints()
    #expect(points.count > 40)
    for point in points {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = Self.run(seed: seed, on: disk)
      #expect(outcome.failed)
      for (name, recovery) in CrashSimulationTests.recoveries(point) {
        let context =
          "seed \(seed), power loss at \(point) of \(clean.operations) (\(disk.log.last?.call ?? "?")), reboot \(name)"
        try Self.check(disk.afterPowerLoss(recovery), outcome, context: context)
      }
    }
  }
}
