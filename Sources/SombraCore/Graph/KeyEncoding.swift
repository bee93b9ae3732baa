/// Order-preserving key encodings for the graph's B-trees: byte strings that
/// compare (unsigned, lexicographic) in the order of the values they encode.
///
/// - Unsigned integers: big-endian, fixed width.
/// - Property values (in property-index keys): a type rank byte, then
///   - null: nothing; bool: 0 or 1;
///   - int: 8 bytes big-endian with the sign bit flipped;
///   - double: 8 bytes big-endian of the bit pattern, all bits flipped for negative
///     numbers and only the sign bit for positive ones (so -inf < -1 < 0 < 1; -0 is stored as +0);
///     NaN sorts after +inf;
///   - string and bytes: the bytes with 0x00 written as 0x00 0xFF, then the
///     terminator 0x00 0x00 (so a prefix sorts first and the encoding is
///     self-delimiting), cut at `indexedValueLimit` bytes of content: longer values
///     keep a prefix and lookups confirm against the record;
///   - lists are not indexed (an index skips nodes whose value is a list).
/// Ranks order the types: null < bool < int < double < string < bytes, so a
/// range lookup is type-strict (ints and doubles are not compared with each other).
package enum KeyEncoding {
  /// Content bytes of a string or bytes value kept in an index key.
  package static let indexedValueLimit = 256

  package static func append(_ value: UInt64, to key: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { key.append(contentsOf: $0) }
  }

  package static func append(_ value: UInt32, to key: inout [UInt8]) {
    withUnsafeBytes(of: value.bigEndian) { key.append(contentsOf: $0) }
  }

  package static func u64(_ value: UInt64) -> [UInt8] {
    var key: [UInt8] = []
    key.reserveCapacity(8)
    append(value, to: &key)
    return key
  }

  /// Calls `body` with `u64(value)`'s bytes, kept on the stack.
  @inline(__always)
  package static func withU64<R>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: value.bigEndian, body)
  }

  /// Reads a big-endian u64 at `offset` of a key, or nil when it is too short.
  package static func readU64(_ key: some Collection<UInt8>, at offset: Int) -> UInt64? {
    guard offset >= 0, key.count >= offset + 8 else { return nil }
    var v: UInt64 = 0
    var i = key.index(key.startIndex, offsetBy: offset)
    for _ in 0..<8 {
      v = v << 8 | UInt64(key[i])
      i = key.index(after: i)
    }
    return v
  }

  /// Reads a big-endian u64 at `offset` of borrowed bytes, or nil when they are too short.
  @inline(__always)
  package static func readU64(raw key: UnsafeRawBufferPointer, at offset: Int) -> UInt64? {
    guard offset >= 0, offset <= key.count - 8 else { return nil }
    return UInt64(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  /// Reads a big-endian u32 at `offset` of borrowed bytes, or nil when they are too short.
  @inline(__always)
  package static func readU32(raw key: UnsafeRawBufferPointer, at offset: Int) -> UInt32? {
    guard offset >= 0, offset <= key.count - 4 else { return nil }
    return UInt32(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  package static func readU32(_ key: some Collection<UInt8>, at offset: Int) -> UInt32? {
    guard offset >= 0, key.count >= offset + 4 else { return nil }
    var v: UInt32 = 0
    var i = key.index(key.startIndex, offsetBy: offset)
    for _ in 0..<4 {
      v = v << 8 | UInt32(key[i])
      i = key.index(after: i)
    }
    return v
  }

  package enum Rank: UInt8 {
    case null = 1
    case bool = 2
    case int = 3
    case double = 4
    case string = 5
    case bytes = 6
  }

  /// Appends an indexable scalar; returns false (appending nothing) for lists, and
  /// whether the value was cut (`truncated`).
  @discardableResult
  package static func append(_ value: PropertyValue, to key: inout [UInt8], truncated: inout Bool) -> Bool {
    switch value {
    case .null: key.append(Rank.null.rawValue)
    case .bool(let b):
      key.append(Rank.bool.rawValue)
      key.append(b ? 1 : 0)
    case .int(let i):
      key.append(Rank.int.rawValue)
      append(UInt64(bitPattern: i) ^ (1 << 63), to: &key)
    case .double(let d):
      key.append(Rank.double.rawValue)
      append(orderedBits(d), to: &key)
    case .string(let s):
      key.append(Rank.string.rawValue)
      appendEscaped(s.utf8, to: &key, truncated: &truncated)
    case .bytes(let b):
      key.append(Rank.bytes.rawValue)
      appendEscaped(b, to: &key, truncated: &truncated)
    case .list:
      return false
    }
    return true
  }

  package static func orderedBits(_ d: Double) -> UInt64 {
    if d.isNaN { return UInt64.max }
    let bits = (d == 0 ? 0.0 : d).bitPattern  // -0 and +0 compare equal
    return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
  }

  private static func appendEscaped(_ bytes: some Collection<UInt8>, to key: inout [UInt8], truncated: inout Bool) {
    var written = 0
    for byte in bytes {
      if written == indexedValueLimit {
        truncated = true
        break
      }
      key.append(byte)
      if byte == 0 { key.append(0xFF) }
      written += 1
    }
    key.append(0)
    key.append(0)
  }
}
