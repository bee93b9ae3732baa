import Testing

@testable import SombraCore

@Suite struct CRC32CTests {
  // RFC 3720 (iSCSI) B.4 test vectors for CRC-32C.
  static let vectors: [([UInt8], UInt32)] = [
    (Array("123456789".utf8), 0xE306_9283),
    ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
    ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
    ((0..<32).map { UInt8($0) }, 0x46DD_794E),
    ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
    ([], 0),
  ]

  @Test func hardwareAndSoftwarePathsGiveTheStandardValues() {
    for (bytes, expected) in Self.vectors {
      let sw = bytes.withUnsafeBytes { CRC32C.software(0, $0) }
      #expect(sw == expected, "software path on \(bytes.count) bytes")
      #expect(CRC32C.checksum(bytes) == expected, "dispatching path on \(bytes.count) bytes")
    }
  }

  @Test func chainingEqualsTheChecksumOfTheConcatenation() {
    var rng = SplitMix64(seed: 7)
    for length in [0, 1, 7, 8, 9, 63, 64, 1000, 8192] {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let whole = CRC32C.checksum(bytes)
      for cut in Set([0, length / 3, length / 2, length]) {
        let a = Array(bytes[..<cut])
        let b = Array(bytes[cut...])
        let chained = b.withUnsafeBytes { CRC32C.update(CRC32C.checksum(a), $0) }
        let chainedSW = b.withUnsafeBytes { bp in a.withUnsafeBytes { CRC32C.software(CRC32C.software(0, $0), bp) } }
        #expect(chained == whole)
        #expect(chainedSW == whole)
      }
    }
  }

  @Test func theSoftwarePathMatchesTheHardwarePathOnRandomBuffers() {
    var rng = SplitMix64(seed: 99)
    for _ in 0..<300 {
      let length = Int(rng.next() % 20_000)
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let sw = bytes.withUnsafeBytes { CRC32C.software(0, $0) }
      #expect(sw == CRC32C.checksum(bytes))
    }
  }
}

@Suite struct CRC32CCombineTests {
  @Test func theLaneConstantsOfTheHardwarePathAreTheShiftOperators() {
    // crc32c.c joins its three 1 KiB lanes with these two constants.
    #expect(CRC32C.shift(bytes: 1024) == 0xE417_2B16)
    #expect(CRC32C.shift(bytes: 2048) == 0x0D65_762A)
  }

  @Test func combiningTwoChecksumsEqualsTheChecksumOfTheConcatenation() {
    var rng = SplitMix64(seed: 21)
    for _ in 0..<300 {
      let a = (0..<rng.below(300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let b = (0..<rng.below(9000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let combined = CRC32C.combine(CRC32C.checksum(a), CRC32C.checksum(b), shift: CRC32C.shift(bytes: b.count))
      #expect(combined == CRC32C.checksum(a + b), "|a| = \(a.count), |b| = \(b.count)")
    }
  }
}
