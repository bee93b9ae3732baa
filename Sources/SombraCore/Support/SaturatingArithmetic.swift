/// Addition that stops at the largest value instead of trapping: for counters
/// read from a file (the header's lifetime facts), where a damaged or forged
/// value near the top must never crash a commit.
extension FixedWidthInteger {
  /// `self + other`, or `.max` (or `.min`) where the sum would not fit.
  @inline(__always)
  package func addingSaturating(_ other: Self) -> Self {
    let (sum, overflow) = addingReportingOverflow(other)
    guard overflow else { return sum }
    return other > 0 ? .max : .min
  }
}
