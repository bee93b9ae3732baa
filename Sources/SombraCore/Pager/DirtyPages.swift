/// The write transaction's private page images, by page number.
///
/// Invariants:
/// 1. Each page number maps to at most one buffer of the page size, owned here
///    until `removeAll` hands every buffer back to the caller to free.
/// 2. Pages below `arrayLimit` are found by indexing `slots` (the writer looks a
///    page up on every B-tree step, so this is its hot path); the rest by hashing.
/// 3. `numbers` lists every page with a buffer, each once, in no order.
struct DirtyPages {
  private var slots: [UnsafeMutableRawPointer?] = []
  private var far: [PageNumber: UnsafeMutableRawPointer] = [:]
  private(set) var numbers: [PageNumber] = []
  let pageSize: Int
  /// Bounds `slots` at 8 MiB.
  private static let arrayLimit: PageNumber = 1 << 20

  init(pageSize: Int) {
    self.pageSize = pageSize
  }

  var count: Int { numbers.count }
  var isEmpty: Bool { numbers.isEmpty }

  /// The buffer of `page`, or nil when the transaction has not changed it.
  @inline(__always)
  subscript(page: PageNumber) -> UnsafeMutableRawBufferPointer? {
    let start: UnsafeMutableRawPointer?
    if page < Self.arrayLimit {
      let i = Int(page)
      start = i < slots.count ? slots[i] : nil
    } else {
      start = far[page]
    }
    return start.map { UnsafeMutableRawBufferPointer(start: $0, count: pageSize) }
  }

  /// Records `buffer` (of the page size) as the image of `page`, which has none.
  mutating func insert(_ buffer: UnsafeMutableRawBufferPointer, for page: PageNumber) {
    guard let start = buffer.baseAddress else { return }
    if page < Self.arrayLimit {
      let i = Int(page)
      if i >= slots.count { slots.append(contentsOf: repeatElement(nil, count: i + 1 - slots.count)) }
      slots[i] = start
    } else {
      far[page] = start
    }
    numbers.append(page)
  }

  /// Forgets the image of `page` (the caller frees it); rare: a failed copy.
  mutating func remove(_ page: PageNumber) {
    guard let at = numbers.lastIndex(of: page) else { return }
    numbers.remove(at: at)
    if page < Self.arrayLimit { slots[Int(page)] = nil } else { far[page] = nil }
  }

  /// Every buffer; the set is emptied and the caller frees them.
  mutating func removeAll() -> [UnsafeMutableRawBufferPointer] {
    let buffers = numbers.compactMap { self[$0] }
    slots.removeAll()
    far.removeAll()
    numbers.removeAll()
    return buffers
  }
}
