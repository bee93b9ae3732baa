import SombraCore

/// The seeded graph of `shared/bench/WORKLOAD.md`: nodes and edges drawn from one
/// splitmix64 stream (seed 42) in exactly the documented order.
struct BenchGraph {
  let n: Int
  var label: [UInt8] = []
  var ival: [Int64] = []
  var sval: [String] = []
  var fval: [Double] = []
  var src: [Int32] = []
  var dst: [Int32] = []
  var type: [UInt8] = []
  var weight: [Int64] = []
  /// Out-neighbours (workload ids) per node, with multiplicity, in edge order.
  var out: [[Int32]] = []

  /// The workload's label and edge type names ("L0"..."L4", "T0"..."T2"), made
  /// once, as an application's name constants would be.
  static let labelNames = (0..<5).map { "L\($0)" }
  static let typeNames = (0..<3).map { "T\($0)" }

  static func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }

  init(n: Int) {
    self.n = n
    var rng = SplitMix64(seed: 42)
    label.reserveCapacity(n)
    for _ in 0..<n {
      label.append(UInt8(rng.next() % 5))
      ival.append(Int64(rng.next() % 1000))
      sval.append(Self.hex16(rng.next()))
      fval.append(Double(rng.next() >> 11) * 0x1p-53)
    }
    let e = 5 * n
    out = Array(repeating: [], count: n)
    for _ in 0..<e {
      let s = Int32(rng.next() % UInt64(n))
      let d = Int32(rng.next() % UInt64(n))
      src.append(s)
      dst.append(d)
      type.append(UInt8(rng.next() % 3))
      weight.append(Int64(rng.next() % 1_000_000))
      out[Int(s)].append(d)
    }
  }

  /// Checks the generator against the documented values (N=100,000).
  func checkValues() -> String? {
    var zero = SplitMix64(seed: 0)
    guard zero.next() == 0xE220_A839_7B1D_CDAF else { return "splitmix64 seed 0 gives the wrong first value" }
    guard n == 100_000 else { return nil }
    guard label[0] == 3, ival[0] == 291, sval[0] == "47526757130f9f52", fval[0] == 0.34419071652363753 else {
      return
        "node 0 is (L\(label[0]), \(ival[0]), \(sval[0]), \(fval[0])), expected (L3, 291, 47526757130f9f52, 0.34419071652363753)"
    }
    guard src[0] == 60054, dst[0] == 50112, type[0] == 0, weight[0] == 435225 else {
      return "edge 0 differs from the documented check"
    }
    return nil
  }

  /// Nodes at BFS distance exactly 2, and distinct nodes within 3 hops (start excluded).
  func ring(_ start: Int, exactly k: Int) -> Set<Int32> { Set(levels(start, upTo: k).filter { $0.value == k }.keys) }

  func within(_ start: Int, _ depth: Int) -> Int { levels(start, upTo: depth).count }

  private func levels(_ start: Int, upTo depth: Int) -> [Int32: Int] {
    var seen: [Int32: Int] = [Int32(start): 0]
    var frontier = [Int32(start)]
    for d in 1...max(1, depth) where d <= depth {
      var next: [Int32] = []
      for v in frontier {
        for w in out[Int(v)] where seen[w] == nil {
          seen[w] = d
          next.append(w)
        }
      }
      frontier = next
    }
    seen[Int32(start)] = nil
    return seen
  }
}
