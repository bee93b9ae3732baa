#if canImport(Glibc)
  import Glibc
#endif

/// A streaming latency distribution of bounded memory: a log-linear histogram
/// (as HdrHistogram does it) over nanoseconds.
///
/// Layout (the whole state is one fixed array of `bucketCount` counters):
/// 1. Values 0..<64 each have their own bucket (index = value).
/// 2. A value v >= 64 with highest set bit e (6...63) falls in one of 64 equal
///    sub-buckets of [2^e, 2^(e+1)): index = 64 + (e - 6) * 64 + (v >> (e - 6)) - 64.
/// 3. A bucket is reported by its midpoint, so a reported percentile is within
///    half a sub-bucket, 1/128 (0.78%) relative, of the sample it stands for.
/// Recording is O(1) with no allocation; the memory is 3,776 counters (about
/// 30 KiB) whatever the number of samples.
package struct LatencyHistogram: Sendable, Equatable {
  static let subBits = 6
  static let subCount = 1 << subBits
  package static let bucketCount = subCount + (64 - subBits) * subCount

  private var buckets: [UInt64]
  /// Samples recorded.
  package private(set) var count: UInt64 = 0
  /// Sum of every sample, in nanoseconds (saturating).
  package private(set) var sum: UInt64 = 0
  /// The largest sample, in nanoseconds.
  package private(set) var max: UInt64 = 0

  package init() {
    buckets = Array(repeating: 0, count: Self.bucketCount)
  }

  /// The bucket of a value (see the layout).
  @inline(__always)
  static func index(_ value: UInt64) -> Int {
    if value < UInt64(subCount) { return Int(value) }
    let e = 63 - value.leadingZeroBitCount
    let shift = e - subBits
    return subCount + shift * subCount + Int(value >> UInt64(shift)) - subCount
  }

  /// The midpoint of bucket `index`, the value it reports.
  static func midpoint(_ index: Int) -> UInt64 {
    if index < subCount { return UInt64(index) }
    let shift = (index - subCount) / subCount
    let sub = (index - subCount) % subCount + subCount
    let lower = UInt64(sub) << UInt64(shift)
    return lower + (UInt64(1) << UInt64(shift)) / 2
  }

  /// Adds one sample.
  @inline(__always)
  package mutating func record(_ nanoseconds: UInt64) {
    buckets[Self.index(nanoseconds)] += 1
    count += 1
    let (s, overflow) = sum.addingReportingOverflow(nanoseconds)
    sum = overflow ? UInt64.max : s
    if nanoseconds > max { max = nanoseconds }
  }

  /// The value at percentile `p` (0...100), in nanoseconds: the midpoint of the
  /// bucket holding the sample of rank ceil(p/100 * count); 0 when empty.
  package func percentile(_ p: Double) -> UInt64 {
    guard count > 0 else { return 0 }
    let clamped = Swift.min(Swift.max(p, 0), 100)
    let rank = Swift.max(1, UInt64((clamped / 100 * Double(count)).rounded(.up)))
    var seen: UInt64 = 0
    for (i, n) in buckets.enumerated() where n > 0 {
      seen += n
      if seen >= rank { return Swift.min(Self.midpoint(i), max) }
    }
    return max
  }

  /// Adds every sample of `other`.
  package mutating func merge(_ other: LatencyHistogram) {
    for i in 0..<Self.bucketCount { buckets[i] += other.buckets[i] }
    count += other.count
    let (s, overflow) = sum.addingReportingOverflow(other.sum)
    sum = overflow ? UInt64.max : s
    max = Swift.max(max, other.max)
  }

  /// Count, sum and the usual percentiles, in seconds.
  package var summary: LatencySummary {
    LatencySummary(
      count: count, sumSeconds: Double(sum) / 1e9, p50: Double(percentile(50)) / 1e9,
      p95: Double(percentile(95)) / 1e9, p99: Double(percentile(99)) / 1e9, maxSeconds: Double(max) / 1e9)
  }
}

/// A latency distribution summarized: sample count, total and percentiles in seconds.
public struct LatencySummary: Sendable, Equatable {
  /// Samples recorded.
  public var count: UInt64
  /// Sum of all samples, in seconds.
  public var sumSeconds: Double
  /// Median, in seconds (within 1% of the exact sample).
  public var p50: Double
  /// 95th percentile, in seconds.
  public var p95: Double
  /// 99th percentile, in seconds.
  public var p99: Double
  /// The largest sample, in seconds.
  public var maxSeconds: Double

  /// A summary from its parts.
  public init(
    count: UInt64 = 0, sumSeconds: Double = 0, p50: Double = 0, p95: Double = 0, p99: Double = 0, maxSeconds: Double = 0
  ) {
    self.count = count
    self.sumSeconds = sumSeconds
    self.p50 = p50
    self.p95 = p95
    self.p99 = p99
    self.maxSeconds = maxSeconds
  }
}

/// Monotonic nanoseconds, for latencies.
@inline(__always)
package func monotonicNanoseconds() -> UInt64 {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)  // tv_sec >= 0 and far below 2^33 s of uptime: cannot wrap
}
