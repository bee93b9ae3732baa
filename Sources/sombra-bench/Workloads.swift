import SombraCLI
import SombraCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the groups of `shared/bench/WORKLOAD.md` against SombraCore, validating
/// every answer. Workload id i is engine node id i + 1 (checked at load).
struct BenchRun {
  let graph: BenchGraph
  let path: String
  let cap: Double
  let only: Set<String>
  let out: any TextOutput
  var valid: [String: Bool] = [:]

  func wants(_ group: String) -> Bool { only.isEmpty || only.contains(group) }

  func note(_ text: String) { out.write(text + "\n") }

  /// Whether a capped group must stop (cap 0 = run all).
  func capped(_ start: Double, factor: Double = 1) -> Bool { cap > 0 && now() - start > cap * factor }

  static func options(sync: OpenOptions.SyncMode) -> OpenOptions {
    var o = OpenOptions()
    o.sync = sync
    o.cachePages = 65536  // 512 MiB at 8 KiB pages: the working set of `small` fits
    o.maxTransactionPages = 200_000
    o.maxWALSize = 256 << 20
    o.metricsEnabled = BenchObservability.metrics
    if let level = BenchObservability.logLevel { o.logger = BenchObservability.logger(level) }
    return o
  }

  // MARK: W1 bulk load

  mutating func load(_ db: Database) throws -> JSONValue {
    let n = graph.n
    let t0 = now()
    var i = 0
    while i < n {
      let end = min(n, i + 10_000)
      try db.write { tx in
        // Names resolved once per transaction: keys in name order and labels
        // at first use, the order in which naming them per node adds them.
        let (fval, ival, sval) = (try tx.propertyKey("fval"), try tx.propertyKey("ival"), try tx.propertyKey("sval"))
        var labels = [NodeLabel?](repeating: nil, count: BenchGraph.labelNames.count)
        for w in i..<end {
          let k = Int(graph.label[w])
          let label = try labels[k] ?? tx.nodeLabel(BenchGraph.labelNames[k])
          labels[k] = label
          let id = try tx.createNode(
            labels: [label], properties: [ival: .int(graph.ival[w]), sval: .string(graph.sval[w]), fval: .double(graph.fval[w])])
          guard id == NodeID(w + 1) else { throw SombraError(.misuse, "engine id \(id) for workload node \(w)") }
        }
      }
      i = end
    }
    let t1 = now()
    let e = graph.src.count
    i = 0
    while i < e {
      let end = min(e, i + 10_000)
      try db.write { tx in
        for k in i..<end {
          try tx.createEdge(
            from: NodeID(graph.src[k]) + 1, to: NodeID(graph.dst[k]) + 1, type: BenchGraph.typeNames[Int(graph.type[k])],
            properties: ["w": .int(graph.weight[k])])
        }
      }
      i = end
    }
    let t2 = now()
    let counts = try db.read { tx in (try tx.nodeCount, try tx.edgeCount) }
    valid["W1"] = counts == (n, e)
    return [
      "nodes_per_s": .double(round1(Double(n) / (t1 - t0))), "edges_per_s": .double(round1(Double(e) / (t2 - t1))),
      "nodes_s": .double(round3(t1 - t0)), "edges_s": .double(round3(t2 - t1)), "total_s": .double(round3(t2 - t0)),
      "valid": .bool(counts == (n, e)),
    ]
  }

  // MARK: W3 point reads

  mutating func pointReads(_ db: Database) throws -> JSONValue {
    var rng = SplitMix64(seed: 3)
    var lat = Latencies()
    var ok = true
    let start = now()
    try db.read { tx in
      for _ in 0..<100_000 {
        let w = Int(rng.next() % UInt64(graph.n))
        let t = now()
        let node = try tx.node(NodeID(w + 1))
        lat.add(now() - t)
        if node?.labels != ["L\(graph.label[w])"] || node?.properties["ival"] != .int(graph.ival[w])
          || node?.properties["sval"] != .string(graph.sval[w]) || node?.properties["fval"] != .double(graph.fval[w])
        {
          ok = false
        }
        if capped(start) { break }
      }
    }
    valid["W3"] = ok
    return lat.json([("valid", .bool(ok))])
  }

  // MARK: W4 traversals

