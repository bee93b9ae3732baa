/// A bounds-checked little-endian reader over bytes that came from outside:
/// node and edge records with their property values, adjacency lists, the
/// database header and overflow pages.
///
/// Every read checks its length against what remains and throws
/// `SombraError.corruption` instead of trapping, with the offset counted from
/// the start of `bytes` and the page when the reader was given one (a record's
/// error gets its leaf's page and the offset within it from the B-tree:
/// `BTree.placing`). Data of variable length from outside is parsed only
/// through it (STYLE.md, "Bytes from outside"); fixed layouts whose geometry or
/// length is checked first (B-tree node headers and slots, WAL headers and
/// frames, page trailers, catalog values) are read with `le(_:)` below, at
/// offsets already validated, and keys with `KeyEncoding`'s readers, which
/// return nil past the end.
/// The reader does not own the memory: use it inside the closure that lends it.
package struct ByteReader {
  package let bytes: UnsafeRawBufferPointer
  /// The next byte to read, relative to the start of `bytes`.
  package private(set) var offset: Int
  /// The page the bytes belong to, for error messages.
  package let page: UInt32?

  package init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, page: UInt32? = nil) {
    self.bytes = bytes
    self.offset = max(0, min(offset, bytes.count))
    self.page = page
  }

  package var remaining: Int { bytes.count - offset }

  package func error(_ message: String, at position: Int? = nil) -> SombraError {
    .corruption(message, page: page, offset: UInt64(max(0, position ?? offset)))
  }

  /// Moves to an absolute position within the bytes.
  package mutating func seek(to position: Int) throws {
    guard position >= 0, position <= bytes.count else {
      throw error("offset \(position) is outside the \(bytes.count)-byte buffer", at: offset)
    }
    offset = position
  }

  package mutating func skip(_ count: Int) throws {
    guard count >= 0, count <= remaining else {
      throw error("cannot skip \(count) bytes: only \(remaining) remain")
    }
    offset += count
  }

  @inline(__always)
  private mutating func need(_ count: Int, _ what: StaticString) throws {
    guard count <= remaining else {
      throw error("truncated \(what): needs \(count) bytes, \(remaining) remain")
    }
  }

  package mutating func u8() throws -> UInt8 {
    try need(1, "u8")
    defer { offset += 1 }
    return bytes[offset]
  }

  package mutating func u16() throws -> UInt16 {
    try need(2, "u16")
    defer { offset += 2 }
    return bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
  }

  package mutating func u32() throws -> UInt32 {
    try need(4, "u32")
    defer { offset += 4 }
    return bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
  }

  package mutating func u64() throws -> UInt64 {
    try need(8, "u64")
    defer { offset += 8 }
    return bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
  }

  package mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

  /// An unsigned LEB128 varint of at most 10 bytes that fits 64 bits.
  package mutating func varint() throws -> UInt64 {
    let start = offset
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard remaining > 0 else { throw error("truncated varint", at: start) }
      let byte = bytes[offset]
      offset += 1
      let payload = UInt64(byte & 0x7F)
      if shift == 63 && payload > 1 { throw error("varint overflows 64 bits", at: start) }
      result |= payload << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw error("varint longer than 10 bytes", at: start) }
    }
  }

  /// `count` raw bytes, copied out.
  package mutating func bytes(_ count: Int) throws -> [UInt8] {
    guard count >= 0 else { throw error("negative length \(count)") }
    try need(count, "byte string")
    defer { offset += count }
    return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
  }

  /// A borrowed view of the next `count` bytes.
  package mutating func slice(_ count: Int) throws -> UnsafeRawBufferPointer {
    guard count >= 0 else { throw error("negative length \(count)") }
    try need(count, "byte string")
    defer { offset += count }
    return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
  }

  /// `count` bytes of UTF-8; invalid UTF-8 is corruption, never replaced.
  package mutating func string(_ count: Int) throws -> String {
    let start = offset
    let raw = try slice(count)
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw error("invalid UTF-8 in a \(count)-byte string", at: start)
    }
    return text
  }
}

extension UnsafeRawBufferPointer {
  /// A little-endian integer at an offset the caller has already validated.
  @inline(__always)
  package func le<T: FixedWidthInteger>(_ offset: Int, as type: T.Type = T.self) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}

extension UnsafeMutableRawBufferPointer {
  /// Stores a little-endian integer at an offset the caller has already validated.
  @inline(__always)
  package func putLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
  }

  @inline(__always)
  package func le<T: FixedWidthInteger>(_ offset: Int, as type: T.Type = T.self) -> T {
    T(littleEndian: UnsafeRawBufferPointer(self).loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}
