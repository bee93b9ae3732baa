import Testing

@testable import SombraCore

@Suite struct PropertyValueTests {
  static let samples: [PropertyValue] = [
    nil, true, false, 0, 1, -1, .int(.max), .int(.min), 4.25, -0.0, .double(.infinity), .double(.nan),
    "", "Ada", "naïve ✓ 日本", .bytes([]), .bytes([0, 255, 7]), [], [1, "two", 3.0, nil, .bytes([9])],
  ]

  func roundTrip(_ v: PropertyValue) throws -> PropertyValue {
    var w = ByteWriter()
    v.encode(into: &w)
    return try w.bytes.withUnsafeBytes { raw in
      var r = ByteReader(raw)
      let decoded = try PropertyValue.decode(from: &r)
      #expect(r.remaining == 0)
      return decoded
    }
  }

  @Test func skipAcceptsAndRejectsExactlyWhatDecodeDoes() throws {
    // Valid values of every kind, then random bytes (mostly invalid, some UTF-8 edge cases).
    var inputs: [[UInt8]] = Self.samples.map { v in
      var w = ByteWriter()
      v.encode(into: &w)
      return w.bytes
    }
    var rng = SplitMix64(seed: 11)
    for _ in 0..<20_000 {
      let count = Int(rng.next() % 12)
      var bytes: [UInt8] = [5, UInt8(count)]  // a string of `count` random bytes
      for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: rng.next() >> 56)) }
      inputs.append(bytes)
      inputs.append((0..<Int(rng.next() % 10)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }
    for bytes in inputs {
      let outcome: (decoded: Bool, decodedEnd: Int, skipped: Bool, skippedEnd: Int) = bytes.withUnsafeBytes { raw in
        var a = ByteReader(raw)
        var b = ByteReader(raw)
        let decoded = (try? PropertyValue.decode(from: &a)) != nil
        let skipped = (try? PropertyValue.skip(from: &b)) != nil
        return (decoded, a.offset, skipped, b.offset)
      }
      #expect(outcome.decoded == outcome.skipped, "\(bytes)")
      if outcome.decoded { #expect(outcome.decodedEnd == outcome.skippedEnd, "\(bytes)") }
    }
  }

  @Test func everyKindOfValueRoundTrips() throws {
    for v in Self.samples {
      let back = try roundTrip(v)
      if case .double(let d) = v, d.isNaN {
        guard case .double(let e) = back else {
          Issue.record("NaN came back as \(back)")
          continue
        }
        #expect(e.isNaN)
      } else {
        #expect(back == v)
      }
    }
  }

  @Test func listsOfListsAndOversizedValuesAreRejected() {
    #expect(throws: SombraError.self) { try PropertyValue.list([[1]]).validate(key: "k") }
    #expect(throws: SombraError.self) {
      try PropertyValue.bytes([UInt8](repeating: 1, count: PropertyValue.maximumEncodedSize)).validate(key: "k")
    }
  }

  @Test func decodingRandomBytesGivesAValueOrACorruptionErrorNeverATrap() {
    var rng = SplitMix64(seed: 3)
    for _ in 0..<20_000 {
      let bytes = (0..<rng.below(24)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 12) }
      bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw)
        do { _ = try PropertyValue.decode(from: &r) } catch let e as SombraError {
          #expect(e.code == .corruption)
        } catch {
          Issue.record("unexpected \(error)")
        }
      }
    }
  }

  @Test func indexKeysSortInValueOrder() {
    let ordered: [PropertyValue] = [
      nil, false, true, .int(.min), -5, 0, 7, .int(.max), .double(-.infinity), -2.5, 0.0, 1e-300, 3.5, .double(.infinity),
      "", "a", "a\u{0}", "a\u{0}b", "ab", "b", .bytes([]), .bytes([0]), .bytes([1]),
    ]
    let keys = ordered.map { v -> [UInt8] in
      var key: [UInt8] = []
      var cut = false
      KeyEncoding.append(v, to: &key, truncated: &cut)
      return key
    }
    for i in 1..<keys.count {
      #expect(keys[i - 1].lexicographicallyPrecedes(keys[i]), "\(ordered[i - 1]) < \(ordered[i])")
    }
  }

  @Test func longStringsAreCutInIndexKeysAndSaySo() {
    var key: [UInt8] = []
    var cut = false
    KeyEncoding.append(.string(String(repeating: "x", count: 1000)), to: &key, truncated: &cut)
    #expect(cut)
    #expect(key.count == 1 + KeyEncoding.indexedValueLimit + 2)
    var listKey: [UInt8] = []
    #expect(!KeyEncoding.append([1, 2], to: &listKey, truncated: &cut))
    #expect(listKey.isEmpty)
  }
}
