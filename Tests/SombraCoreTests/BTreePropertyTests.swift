import Testing

@testable import SombraCore

/// Seeded scenarios against a dictionary model: random inserts, replaces,
/// updates, deletes, bulk loads and prefix deletes, point reads, range, prefix
/// and reverse scans, in transactions that commit or roll back, with closes and
/// reopens between them. After every step the invariant checker must be green
/// and every page must be the header's, the tree's or on the free list; after
/// every transaction a read snapshot must show exactly the committed model.
/// `SOMBRA_BTREE_SCENARIOS` sets how many seeds (`scripts/test` runs more
/// than the default), in batches of 40 that run side by side.
@Suite struct BTreePropertyTests {
  static let seedsPerBatch: UInt64 = 40
  static let batches = (scenarioCount("SOMBRA_BTREE_SCENARIOS", default: 1000) + Int(seedsPerBatch) - 1) / Int(seedsPerBatch)

  @Test(arguments: 0..<batches)
  func randomOperationsAgreeWithADictionaryModel(batch: Int) throws {
    var totals = BTreeScenario.Stats()
    var split = 0
    let first = UInt64(batch) * Self.seedsPerBatch
    for seed in first..<first + Self.seedsPerBatch {
      do {
        var scenario = BTreeScenario(seed: seed)
        let stats = try scenario.run()
        if stats.maxDepth >= 2 { split += 1 }
        totals.add(stats)
      } catch {
        Issue.record("seed \(seed): \(error)")
        return
      }
    }
    // The scenarios must reach what they claim to test: trees that split,
    // in many seeds (about 6 in 10 do), three levels deep in some.
    #expect(split * 3 >= Int(Self.seedsPerBatch), "\(split) of \(Self.seedsPerBatch) seeds split the root: \(totals)")
    #expect(totals.maxDepth >= 3, "\(totals)")
    #expect(totals.overflowValues > 0 && totals.rollbacks > 0 && totals.reopens > 0, "\(totals)")
  }
}

struct BTreeScenario {
  struct Mismatch: Error, CustomStringConvertible { let description: String }

  struct Stats: CustomStringConvertible {
    var maxDepth = 0
    var overflowValues = 0
    var rollbacks = 0
    var reopens = 0
    var steps = 0
    mutating func add(_ other: Stats) {
      maxDepth = max(maxDepth, other.maxDepth)
      overflowValues += other.overflowValues
      rollbacks += other.rollbacks
      reopens += other.reopens
      steps += other.steps
    }
    var description: String {
      "depth \(maxDepth), overflow \(overflowValues), rollbacks \(rollbacks), reopens \(reopens), steps \(steps)"
    }
  }

  typealias Model = [[UInt8]: [UInt8]]

  let seed: UInt64
  var rng: SplitMix64
  var stats = Stats()
  var step = 0

