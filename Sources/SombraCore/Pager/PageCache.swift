/// The page cache: a fixed slab of page-sized slots with clock eviction and pins.
///
/// Invariants (the pager calls every method under its lock):
/// 1. A slot is identified by where its bytes came from (`PageKey`): the main file
///    at page p, or WAL frame f. A frame never changes while its WAL generation
///    lives, so a reader with an older snapshot can never see a newer version.
/// 2. Cached pages are clean: they were verified when read and are never modified
///    in place. The writer's dirty pages live in its transaction until commit, so
///    eviction never has anything to write back.
/// 3. A pinned slot (pins > 0) is neither evicted nor reused; callers read it
///    outside the lock until they unpin it. A key removed while pinned leaves the
///    slot orphaned until its last unpin.
/// 4. A commit made while no snapshot is open stores each page's new version in
///    the slot of its previous one when that slot is cached and unpinned
///    (`insert(_:copying:replacing:)`): no reader can ask for the old version
///    again, so the cache does not fill with dead versions.
package struct PageKey: Hashable, Sendable {
  package let raw: UInt64
  package static func main(_ page: PageNumber) -> PageKey { PageKey(raw: UInt64(page)) }
  /// The version of `page` that WAL frame `index` (< 2^31) holds: a delta frame
  /// holds versions of several pages.
  package static func frame(_ index: UInt32, page: PageNumber) -> PageKey {
    PageKey(raw: 1 << 63 | UInt64(index & 0x7FFF_FFFF) << 32 | UInt64(page))
  }
  package var isFrame: Bool { raw >> 63 == 1 }
}

package struct PageCacheStats: Sendable, Equatable {
  package var hits: UInt64 = 0
  package var misses: UInt64 = 0
  package var evictions: UInt64 = 0
}

package final class PageCache {
  package let pageSize: Int
  package let capacity: Int
  private let slab: UnsafeMutableRawPointer
  private var keys: [PageKey?]
  // Per-slot pin counts and reference bits, and the key -> slot table, live in
  // memory the cache owns (like the slab): the pager touches them on every page
  // access, and pointer access needs neither hashing with a random seed nor the
  // exclusivity and uniqueness checks of array properties of a class.
  private let pins: UnsafeMutablePointer<Int32>
  private let referenced: UnsafeMutablePointer<Bool>
  private var map: SlotTable
  private var hand = 0
  package private(set) var stats = PageCacheStats()

  package init(pageSize: Int, capacity: Int) {
    self.pageSize = pageSize
    self.capacity = max(8, capacity)
    slab = UnsafeMutableRawPointer.allocate(byteCount: self.capacity * pageSize, alignment: 64)
    keys = Array(repeating: nil, count: self.capacity)
    pins = .allocate(capacity: self.capacity)
    pins.initialize(repeating: 0, count: self.capacity)
    referenced = .allocate(capacity: self.capacity)
    referenced.initialize(repeating: false, count: self.capacity)
    map = SlotTable(slots: self.capacity)
  }

  deinit {
    slab.deallocate()
    pins.deallocate()
    referenced.deallocate()
    map.deallocate()
  }

  package var count: Int { map.count }

  package func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: slab + slot * pageSize, count: pageSize)
  }

  /// The slot holding `key`, pinned, or nil.
  package func pin(_ key: PageKey) -> Int? {
    guard let slot = map[key] else {
      stats.misses += 1
      return nil
    }
    stats.hits += 1
    referenced[slot] = true
    pins[slot] += 1
    return slot
  }

  package func unpin(_ slot: Int) {
    if pins[slot] > 0 { pins[slot] -= 1 }
  }

  package func contains(_ key: PageKey) -> Bool { map[key] != nil }

  /// A free or evicted slot for `key`, pinned, its bytes undefined. Throws when
  /// every slot is pinned.
  package func claim(_ key: PageKey) throws -> Int {
    if let existing = map[key] {
      pins[existing] += 1
      return existing
    }
    var scanned = 0
    while scanned < 2 * capacity {
      let slot = hand
      hand = hand + 1 == capacity ? 0 : hand + 1
      scanned += 1
      if pins[slot] > 0 { continue }
      if referenced[slot] {
        referenced[slot] = false
        continue
      }
      if let old = keys[slot] {
        if map[old] == slot { map[old] = nil }
        stats.evictions += 1
      }
      keys[slot] = key
      map[key] = slot
      pins[slot] = 1
      referenced[slot] = true
      return slot
    }
    throw SombraError(.limitExceeded, "page cache exhausted: all \(capacity) pages are pinned; raise the cache size")
  }

  /// Forgets a slot whose load failed (it was claimed but holds no valid page).
  package func discard(_ slot: Int) {
    if let key = keys[slot], map[key] == slot { map[key] = nil }
    keys[slot] = nil
    referenced[slot] = false
    unpin(slot)
  }

  package func remove(_ key: PageKey) {
    guard let slot = map.removeValue(forKey: key) else { return }
    keys[slot] = nil
    referenced[slot] = false
  }

  /// Re-labels a cached page (a checkpointed frame becomes the main-file page).
  package func rekey(_ from: PageKey, to: PageKey) {
    guard let slot = map.removeValue(forKey: from) else { return }
    remove(to)
    keys[slot] = to
    map[to] = slot
  }

  /// Drops every frame entry (the WAL was reset).
  package func removeFrames() {
    for key in map.allKeys where key.isFrame { remove(key) }
  }

  package func removeAll() {
    for key in map.allKeys { remove(key) }
  }

  /// Copies a page image into the cache under `key` (the writer's committed pages).
  package func insert(_ key: PageKey, copying bytes: UnsafeRawBufferPointer) throws {
    let slot = try claim(key)
    buffer(slot).copyMemory(from: bytes)
    unpin(slot)
  }

  /// Like `insert`, but stores the image in the slot of `stale` (a version no
  /// reader can ask for any more) when it is cached and unpinned, dropping it:
  /// a commit then reuses warm slots instead of filling the cache with dead
  /// versions and faulting in fresh slab memory.
  package func insert(_ key: PageKey, copying bytes: UnsafeRawBufferPointer, replacing stale: PageKey) throws {
    guard key != stale, map[key] == nil, let slot = map[stale], pins[slot] == 0 else {
      try insert(key, copying: bytes)
      return
    }
    map.removeValue(forKey: stale)
    keys[slot] = key
    map[key] = slot
    referenced[slot] = true
    buffer(slot).copyMemory(from: bytes)
  }
}