  mutating func traversals(_ db: Database) throws -> JSONValue {
    var ok = true
    var result: [JSONMember] = []
    try db.read { tx in
      var rng = SplitMix64(seed: 4)
      var lat = Latencies()
      var total = 0
      let start = now()
      for _ in 0..<100_000 {
        let w = Int(rng.next() % UInt64(graph.n))
        let t = now()
        let ids = try tx.neighbors(of: NodeID(w + 1), direction: .outgoing)
        lat.add(now() - t)
        total += ids.count
        if ids.map({ Int32($0 - 1) }).sorted() != graph.out[w].sorted() { ok = false }
        if capped(start) { break }
      }
      result.append(
        JSONMember(
          "out_neighbors", lat.json([("avg_result", .double(round3(Double(total) / Double(max(1, lat.samples.count)))))])))

      var rng2 = SplitMix64(seed: 41)
      var lat2 = Latencies()
      total = 0
      let start2 = now()
      for _ in 0..<1_000 {
        let w = Int(rng2.next() % UInt64(graph.n))
        let t = now()
        let ring = try tx.nodes(atDistance: 2, from: NodeID(w + 1))
        lat2.add(now() - t)
        total += ring.count
        if Set(ring.map { Int32($0 - 1) }) != graph.ring(w, exactly: 2) { ok = false }
        if capped(start2) { break }
      }
      result.append(
        JSONMember("two_hop", lat2.json([("avg_result", .double(round3(Double(total) / Double(max(1, lat2.samples.count)))))])))

      var rng3 = SplitMix64(seed: 424)
      var lat3 = Latencies()
      total = 0
      let start3 = now()
      for _ in 0..<100 {
        let w = Int(rng3.next() % UInt64(graph.n))
        let t = now()
        let reached = try tx.bfs(from: NodeID(w + 1), depth: 3)
        lat3.add(now() - t)
        total += reached.count
        if reached.count != graph.within(w, 3) { ok = false }
        if capped(start3) { break }
      }
      result.append(
        JSONMember("bfs3", lat3.json([("avg_result", .double(round3(Double(total) / Double(max(1, lat3.samples.count)))))])))
    }
    valid["W4"] = ok
    result.append(JSONMember("valid", .bool(ok)))
    return .object(result)
  }

  // MARK: W5 scans and the property index

  mutating func scans(_ db: Database) throws -> JSONValue {
    let expectedL2 = graph.label.filter { $0 == 2 }.count
    let expected42 = graph.ival.filter { $0 == 42 }.count
    func timed(_ runs: Int, _ body: () throws -> Int) rethrows -> (ms: Double, rows: Int) {
      var times: [Double] = []
      var rows = 0
      for _ in 0..<runs {
        let t = now()
        rows = try body()
        times.append(now() - t)
      }
      return (median(times) * 1000, rows)
    }
    let label = try timed(3) { try db.read { try $0.nodeIDs(label: "L2").count } }
    let noIndex = try timed(3) { try db.read { try $0.nodeIDs(label: nil, key: "ival", .equals(42)).count } }
    let t = now()
    try db.write { try $0.createIndex(label: nil, key: "ival") }
    let createIndex = now() - t
    let withIndex = try timed(5) { try db.read { try $0.nodeIDs(label: nil, key: "ival", .equals(42)).count } }
    let ok = label.rows == expectedL2 && noIndex.rows == expected42 && withIndex.rows == expected42
    valid["W5"] = ok
    return [
      "label_scan": [
        "ms": .double(round3(label.ms)), "rows": .integer(Int64(label.rows)), "valid": .bool(label.rows == expectedL2),
      ],
      "ival_eq_noindex": [
        "ms": .double(round3(noIndex.ms)), "rows": .integer(Int64(noIndex.rows)), "valid": .bool(noIndex.rows == expected42),
      ],
      "index": "label-independent (any label) on ival",
      "create_ival_index_s": .double(round3(createIndex)),
      "ival_eq_index": [
        "ms": .double(round3(withIndex.ms)), "rows": .integer(Int64(withIndex.rows)),
        "valid": .bool(withIndex.rows == expected42),
      ],
    ]
  }

  // MARK: W2 small transactions

  /// 10,000 transactions of one node and two edges each; returns the group's
  /// JSON and the workload ids it committed.
  func smallTransactions(_ db: Database, seed: UInt64, firstID: Int, mode: String) throws -> (JSONValue, Int) {
    var rng = SplitMix64(seed: seed)
    var lat = Latencies()
    let n = UInt64(graph.n)
    let syncsBefore = db.metrics().walSyncs
    let start = now()
    var done = 0
    for i in 0..<10_000 {
      let draw = SmallTransaction(&rng, n: n)
      let tx = try db.beginWrite()
      let id = try draw.write(in: tx)
      guard id == NodeID(firstID + i + 1) else { throw SombraError(.misuse, "engine id \(id) for workload node \(firstID + i)") }
      let t = now()
      try tx.commit()
      lat.add(now() - t)
      done += 1
      if capped(start, factor: 2) { break }
    }
    let json = Self.smallTransactionsJSON(
      lat, elapsed: now() - start, syncs: db.metrics().walSyncs - syncsBefore, [("mode", .string(mode))])
    return (json, done)
  }