  init(seed: UInt64) {
    self.seed = seed
    rng = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 17)
  }

  static let alphabet: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]

  mutating func randomKey(_ model: Model) -> [UInt8] {
    if !model.isEmpty && rng.below(10) < 4 {
      return Array(model.keys)[rng.below(model.count)]
    }
    let tail = (0..<(1 + rng.below(3))).map { _ in Self.alphabet[rng.below(Self.alphabet.count)] }
    switch rng.below(20) {
    case 0..<12: return tail
    case 12..<17: return [UInt8](repeating: 0x50, count: rng.below(200)) + tail
    default: return [UInt8](repeating: 0x4C, count: 400 + rng.below(580)) + tail
    }
  }

  mutating func randomValue() -> [UInt8] {
    let length: Int
    switch rng.below(20) {
    case 0..<11: length = rng.below(21)
    case 11..<16: length = 100 + rng.below(800)
    case 16..<19: length = 1000 + rng.below(8000)
    default: length = 990 + rng.below(20)
    }
    if length > 1003 - 7 { stats.overflowValues += 1 }
    return randomBytes(&rng, count: length)
  }

  func sorted(_ model: Model) -> [(key: [UInt8], value: [UInt8])] {
    model.sorted { BTree.compare($0.key, $1.key) < 0 }.map { ($0.key, $0.value) }
  }

  func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw Mismatch(description: "step \(step): \(what())") }
  }

  mutating func run() throws -> Stats {
    var f = try BTreeFixture(cachePages: 32)
    var committed: Model = [:]
    for _ in 0..<(3 + rng.below(4)) {
      let tx = try f.db.beginWrite()
      var model = committed
      for _ in 0..<(1 + rng.below(10)) {
        step += 1
        try apply(f.tree, tx.pages, &model)
        let check = f.tree.checkInvariants(in: tx.pages)
        try expect(check.problems.isEmpty, "invariants: \(check.problems.prefix(3))")
        try expect(check.entries == model.count, "\(check.entries) entries, model has \(model.count)")
        try expect(
          check.pages.count + Int(tx.pages.header.freeListCount) + 1 == Int(tx.pages.pageCount),
          "page accounting: \(check.pages.count) tree + \(tx.pages.header.freeListCount) free + 1 != \(tx.pages.pageCount)")
        stats.maxDepth = max(stats.maxDepth, check.depth)
      }
      if rng.below(5) == 0 {
        try tx.rollback()
        stats.rollbacks += 1
      } else {
        try tx.commit()
        committed = model
      }
      if rng.below(5) == 0 {
        try f.reopen()
        stats.reopens += 1
      }
      let seen = try f.entries()
      let expected = sorted(committed)
      try expect(
        seen.map(\.key) == expected.map(\.key) && seen.map(\.value) == expected.map(\.value),
        "snapshot differs from the committed model")
      try f.read { tx in
        let check = f.tree.checkInvariants(in: tx)
        try expect(check.problems.isEmpty, "committed invariants: \(check.problems.prefix(3))")
      }
    }
    stats.steps = step
    return stats
  }

  /// One random operation on the tree and the model, checking its result.
  mutating func apply(_ tree: BTree, _ w: PageWriter, _ model: inout Model) throws {
    switch rng.below(100) {
    case 0..<40:
      let (k, v) = (randomKey(model), randomValue())
      let new = try tree.insert(k, v, in: w)
      try expect(new == (model[k] == nil), "insert reported new=\(new)")
      model[k] = v
    case 40..<45:
      let (k, v) = (randomKey(model), randomValue())
      if model[k] != nil {
        do {
          try tree.insert(k, v, ifPresent: .fail, in: w)
          try expect(false, "insert .fail of a present key succeeded")
        } catch let e as SombraError where e.code == .invalidArgument {}
      } else {
        try expect(try tree.insert(k, v, ifPresent: rng.below(2) == 0 ? .fail : .keep, in: w), "insert of an absent key")
        model[k] = v
      }
    case 45..<50:
      let (k, v) = (randomKey(model), randomValue())
      try expect(try tree.update(k, v, in: w) == (model[k] != nil), "update result")
      if model[k] != nil { model[k] = v }
    case 50..<70:
      let k = randomKey(model)
      try expect(try tree.remove(k, in: w) == (model.removeValue(forKey: k) != nil), "remove result")
    case 70..<74:
      // Bulk load a run of keys under a random prefix.
      let prefix = [UInt8](
        repeating: Self.alphabet[rng.below(6)], count: rng.below(2) == 0 ? rng.below(300) : 600 + rng.below(300))
      let count = 10 + rng.below(40)
      for n in 0..<count {
        let k = prefix + bigEndianKey(n)
        let v = randomBytes(&rng, count: rng.below(60))
        try tree.insert(k, v, in: w)
        model[k] = v
      }
    case 74..<78:
      let prefix = Array(randomKey(model).prefix(1 + rng.below(3)))
      let removed = try tree.removeAll(prefix: prefix, in: w)
      let doomed = model.keys.filter { $0.starts(with: prefix) }
      try expect(removed == doomed.count, "removeAll(prefix:) removed \(removed), model \(doomed.count)")
      for k in doomed { model[k] = nil }
    case 78..<88:
      let k = randomKey(model)
      try expect(try tree.get(k, in: w) == model[k], "get")
    case 88..<94:
      var (lo, hi) = (randomKey(model), randomKey(model))
      if BTree.compare(lo, hi) > 0 { swap(&lo, &hi) }
      let seen = try tree.entries(from: lo, to: hi, in: w)
      let expected = sorted(model).filter { BTree.compare($0.key, lo) >= 0 && BTree.compare($0.key, hi) < 0 }
      try expect(seen.map(\.key) == expected.map(\.key) && seen.map(\.value) == expected.map(\.value), "range scan")
      try expect(try tree.count(from: lo, to: hi, in: w) == expected.count, "range count")
    case 94..<97:
      let prefix = Array(randomKey(model).prefix(rng.below(3)))
      var seen: [[UInt8]] = []
      try tree.scan(prefix: prefix, in: w) { key, _ in
        seen.append(key)
        return true
      }
      try expect(seen == sorted(model).map(\.key).filter { $0.starts(with: prefix) }, "prefix scan")
    default:
      // Walk backwards from a seek point.
      let k = randomKey(model)
      var cursor = tree.cursor(in: w)
      try cursor.seek(k)
      let all = sorted(model).map(\.key)
      var index = all.firstIndex { BTree.compare($0, k) >= 0 } ?? all.count
      try expect(cursor.isValid == (index < all.count), "seek validity")
      if !cursor.isValid {
        try cursor.seekLast()
        index = all.count - 1
      }
      for _ in 0..<5 where cursor.isValid {
        try expect(index >= 0 && cursor.key == all[index], "reverse walk")
        try cursor.previous()
        index -= 1
      }
      try expect(cursor.isValid == (index >= 0), "reverse walk end")
    }
  }
}