/// The cache's key -> slot map: open addressing with linear probing over a
/// power-of-two table at most half full (it never holds more keys than the
/// cache has slots), Fibonacci hashing, and backward-shift deletion (no
/// tombstones). `UInt64.max` marks an empty bucket: no `PageKey` has that raw
/// value (frame keys are 1 << 63 | a 32-bit frame index).
struct SlotTable {
  private let keys: UnsafeMutablePointer<UInt64>
  private let values: UnsafeMutablePointer<Int32>
  private let mask: Int
  private let shift: UInt64
  private(set) var count = 0
  private static let empty = UInt64.max

  init(slots: Int) {
    var size = 16
    while size < 2 * slots { size *= 2 }
    keys = .allocate(capacity: size)
    keys.initialize(repeating: Self.empty, count: size)
    values = .allocate(capacity: size)
    values.initialize(repeating: 0, count: size)
    mask = size - 1
    shift = UInt64(64 - size.trailingZeroBitCount)
  }

  func deallocate() {
    keys.deallocate()
    values.deallocate()
  }

  @inline(__always)
  private func home(_ raw: UInt64) -> Int {
    Int(truncatingIfNeeded: (raw &* 0x9E37_79B9_7F4A_7C15) >> shift)  // a hash: wrapping is the point
  }

  /// The bucket holding `raw`, or the empty bucket where it would go.
  @inline(__always)
  private func find(_ raw: UInt64) -> Int {
    var i = home(raw)
    while keys[i] != raw && keys[i] != Self.empty { i = (i + 1) & mask }
    return i
  }

  subscript(key: PageKey) -> Int? {
    get {
      let i = find(key.raw)
      return keys[i] == Self.empty ? nil : Int(values[i])
    }
    set {
      guard let newValue else {
        removeValue(forKey: key)
        return
      }
      let i = find(key.raw)
      if keys[i] == Self.empty {
        keys[i] = key.raw
        count += 1
      }
      values[i] = Int32(truncatingIfNeeded: newValue)  // a slot index < the cache capacity
    }
  }

  @discardableResult
  mutating func removeValue(forKey key: PageKey) -> Int? {
    var hole = find(key.raw)
    guard keys[hole] != Self.empty else { return nil }
    let value = Int(values[hole])
    // Shift later members of the probe run back so every key stays reachable
    // from its home bucket without passing an empty one.
    var j = hole
    while true {
      j = (j + 1) & mask
      let k = keys[j]
      if k == Self.empty { break }
      let h = home(k)
      let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
      if !stays {
        keys[hole] = k
        values[hole] = values[j]
        hole = j
      }
    }
    keys[hole] = Self.empty
    count -= 1
    return value
  }

  /// Every key, copied (callers remove while they walk).
  var allKeys: [PageKey] {
    var result: [PageKey] = []
    result.reserveCapacity(count)
    for i in 0...mask where self.keys[i] != Self.empty { result.append(PageKey(raw: self.keys[i])) }
    return result
  }
}
