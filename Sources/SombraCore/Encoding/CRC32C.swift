import CSombraCRC

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
/// page trailer and WAL frame.
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
