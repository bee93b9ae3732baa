/// A growable little-endian byte builder for records and headers that the engine
/// writes itself. (Records are read back through `ByteReader`; the WAL header,
/// a fixed layout, through `WALHeader.decode`.)
package struct ByteWriter {
  package private(set) var bytes: [UInt8]

  package init(capacity: Int = 64) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  package var count: Int { bytes.count }

  package mutating func u8(_ v: UInt8) { bytes.append(v) }
  package mutating func u16(_ v: UInt16) { append(v) }
  package mutating func u32(_ v: UInt32) { append(v) }
  package mutating func u64(_ v: UInt64) { append(v) }
  package mutating func i64(_ v: Int64) { append(UInt64(bitPattern: v)) }

  private mutating func append<T: FixedWidthInteger>(_ v: T) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Unsigned LEB128.
  package mutating func varint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  package mutating func raw<C: Collection>(_ data: C) where C.Element == UInt8 {
    bytes.append(contentsOf: data)
  }

  /// A string's UTF-8, copied in one piece when the string is stored contiguously.
  package mutating func raw(_ utf8: String.UTF8View) {
    let copied: Void? = utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
    if copied == nil { bytes.append(contentsOf: utf8) }
  }

  /// Empties the writer, keeping its storage for the next record.
  package mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

  package mutating func zeros(_ count: Int) {
    bytes.append(contentsOf: repeatElement(0, count: max(0, count)))
  }
}
