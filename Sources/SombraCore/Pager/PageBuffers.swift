import Synchronization

/// Page buffers of ended write transactions, kept for the next ones.
///
/// A small transaction copies a handful of pages; allocating each copy
/// (64-byte aligned) and freeing it at the end cost more than the copy did.
/// Buffers go back here when a transaction ends and are taken again by the
/// next one, of any database in the process with the same page size.
///
/// Invariants:
/// 1. A buffer here belongs to no transaction: `give` is called only with
///    buffers their owner has let go of (`DirtyPages.removeAll`), once each.
/// 2. At most `keptBytes` of buffers are kept per page size; the rest are
///    freed at once, so a bulk load's thousands of pages are not hoarded.
/// 3. Contents are stale: every taker overwrites the whole page (a copy of
///    the committed image, or `PageLayout.format`) before anything reads it.
enum PageBuffers {
  /// Bytes kept per page size.
  static let keptBytes = 1 << 20
  static let alignment = 64

  /// Kept buffers' addresses, by log2 of the page size (a power of two; raw
  /// pointers are not Sendable, and a kept buffer belongs to no one).
  private static let kept = Mutex<[[UInt]]>(Array(repeating: [], count: Int.bitWidth))

  /// The list of a page size, or nil for a size that is not a power of two.
  private static func list(_ pageSize: Int) -> Int? {
    pageSize > 0 && pageSize & (pageSize - 1) == 0 ? pageSize.trailingZeroBitCount : nil
  }

  /// A buffer of `pageSize` bytes with stale contents.
  static func take(pageSize: Int) -> UnsafeMutableRawBufferPointer {
    if let k = list(pageSize), let start = kept.withLock({ $0[k].popLast() }).flatMap(UnsafeMutableRawPointer.init(bitPattern:)) {
      return UnsafeMutableRawBufferPointer(start: start, count: pageSize)
    }
    return .allocate(byteCount: pageSize, alignment: alignment)
  }

  /// Takes back buffers of `pageSize` bytes that no one uses any more.
  static func give(_ buffers: [UnsafeMutableRawBufferPointer], pageSize: Int) {
    guard !buffers.isEmpty else { return }
    var room = 0
    if let k = list(pageSize) {
      let limit = keptBytes / pageSize
      room = kept.withLock { kept in
        let room = max(0, min(buffers.count, limit - kept[k].count))
        for buffer in buffers.prefix(room) { kept[k].append(UInt(bitPattern: buffer.baseAddress)) }
        return room
      }
    }
    for buffer in buffers.dropFirst(room) { buffer.deallocate() }
  }

  /// How many buffers of `pageSize` bytes are kept (tests).
  static func keptCount(pageSize: Int) -> Int {
    list(pageSize).map { k in kept.withLock { $0[k].count } } ?? 0
  }
}
