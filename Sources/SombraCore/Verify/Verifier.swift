/// The integrity verifier: `Database.verify` checks one read snapshot, level by
/// level, and returns coded problems instead of throwing for damage.
///
/// Phases (each level includes the ones before it):
/// 1. checksums (`Verifier+Pages.swift`): the main file and the snapshot's
///    committed WAL frames are read in large sequential chunks, not through the
///    page cache; every page the snapshot uses, every committed frame (salt,
///    running checksum, page), and the superseded main-file copies (warnings).
/// 2. structure (`Verifier+Structure.swift`): the six graph trees through
///    `BTree.checkInvariants`, the free list, page accounting (every page below
///    the page count owned exactly once), then the catalog (`Verifier+Catalog.swift`).
/// 3. graph (`Verifier+Graph.swift`): node and edge records are streamed in id
///    order; the index trees are streamed in key order and each entry is matched
///    against the record it must come from (a lookup by id, no sorting), with a
///    seen bit per expected entry: unseen bits are the missing entries.
///
/// Invariants of the verifier itself:
/// 1. Everything is read from one `ReadTransaction`: its snapshot fixes the page
///    count, the header and the committed WAL frames. The main-file pages it
///    uses cannot change while it lives (a checkpoint copies only frames below
///    every live mark, and the pages it then rewrites are superseded ones), so a
///    live writer never causes a false report. A superseded main-file copy may
///    be rewritten by such a checkpoint while it is read: it is re-read before a
///    failure is reported, and its failures are warnings.
/// 2. Nothing read traps: pages are parsed through `NodeView`, `ByteReader` and
///    the record decoders, which throw; every throw becomes a problem. Pointers
///    are followed with visited sets (the owner map, `checkInvariants`' set).
/// 3. A damaged page is reported once: checks that read a page phase 1 found
///    bad skip their own report of it, and graph checks that need a tree with
///    structural problems are skipped (and listed in `report.skipped`), so one
///    bad page does not become a thousand derived problems.
/// 4. `problems` keeps the first `maxErrors`; `totalProblems` counts every one.
/// 5. A run told to stop (`shouldStop`, asked at each progress step) ends its
///    current loop or scan early and throws `VerifyInterrupted` at the latest
///    at the end of the phase; a partial report is never returned.
extension Database {
  /// Verifies the database on a read snapshot of the last commit (it runs next
  /// to a live writer). Damage is reported in the result; this throws only when
  /// the files cannot be read at all (I/O errors, a closed or poisoned handle).
  ///
  /// ```swift
  /// let report = try db.verify(VerifyOptions(level: .structure))
  /// for problem in report.problems { print(problem.code, problem.message, problem.hint) }
  /// ```
  public func verify(_ options: VerifyOptions = VerifyOptions(), progress: ((VerifyProgress) -> Void)? = nil) throws
    -> VerifyReport
  {
    try verify(options, progress: progress, shouldStop: nil)
  }

  /// As `verify(_:progress:)`, stopping early when `shouldStop` returns true
  /// (the tools' Ctrl-C): it is asked with each progress step (about every 1%
  /// of a phase) and between phases, and then `VerifyInterrupted` is thrown.
  package func verify(
    _ options: VerifyOptions, progress: ((VerifyProgress) -> Void)?, shouldStop: (() -> Bool)?
  ) throws -> VerifyReport {
    let start = monotonicSeconds()
    let tx = try beginRead()
    defer { tx.end() }
    let verifier = Verifier(tx, options: options, progress: progress, shouldStop: shouldStop)
    try verifier.run()
    var report = verifier.report
    report.duration = monotonicSeconds() - start
    return report
  }
}

/// Thrown by `Database.verify(_:progress:shouldStop:)` when it was told to stop.
package struct VerifyInterrupted: Error, Sendable, Equatable {
  package init() {}
}

final class Verifier {
  let tx: ReadTransaction
  let pager: Pager
  let snapshot: Snapshot
  let options: VerifyOptions
  let progressSink: ((VerifyProgress) -> Void)?
  /// Asked at each progress step; true stops the run (`VerifyInterrupted`).
  let shouldStop: (() -> Bool)?
  /// Set once `shouldStop` said yes: scans return early, `run` throws.
  var stopped = false
  var report: VerifyReport

