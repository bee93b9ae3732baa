/// The write transaction's private page images, by page number.
///
/// An open-addressing hash table (linear probing, at most half full) of page
/// number and buffer, so a lookup costs a multiply and a probe or two
/// whatever the page numbers are: a table indexed by page number grew (and
/// zeroed) to the highest page a transaction touched, which for a small
/// transaction near the end of a large file was most of its cost.
///
/// Invariants:
/// 1. Each page number maps to at most one buffer of the page size, owned here
///    until `removeAll` hands every buffer back to the caller to free.
/// 2. `slots.count` is a power of two, at least 32 and at least twice `count`; a
///    free slot has page `DirtyPages.empty`, which is never a page number
///    (a database has fewer than UInt32.max - 1 pages).
/// 3. A page's slot is reached from its hash's slot by probing forward
///    (wrapping) through occupied slots only.
/// 4. `numbers` lists every page with a buffer, each once, in no order.
struct DirtyPages {
  private struct Slot {
    var page: PageNumber
    var start: UnsafeMutableRawPointer?
  }

  private var slots: [Slot] = []
  /// `slots.count - 1`.
  private var mask = 0
  /// The hash's top bits index the table: 64 - log2(slots.count).
  private var shift: UInt64 = 64
  private(set) var numbers: [PageNumber] = []
  let pageSize: Int
  private static let empty = PageNumber.max
  /// Slots of the first table: a small transaction's pages without regrowing.
  private static let initialSlots = 32

  init(pageSize: Int) {
    self.pageSize = pageSize
    rebuild(capacity: Self.initialSlots, from: [])
  }

  var count: Int { numbers.count }
  var isEmpty: Bool { numbers.isEmpty }

  /// Fibonacci hashing: consecutive page numbers land far apart.
  @inline(__always)
  private func home(_ page: PageNumber) -> Int {
    Int(truncatingIfNeeded: (UInt64(page) &* 0x9E37_79B9_7F4A_7C15) >> shift)
  }

  /// The buffer of `page`, or nil when the transaction has not changed it.
  @inline(__always)
  subscript(page: PageNumber) -> UnsafeMutableRawBufferPointer? {
    // Every index is masked to the table (invariant 2), so unchecked reads.
    slots.withUnsafeBufferPointer { slots in
      var i = home(page)
      while true {
        let slot = slots[i]
        if slot.page == Self.empty { return nil }  // before the match: `empty` is never a page
        if slot.page == page { return UnsafeMutableRawBufferPointer(start: slot.start, count: pageSize) }
        i = (i + 1) & mask
      }
    }
  }

  /// Records `buffer` (of the page size) as the image of `page`, which has none.
  mutating func insert(_ buffer: UnsafeMutableRawBufferPointer, for page: PageNumber) {
    guard let start = buffer.baseAddress, page != Self.empty else { return }
    if (numbers.count + 1) * 2 > slots.count { grow() }
    place(page, start)
    if numbers.isEmpty { numbers.reserveCapacity(Self.initialSlots / 2) }
    numbers.append(page)
  }

  /// Puts `page` in its probe sequence's first free slot (it is not in the table).
  private mutating func place(_ page: PageNumber, _ start: UnsafeMutableRawPointer) {
    var i = home(page)
    while slots[i].page != Self.empty { i = (i + 1) & mask }
    slots[i] = Slot(page: page, start: start)
  }

  /// Doubles the table (or makes the first one) and places every entry again.
  private mutating func grow() {
    let old = slots
    rebuild(capacity: slots.count * 2, from: old)
  }

  private mutating func rebuild(capacity: Int, from old: [Slot]) {
    slots = Array(repeating: Slot(page: Self.empty, start: nil), count: capacity)
    mask = capacity - 1
    shift = UInt64(64 - capacity.trailingZeroBitCount)
    for slot in old where slot.page != Self.empty {
      if let start = slot.start { place(slot.page, start) }
    }
  }

  /// Forgets the image of `page` (the caller frees it); rare: a failed copy.
  /// The table is rebuilt without it, which keeps every probe sequence whole.
  mutating func remove(_ page: PageNumber) {
    guard let at = numbers.lastIndex(of: page) else { return }
    numbers.remove(at: at)
    let old = slots.filter { $0.page != page }
    rebuild(capacity: slots.count, from: old)
  }

  /// Every buffer; the set is emptied and the caller frees them.
  mutating func removeAll() -> [UnsafeMutableRawBufferPointer] {
    guard !numbers.isEmpty else { return [] }
    let buffers = numbers.compactMap { self[$0] }
    // Every slot free again, in place (the writer is ending: no new table).
    slots.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Slot(page: Self.empty, start: nil) } }
    numbers.removeAll()
    return buffers
  }
}
