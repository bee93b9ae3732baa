/// Overflow chains: a value too large for its leaf cell lives in a singly linked
/// chain of overflow pages; the leaf cell keeps the value length and the first
/// page. Overflow page (page size P):
///
/// | offset | size  | meaning                                              |
/// |--------|-------|------------------------------------------------------|
/// | 0      | 1     | page type 0x04 (overflow)                            |
/// | 1      | 3     | zero                                                 |
/// | 4      | 4     | this page's number (page envelope)                   |
/// | 8      | 4     | next page of the chain; 0 on the last page           |
/// | 12     | 4     | payload bytes on this page                           |
/// | 16     | P-20  | payload                                              |
/// | P-4    | 4     | CRC-32C trailer (sealed by the pager)                |
///
/// Invariants (checked on every read, free and by the checker): a value of v
/// bytes takes exactly ceil(v / (P-20)) pages; every page but the last is full;
/// the last page's next is 0 and no other's is; each page is of type overflow and
/// appears once (a visited set catches cycles).
enum BTreeOverflow {
  static let nextOffset = 8
  static let lengthOffset = 12
  static let headerSize = 16

  /// Payload bytes per overflow page: P - 20.
  static func capacity(pageSize: Int) -> Int { pageSize - PageLayout.trailerSize - headerSize }
}

extension BTree {
  /// Writes `value` into a new overflow chain and returns its first page.
  func writeOverflow(_ value: UnsafeRawBufferPointer, in pages: some PageMutator) throws -> PageNumber {
    let capacity = BTreeOverflow.capacity(pageSize: pages.pageSize)
    var first: PageNumber = 0
    var previous: PageNumber = 0
    var offset = 0
    while offset < value.count {
      let chunk = min(capacity, value.count - offset)
      let page = try pages.allocate(.overflow)
      try pages.withMutablePage(page) { bytes in
        bytes.putLE(PageNumber(0), at: BTreeOverflow.nextOffset)
        bytes.putLE(UInt32(truncatingIfNeeded: chunk), at: BTreeOverflow.lengthOffset)
        let start = BTreeOverflow.headerSize
        UnsafeMutableRawBufferPointer(rebasing: bytes[start..<start + chunk])
          .copyMemory(from: UnsafeRawBufferPointer(rebasing: value[offset..<offset + chunk]))
      }
      if previous == 0 {
        first = page
      } else {
        try pages.withMutablePage(previous) { $0.putLE(page, at: BTreeOverflow.nextOffset) }
      }
      previous = page
      offset += chunk
    }
    return first
  }

  /// Reads the `length`-byte value whose chain starts at `first` (referenced from
  /// leaf `owner`, named in errors).
  func readOverflow(first: PageNumber, length: Int, owner: PageNumber, in pages: some PageReader) throws -> [UInt8] {
    var visited = Set<PageNumber>()
    try checkChainLength(length, owner: owner, in: pages)
    return try [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
      let out = UnsafeMutableRawBufferPointer(buffer)
      try forEachOverflowPage(first: first, length: length, owner: owner, visited: &visited, in: pages) { _, offset, payload in
        UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + payload.count]).copyMemory(from: payload)
      }
      initialized = length
    }
  }

  /// Frees every page of a chain.
  func freeOverflow(first: PageNumber, length: Int, owner: PageNumber, in pages: some PageMutator) throws {
    var visited = Set<PageNumber>()
    var chain: [PageNumber] = []
    try forEachOverflowPage(first: first, length: length, owner: owner, visited: &visited, in: pages) { page, _, _ in
      chain.append(page)
    }
    for page in chain { try pages.free(page) }
  }

  /// A length no chain in this database could hold is corruption, found before
  /// anything is allocated for it.
  func checkChainLength(_ length: Int, owner: PageNumber, in pages: some PageReader) throws {
    let capacity = BTreeOverflow.capacity(pageSize: pages.pageSize)
    guard length > 0, length <= BTree.maxValueSize, (length - 1) / capacity < Int(pages.pageCount) else {
      throw SombraError.corruption(
        "leaf \(owner) holds an overflow value of \(length) bytes, more than the \(pages.pageCount)-page database can hold",
        page: owner)
    }
  }

  /// Walks a chain, validating each page, and calls `body` with each page, the
  /// payload's offset in the value and the payload. Pages in `visited` (and the
  /// ones this walk adds to it) may not appear again.
  func forEachOverflowPage(
    first: PageNumber, length: Int, owner: PageNumber, visited: inout Set<PageNumber>, in pages: some PageReader,
    _ body: (PageNumber, Int, UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try checkChainLength(length, owner: owner, in: pages)
    let capacity = BTreeOverflow.capacity(pageSize: pages.pageSize)
    let pageCount = pages.pageCount
    var page = first
    var from = owner
    var offset = 0
    while offset < length {
      guard page != 0, page < pageCount else {
        throw SombraError.corruption(
          "overflow chain of leaf \(owner) ends early: page \(from) points at page \(page) with \(length - offset) bytes to go",
          page: from, offset: from == owner ? nil : UInt64(BTreeOverflow.nextOffset))
      }
      guard visited.insert(page).inserted else {
        throw SombraError.corruption(
          "overflow chain of leaf \(owner) reaches page \(page) twice (a cycle or a shared page)", page: from,
          offset: from == owner ? nil : UInt64(BTreeOverflow.nextOffset))
      }
      let expected = min(capacity, length - offset)
      let current = page
      let start = offset
      let next: PageNumber = try pages.withPage(current) { bytes in
        guard bytes[PageLayout.typeOffset] == PageType.overflow.rawValue else {
          let name = PageType(rawValue: bytes[PageLayout.typeOffset])?.name ?? "unknown"
          throw SombraError.corruption(
            "page \(current) in the overflow chain of leaf \(owner) is a \(name) page", page: current, offset: 0)
        }
        var reader = ByteReader(bytes, offset: PageLayout.numberOffset, page: current)
        let number = try reader.u32()
        let next = try reader.u32()
        let count = try reader.u32()
        guard number == current else {
          throw SombraError.corruption("overflow page \(current) holds the contents of page \(number)", page: current, offset: 4)
        }
        guard Int(count) == expected else {
          throw SombraError.corruption(
            "overflow page \(current) holds \(count) bytes where the \(length)-byte value of leaf \(owner) needs \(expected)",
            page: current, offset: UInt64(BTreeOverflow.lengthOffset))
        }
        let isLast = start + expected == length
        guard isLast == (next == 0) else {
          throw SombraError.corruption(
            "overflow page \(current) has next page \(next) but \(isLast ? "ends" : "does not end") the \(length)-byte value",
            page: current, offset: UInt64(BTreeOverflow.nextOffset))
        }
        try body(current, start, try reader.slice(expected))
        return next
      }
      from = current
      page = next
      offset += expected
    }
  }
}