  var header: DatabaseHeader { snapshot.header }
  var pageCount: Int { Int(snapshot.header.pageCount) }

  /// Pages the checksum phase found bad in the copy the snapshot uses.
  var badPages: Set<PageNumber> = []
  /// Who owns each page (structure phase): `Owner.rawValue`, 0 = nobody yet.
  var owners: [UInt8] = []
  /// Graph trees with structural problems; graph checks that read them are skipped.
  var brokenTrees: Set<GraphRoot> = []
  /// Entries per graph tree, from the structure phase (progress totals).
  var treeEntries: [GraphRoot: Int] = [:]
  /// What the catalog holds (structure phase), for the graph phase.
  var catalog = CatalogFacts()
  var catalogUsable = false

  // Progress of the current phase.
  private var phase = ""
  private var phaseTotal = 0
  private var nextReport = 0

  init(_ tx: ReadTransaction, options: VerifyOptions, progress: ((VerifyProgress) -> Void)?, shouldStop: (() -> Bool)? = nil) {
    self.tx = tx
    self.pager = tx.pager
    self.snapshot = tx.snapshot
    self.options = options
    self.progressSink = progress
    self.shouldStop = shouldStop
    self.report = VerifyReport(level: options.level, transactionID: tx.snapshot.header.changeCounter)
  }

  func run() throws {
    report.counts.pages = pageCount
    try checkPages()
    try stopIfAsked()
    guard options.level >= .structure else { return }
    checkStructure()
    try stopIfAsked()
    checkCatalog()
    try stopIfAsked()
    guard options.level >= .graph else { return }
    checkGraph()
    try stopIfAsked()
  }

  /// Throws `VerifyInterrupted` once a progress step was told to stop, or
  /// when `shouldStop` says so now. What a stopped phase left in `report` is
  /// partial and is never returned.
  func stopIfAsked() throws(VerifyInterrupted) {
    if !stopped, let shouldStop, shouldStop() { stopped = true }
    if stopped { throw VerifyInterrupted() }
  }

  // MARK: Problems

  /// Records a problem; past the cap only counts it (the message is not built).
  func problem(
    _ code: VerifyProblem.Code, severity: VerifyProblem.Severity = .error, page: PageNumber? = nil, record: String? = nil,
    _ message: @autoclosure () -> String, hint: String
  ) {
    report.totalProblems += 1
    if severity == .error { report.totalErrors += 1 }
    guard options.maxErrors <= 0 || report.problems.count < options.maxErrors else {
      report.stoppedEarly = true
      return
    }
    report.problems.append(VerifyProblem(code, severity: severity, page: page, record: record, message: message(), hint: hint))
  }

  func skip(_ what: String) {
    report.skipped.append(what)
  }

  // MARK: Progress

  func beginPhase(_ name: String, total: Int) {
    phase = name
    phaseTotal = max(0, total)
    nextReport = 0
    tick(0)
  }

  /// Reports `done` when it has moved at least 1% since the last report, and
  /// then asks `shouldStop`; returns false once the run is to stop (loops
  /// and scans end early, `run` throws at the end of the phase).
  @inline(__always)
  @discardableResult
  func tick(_ done: Int) -> Bool {
    // `progressSink` and `shouldStop` are constants: without them, no stored
    // variable of this class is touched (each such access is checked for
    // exclusivity at run time).
    guard progressSink != nil || shouldStop != nil else { return true }
    guard done >= nextReport else { return !stopped }
    progressSink?(VerifyProgress(phase: phase, done: min(done, phaseTotal), total: phaseTotal))
    nextReport = done + max(1, (phaseTotal + 99) / 100)
    if !stopped, let shouldStop, shouldStop() { stopped = true }
    return !stopped
  }

  func endPhase() {
    guard let sink = progressSink else { return }
    sink(VerifyProgress(phase: phase, done: phaseTotal, total: phaseTotal))
  }
}

