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
package struct PageKey: Hashable, Sendable {
  package let raw: UInt64
  package static func main(_ page: PageNumber) -> PageKey { PageKey(raw: UInt64(page)) }
  package static func frame(_ index: UInt32) -> PageKey { PageKey(raw: 1 << 63 | UInt64(index)) }
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
  private var pins: [Int32]
  private var referenced: [Bool]
  private var map: [PageKey: Int] = [:]
  private var hand = 0
  package private(set) var stats = PageCacheStats()

  package init(pageSize: Int, capacity: Int) {
    self.pageSize = pageSize
    self.capacity = max(8, capacity)
    slab = UnsafeMutableRawPointer.allocate(byteCount: self.capacity * pageSize, alignment: 64)
    keys = Array(repeating: nil, count: self.capacity)
    pins = Array(repeating: 0, count: self.capacity)
    referenced = Array(repeating: false, count: self.capacity)
  }

  deinit { slab.deallocate() }

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
    for (key, _) in map where key.isFrame { remove(key) }
  }

  package func removeAll() {
    for (key, _) in map { remove(key) }
  }

  /// Copies a page image into the cache under `key` (the writer's committed pages).
  package func insert(_ key: PageKey, copying bytes: UnsafeRawBufferPointer) throws {
    let slot = try claim(key)
    buffer(slot).copyMemory(from: bytes)
    unpin(slot)
  }
}