  /// The same 10,000 transactions (drawn in the same order from `seed`) run by
  /// `threads` writers at once, each taking the next one; durable commits that
  /// wait together share a sync. Returns the group's JSON and how many committed.
  func groupTransactions(_ db: Database, seed: UInt64, threads: Int) throws -> (JSONValue, Int) {
    var rng = SplitMix64(seed: seed)
    let n = UInt64(graph.n)
    let draws = (0..<10_000).map { _ in SmallTransaction(&rng, n: n) }
    let next = Atomic<Int>(0)
    let results = Mutex<(latencies: Latencies, failure: String?)>((Latencies(), nil))
    let start = now()
    let cap = self.cap
    let syncsBefore = db.metrics().walSyncs
    @Sendable func writer() {
      var lat = Latencies()
      var failure: String?
      while failure == nil {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard i < draws.count, !(cap > 0 && now() - start > cap * 2) else { break }
        do {
          let tx = try db.beginWrite()
          _ = try draws[i].write(in: tx)
          let t = now()
          try tx.commit()
          lat.add(now() - t)
        } catch {
          failure = "\(error)"
        }
      }
      results.withLock {
        $0.latencies.samples += lat.samples
        $0.latencies.total += lat.total
        if $0.failure == nil { $0.failure = failure }
      }
    }
    try runOnThreads(threads, writer)
    let elapsed = now() - start
    let (lat, failure) = results.withLock { ($0.latencies, $0.failure) }
    if let failure { throw SombraError(.misuse, "group commit transaction failed: \(failure)") }
    let syncs = db.metrics().walSyncs - syncsBefore
    let json = Self.smallTransactionsJSON(
      lat, elapsed: elapsed, syncs: syncs,
      [
        ("mode", .string("group")), ("threads", .integer(Int64(threads))), ("seed", .integer(Int64(seed))),
        ("commits_per_sync", .double(round1(Double(lat.samples.count) / Double(max(syncs, 1))))),
      ])
    return (json, lat.samples.count)
  }

  /// A W2 group's JSON: commit latencies, and tx/s over the whole run (not
  /// over the commits alone).
  static func smallTransactionsJSON(_ lat: Latencies, elapsed: Double, syncs: UInt64, _ extra: [(String, JSONValue)]) -> JSONValue
  {
    let done = lat.samples.count
    var json = lat.json(extra + [("syncs", .integer(Int64(syncs))), ("requested", 10_000), ("capped", .bool(done < 10_000))])
    if case .object(var members) = json, let i = members.firstIndex(where: { $0.key == "ops_per_s" }) {
      members[i] = JSONMember("ops_per_s", .double(round1(Double(done) / elapsed)))
      json = .object(members)
    }
    return json
  }
}

/// One W2 transaction as WORKLOAD.md draws it: the node's 4 draws (as a graph
/// node's), then edge A's (new -> dst) 3, then edge B's (src -> new) 3.
struct SmallTransaction: Sendable {
  let label: Int, ival: Int64, sval: String, fval: Double
  let dst: UInt64, typeA: Int, wA: Int64
  let src: UInt64, typeB: Int, wB: Int64

  init(_ rng: inout SplitMix64, n: UInt64) {
    label = Int(rng.next() % 5)
    ival = Int64(rng.next() % 1000)
    sval = BenchGraph.hex16(rng.next())
    fval = Double(rng.next() >> 11) * 0x1p-53
    dst = rng.next() % n
    typeA = Int(rng.next() % 3)
    wA = Int64(rng.next() % 1_000_000)
    src = rng.next() % n
    typeB = Int(rng.next() % 3)
    wB = Int64(rng.next() % 1_000_000)
  }

  /// Creates the node and its two edges in `tx` (workload id i is engine id
  /// i + 1); returns the node's engine id.
  func write(in tx: WriteTransaction) throws -> NodeID {
    let id = try tx.createNode(
      labels: [BenchGraph.labelNames[label]], properties: ["ival": .int(ival), "sval": .string(sval), "fval": .double(fval)])
    try tx.createEdge(from: id, to: dst + 1, type: BenchGraph.typeNames[typeA], properties: ["w": .int(wA)])
    try tx.createEdge(from: src + 1, to: id, type: BenchGraph.typeNames[typeB], properties: ["w": .int(wB)])
    return id
  }
}