/// A tree's name in messages.
extension GraphRoot {
  var name: String {
    switch self {
    case .catalog: "catalog"
    case .nodes: "nodes"
    case .edges: "edges"
    case .adjacency: "adjacency"
    case .labels: "label-index"
    case .properties: "property-index"
    }
  }

  /// The repair for damage confined to this tree: the index trees can be
  /// rebuilt from the records, the rest needs a salvage.
  var repair: String {
    switch self {
    case .adjacency, .labels, .properties: VerifyHint.rebuildIndexes
    case .catalog, .nodes, .edges: VerifyHint.salvage
    }
  }
}

/// Ascending ids and a fast way back from an id to its position.
struct IDLookup {
  let ids: [UInt64]
  /// position + 1 by (id - base) when the ids are dense enough; else empty.
  private let dense: [Int32]
  private let base: UInt64
  /// The ids are base, base + 1, ... without gaps.
  private let contiguous: Bool

  init(_ ids: [UInt64]) {
    self.ids = ids
    guard let first = ids.first, let last = ids.last, ids.count < Int(Int32.max) else {
      dense = []
      base = 0
      contiguous = false
      return
    }
    base = first
    let span = last - first
    if span == UInt64(ids.count - 1) {
      dense = []  // contiguous: the position is id - base
      contiguous = true
    } else if span < UInt64(4 * ids.count + 1024) {
      contiguous = false
      var table = [Int32](repeating: 0, count: Int(span) + 1)
      for (i, id) in ids.enumerated() { table[Int(id - first)] = Int32(i + 1) }
      dense = table
    } else {
      dense = []
      contiguous = false
    }
  }

  @inline(__always)
  func position(of id: UInt64) -> Int? {
    if contiguous {
      return id >= base && id - base < UInt64(ids.count) ? Int(id - base) : nil
    }
    if !dense.isEmpty {
      guard id >= base, id - base < UInt64(dense.count) else { return nil }
      let slot = Int(dense[Int(id - base)])
      return slot == 0 ? nil : slot - 1
    }
    var low = 0
    var high = ids.count
    while low < high {
      let mid = (low + high) / 2
      if ids[mid] < id { low = mid + 1 } else { high = mid }
    }
    return low < ids.count && ids[low] == id ? low : nil
  }
}

/// An order-independent fingerprint of a multiset of adjacency items: each
/// item is hashed (two independent 64-bit mixes of all its fields) and the
/// hashes are summed per lane, with the count. Equal multisets give equal
/// fingerprints; a different multiset gives an equal one only if both 64-bit
/// lane sums collide (about 2^-128 for damage that is not crafted against
/// these mixes), so a match stands for "exactly one item per expectation".
struct AdjacencyFingerprint: Equatable {
  private var lane1: UInt64 = 0
  private var lane2: UInt64 = 0
  private(set) var count = 0

  @inline(__always)
  mutating func add(node: UInt64, outgoing: Bool, type: UInt32, neighbour: UInt64, edge: UInt64) {
    let tag = UInt64(type) << 1 | (outgoing ? 1 : 0)
    lane1 &+= Self.hash(node, tag, neighbour, edge, seed: 0x243F_6A88_85A3_08D3)
    lane2 &+= Self.hash(edge, neighbour, tag, node, seed: 0x1319_8A2E_0370_7344)
    count += 1
  }

  /// Chained splitmix64 finalizers: every input bit reaches every output bit.
  @inline(__always)
  private static func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, seed: UInt64) -> UInt64 {
    var x = mix(seed ^ a)
    x = mix(x ^ b &* 0x9E37_79B9_7F4A_7C15)
    x = mix(x ^ c &* 0xC2B2_AE3D_27D4_EB4F)
    return mix(x ^ d &* 0x1656_67B1_9E37_79F9)
  }

  @inline(__always)
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A fixed-size set of flags.
struct BitSet {
  private var words: [UInt64]

  init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

  /// Sets bit `i`; returns whether it was already set.
  @inline(__always)
  mutating func insert(_ i: Int) -> Bool {
    let mask: UInt64 = 1 << UInt64(i & 63)
    let was = words[i >> 6] & mask != 0
    words[i >> 6] |= mask
    return was
  }

  @inline(__always)
  func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
}
