import CSombraCRC

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
/// page trailer, the WAL header and the WAL's running checksum over its frames;
/// the catalog also uses it to shorten long names in keys.
///
/// Values compose like zlib's `crc32`: `update(update(0, a), b) == checksum(a ++ b)`,
/// which is how the WAL's running checksum chains frames. The SSE4.2 instruction is
/// used when the CPU has it; otherwise a slicing-by-8 table in Swift.
package enum CRC32C {
  /// Whether the hardware path is in use on this machine.
  package static let hardwareAvailable: Bool = sombra_crc32c_hw_available() != 0

  /// The CRC of `bytes`, continuing from `crc` (0 to start).
  @inlinable
  package static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    if hardwareAvailable {
      return sombra_crc32c_hw(crc, base, bytes.count)
    }
    return software(crc, bytes)
  }

  /// The CRC of `bytes`.
  @inlinable
  package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    update(0, bytes)
  }

  /// The CRC of an array of bytes (tests and small buffers).
  package static func checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0) }
  }

  /// The portable path: slicing-by-8 over eight 256-entry tables.
  package static func software(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var c = ~crc
    var index = 0
    let count = bytes.count
    tables.withUnsafeBufferPointer { t in
      while count - index >= 8 {
        let lo =
          UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
          | UInt32(bytes[index + 3]) << 24
        let hi =
          UInt32(bytes[index + 4]) | UInt32(bytes[index + 5]) << 8
          | UInt32(bytes[index + 6]) << 16 | UInt32(bytes[index + 7]) << 24
        let x = c ^ lo
        c =
          t[7 &* 256 &+ Int(x & 0xFF)] ^ t[6 &* 256 &+ Int((x >> 8) & 0xFF)]
          ^ t[5 &* 256 &+ Int((x >> 16) & 0xFF)] ^ t[4 &* 256 &+ Int(x >> 24)]
          ^ t[3 &* 256 &+ Int(hi & 0xFF)] ^ t[2 &* 256 &+ Int((hi >> 8) & 0xFF)]
          ^ t[1 &* 256 &+ Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
        index += 8
      }
      while index < count {
        c = t[Int((c ^ UInt32(bytes[index])) & 0xFF)] ^ (c >> 8)
        index += 1
      }
    }
    return ~c
  }

  /// Table k maps a byte to its CRC contribution k bytes further on.
  private static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for n in 0..<256 {
      var c = UInt32(n)
      for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
      t[n] = c
    }
    for k in 1..<8 {
      for n in 0..<256 {
        let prev = t[(k - 1) * 256 + n]
        t[k * 256 + n] = t[Int(prev & 0xFF)] ^ (prev >> 8)
      }
    }
    return t
  }()
}

/// Combining checksums: the CRC of `A ++ B` from the CRCs of `A` and `B`.
///
/// A CRC is linear over GF(2): appending n bytes multiplies the register by
/// x^(8n) modulo the polynomial. So crc(A ++ B) = crc(A) · x^(8·|B|) ⊕ crc(B),
/// with polynomials in the reflected bit order the CRC uses (bit 31 is x^0).
/// The WAL chain uses this to extend its running checksum over a page whose
/// own CRC is already known, instead of reading the page a second time.
extension CRC32C {
  /// The operator x^(8n) mod P that shifts a CRC past `n` bytes.
  package static func shift(bytes n: Int) -> UInt32 {
    var result: UInt32 = 1 << 31  // x^0
    var power: UInt32 = 1 << 23  // x^8
    var remaining = n
    while remaining > 0 {
      if remaining & 1 != 0 { result = multiply(result, power) }
      power = multiply(power, power)
      remaining >>= 1
    }
    return result
  }

  /// crc(A ++ B), given crc(A), crc(B) and `shift(bytes: |B|)`.
  @inline(__always)
  package static func combine(_ a: UInt32, _ b: UInt32, shift: UInt32) -> UInt32 {
    multiply(shift, a) ^ b
  }

  /// The product of two polynomials modulo the CRC-32C polynomial (reflected).
  @inline(__always)
  static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
    var product: UInt32 = 0
    var factor = b
    var bit: UInt32 = 1 << 31
    while bit != 0 {
      if a & bit != 0 { product ^= factor }
      factor = factor & 1 != 0 ? (factor >> 1) ^ 0x82F6_3B78 : factor >> 1
      bit >>= 1
    }
    return product
  }
}
