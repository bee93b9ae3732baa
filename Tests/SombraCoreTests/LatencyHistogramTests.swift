import Testing

@testable import SombraCore

@Suite struct LatencyHistogramTests {
  /// The exact percentile the histogram approximates: the sample of rank ceil(p/100 * n).
  func exact(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
    return sorted[rank - 1]
  }

  func relativeError(_ got: UInt64, _ want: UInt64) -> Double {
    want == 0 ? Double(got) : abs(Double(got) - Double(want)) / Double(want)
  }

  @Test func percentilesOfAMillionSamplesAreWithinOnePercentOfExact() {
    // A long-tailed mix: a log-normal-ish body from 5 µs with a tail to ~1 s.
    var rng = SplitMix64(seed: 42)
    var histogram = LatencyHistogram()
    var samples: [UInt64] = []
    samples.reserveCapacity(1_000_000)
    for _ in 0..<1_000_000 {
      let u = Double(rng.next() % 1_000_000) / 1_000_000
      let body = 5_000 * pow2(u * 8)  // 5 µs ... 1.28 ms
      let tail: Double = rng.next() % 100 == 0 ? Double(rng.next() % 1_000_000_000) : 0
      let value = UInt64(body + tail)
      samples.append(value)
      histogram.record(value)
    }
    samples.sort()
    #expect(histogram.count == 1_000_000)
    for p in [50.0, 90, 95, 99, 99.9] {
      let error = relativeError(histogram.percentile(p), exact(samples, p))
      #expect(error < 0.01, "p\(p): \(histogram.percentile(p)) vs \(exact(samples, p))")
    }
    #expect(histogram.max == samples.last)
  }

  @Test func uniformSamplesOverSixDecadesStayWithinOnePercent() {
    var rng = SplitMix64(seed: 7)
    var histogram = LatencyHistogram()
    var samples: [UInt64] = []
    for _ in 0..<1_000_000 {
      let value = 1 + rng.next() % 1_000_000_000
      samples.append(value)
      histogram.record(value)
    }
    samples.sort()
    for p in [1.0, 50, 95, 99] {
      #expect(relativeError(histogram.percentile(p), exact(samples, p)) < 0.01)
    }
  }

  @Test func smallValuesAreExactAndAnEmptyHistogramReportsZero() {
    var histogram = LatencyHistogram()
    #expect(histogram.percentile(50) == 0)
    for v in 0..<64 as Range<UInt64> { histogram.record(v) }
    #expect(histogram.percentile(50) == 31)
    #expect(histogram.percentile(100) == 63)
  }

  @Test func theMemoryIsBoundedWhateverTheSampleCount() {
    var histogram = LatencyHistogram()
    histogram.record(UInt64.max)
    histogram.record(0)
    #expect(LatencyHistogram.bucketCount == 3776)
    #expect(relativeError(histogram.percentile(100), UInt64.max) < 0.01)
    #expect(histogram.sum == UInt64.max, "the sum saturates")
  }

  @Test func mergingAddsTheSamplesOfBoth() {
    var a = LatencyHistogram()
    var b = LatencyHistogram()
    for v in 1...1000 as ClosedRange<UInt64> { a.record(v * 1000) }
    for v in 1001...2000 as ClosedRange<UInt64> { b.record(v * 1000) }
    a.merge(b)
    #expect(a.count == 2000)
    #expect(relativeError(a.percentile(50), 1_000_000) < 0.01)
  }

  func pow2(_ x: Double) -> Double {
    var result = 1.0
    var e = x
    while e >= 1 {
      result *= 2
      e -= 1
    }
    return result * (1 + e * 0.6931471805599453 * (1 + e * 0.2402265069591007))
  }
}
