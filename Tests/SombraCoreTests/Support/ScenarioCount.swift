#if canImport(Glibc)
  import Glibc
#endif

/// How many seeded scenarios a randomized test runs: the positive integer in
/// the environment variable `name`, else `fallback`. `scripts/test` runs more
/// than a plain `swift test`, and a long run sets more still.
func scenarioCount(_ name: String, default fallback: Int) -> Int {
  #if canImport(Glibc)
    if let text = getenv(name), let n = Int(String(cString: text)), n > 0 { return n }
  #endif
  return fallback
}
