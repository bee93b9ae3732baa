import Testing
@testable import SombraCore
@Suite struct BTreeZZBenchTests {
  @Test func bench() throws {
    let f = try BTreeFixture(pageSize: 8192, cachePages: 4096)
    let n = 200_000
    let clock = ContinuousClock()
    let t0 = clock.now
    try f.write { w in for i in 0..<n { try f.tree.insert(bigEndianKey(i), bigEndianKey(i), in: w) } }
    let ins = clock.now - t0
    let tx = try f.db.beginRead()
    var rng = SplitMix64(seed: 1)
    let keys = (0..<100_000).map { _ in bigEndianKey(rng.below(n)) }
    var hits = 0
    let t1 = clock.now
    for k in keys { if try f.tree.get(k, in: tx) != nil { hits += 1 } }
    let get = clock.now - t1
    let t2 = clock.now
    let wtx = try f.db.beginWrite()
    for k in keys.prefix(50_000) { try f.tree.remove(k, in: wtx.pages) }
    let del = clock.now - t2
    wtx.rollback()
    print("BENCH insert \(n) in \(ins) ; 100k gets \(get) hits \(hits); 50k deletes \(del)")
  }
}
