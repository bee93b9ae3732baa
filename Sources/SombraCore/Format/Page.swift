/// Page geometry and the checksummed page envelope shared by every page type.
///
/// Byte map of every page except page 0 (page size P):
///
/// | offset | size | meaning                                                   |
/// |--------|------|-----------------------------------------------------------|
/// | 0      | 1    | page type (`PageType`)                                    |
/// | 1      | 3    | type-specific flags and counts (zero for free pages)      |
/// | 4      | 4    | this page's own number (catches misdirected writes)      |
/// | 8      | P-12 | type-specific body                                        |
/// | P-4    | 4    | CRC-32C of bytes [0, P-4)                                 |
///
/// Page 0 is the database header (`DatabaseHeader`); its first byte is the `G`
/// of the magic, which is also its page type, and it ends in the same trailer.
/// The trailer is sealed when a page leaves the writer (WAL frame or main-file
/// write) and verified on every read from disk and every frame in recovery.
package typealias PageNumber = UInt32

/// The kind of a page, in its first byte.
package enum PageType: UInt8, Sendable, CaseIterable {
  /// Page 0: the database header (the `G` of `GRPHITE\0`).
  case header = 0x47
  /// On the free list; bytes 8..<12 hold the next free page (0 ends the list).
  case free = 0x01
  /// B+tree leaf (graph store issue).
  case btreeLeaf = 0x02
  /// B+tree interior node (graph store issue).
  case btreeInterior = 0x03
  /// Overflow chain of a large value (graph store issue).
  case overflow = 0x04
  /// A page the tests and tools format themselves (opaque to the engine).
  case raw = 0x05

  package var name: String {
    switch self {
    case .header: "header"
    case .free: "free"
    case .btreeLeaf: "btree-leaf"
    case .btreeInterior: "btree-interior"
    case .overflow: "overflow"
    case .raw: "raw"
    }
  }
}

package enum PageLayout {
  package static let typeOffset = 0
  package static let numberOffset = 4
  package static let bodyOffset = 8
  package static let trailerSize = 4
  /// Offset of the next-free pointer in a free page.
  package static let freeNextOffset = 8

  package static let minimumPageSize = 4096
  package static let maximumPageSize = 65536
  package static let defaultPageSize = 8192

  /// Every valid page size, ascending.
  package static let validPageSizes = (12...16).map { 1 << $0 }

  package static func isValidPageSize(_ size: Int) -> Bool {
    size >= minimumPageSize && size <= maximumPageSize && size & (size - 1) == 0
  }

  /// Writes the CRC trailer of a page.
  @inline(__always)
  package static func seal(_ page: UnsafeMutableRawBufferPointer) {
    let n = page.count - trailerSize
    let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(page)[0..<n]))
    page.putLE(crc, at: n)
  }

  /// The checksum stored in a page's trailer and the one its bytes give.
  @inline(__always)
  package static func checksums(_ page: UnsafeRawBufferPointer) -> (stored: UInt32, computed: UInt32) {
    let n = page.count - trailerSize
    return (page.le(n, as: UInt32.self), CRC32C.checksum(UnsafeRawBufferPointer(rebasing: page[0..<n])))
  }

  /// Verifies a page read from disk: trailer, type byte and self number.
  package static func verify(_ page: UnsafeRawBufferPointer, number: PageNumber, path: String?, source: String) throws {
    let (stored, computed) = checksums(page)
    guard stored == computed else {
      throw SombraError.corruption(
        "page \(number) from \(source) fails its checksum (stored 0x\(hex(stored)), computed 0x\(hex(computed)))",
        page: number, offset: UInt64(page.count - trailerSize), path: path)
    }
    if number == 0 { return }
    guard PageType(rawValue: page[typeOffset]) != nil, page[typeOffset] != PageType.header.rawValue else {
      throw SombraError.corruption(
        "page \(number) from \(source) has unknown page type 0x\(hex(page[typeOffset]))", page: number, offset: 0, path: path)
    }
    let claimed: UInt32 = page.le(numberOffset)
    guard claimed == number else {
      throw SombraError.corruption(
        "page \(number) from \(source) holds the contents of page \(claimed) (misdirected write)", page: number,
        offset: UInt64(numberOffset), path: path)
    }
  }

  /// Starts a fresh page of `type` in `page`: zero body, type and number set.
  package static func format(_ page: UnsafeMutableRawBufferPointer, type: PageType, number: PageNumber) {
    page.initializeMemory(as: UInt8.self, repeating: 0)
    page[typeOffset] = type.rawValue
    page.putLE(number, at: numberOffset)
  }

  package static func hex<T: FixedWidthInteger>(_ v: T) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, T.bitWidth / 4 - s.count)) + s
  }
}
