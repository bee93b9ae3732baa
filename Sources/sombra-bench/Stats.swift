import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Monotonic seconds (the engine's clock).
func now() -> Double { monotonicSeconds() }

/// Latency samples in seconds, reported in microseconds.
struct Latencies {
  var samples: [Double] = []
  var total: Double = 0

  mutating func add(_ seconds: Double) {
    samples.append(seconds)
    total += seconds
  }

  func percentile(_ p: Double) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))
    return sorted[index] * 1e6
  }

  var opsPerSecond: Double { total > 0 ? Double(samples.count) / total : 0 }

  func json(_ extra: [(String, JSONValue)] = []) -> JSONValue {
    .object(
      [
        JSONMember("ops", .integer(Int64(samples.count))),
        JSONMember("ops_per_s", .double(round1(opsPerSecond))),
        JSONMember("p50_us", .double(round3(percentile(50)))),
        JSONMember("p95_us", .double(round3(percentile(95)))),
        JSONMember("p99_us", .double(round3(percentile(99)))),
      ] + extra.map { JSONMember($0.0, $0.1) })
  }
}

func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty ? 0 : s[s.count / 2]
}

/// Bytes of a file, 0 when it is missing.
func fileSize(_ path: String) -> Int64 {
  var st = stat()
  return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}
