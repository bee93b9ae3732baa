import Testing

@testable import SombraCore

/// The pager's lookup structures: the cache's slot table, its reuse of stale
/// slots at commit, the frame index and the writer's dirty-page set.
@Suite struct PageCacheTests {
  @Test func theSlotTableAgreesWithADictionaryThroughRandomInsertsAndRemovals() {
    var table = SlotTable(slots: 64)
    defer { table.deallocate() }
    var model: [PageKey: Int] = [:]
    var rng = SystemRandomNumberGenerator()
    // Few distinct keys, so probe runs collide and removals shift them back.
    var universe: [PageKey] = []
    for n in 0..<100 { universe.append(n % 2 == 0 ? .main(PageNumber(n)) : .frame(UInt32(n * 7919), page: PageNumber(n))) }
    for step in 0..<20_000 {
      let key = universe[Int.random(in: 0..<universe.count, using: &rng)]
      if Bool.random(using: &rng) || model.count >= 64 {
        #expect(table.removeValue(forKey: key) == model.removeValue(forKey: key))
      } else {
        table[key] = step % 64
        model[key] = step % 64
      }
      #expect(table.count == model.count)
    }
    for key in universe { #expect(table[key] == model[key]) }
    #expect(Set(table.allKeys) == Set(model.keys))
  }

  @Test func insertingOverAStaleVersionReusesItsSlotAndForgetsIt() throws {
    let cache = PageCache(pageSize: 4096, capacity: 8)
    let page = [UInt8](repeating: 7, count: 4096)
    try page.withUnsafeBytes { try cache.insert(.main(3), copying: $0) }
    let slot = try #require(cache.pin(.main(3)))
    cache.unpin(slot)
    let newer = [UInt8](repeating: 9, count: 4096)
    try newer.withUnsafeBytes { try cache.insert(.frame(0, page: 3), copying: $0, replacing: .main(3)) }
    #expect(!cache.contains(.main(3)))
    #expect(cache.pin(.frame(0, page: 3)) == slot)
    #expect(cache.buffer(slot).allSatisfy { $0 == 9 })
    // A pinned stale version is left alone; the new one takes another slot.
    try page.withUnsafeBytes { try cache.insert(.frame(1, page: 3), copying: $0, replacing: .frame(0, page: 3)) }
    #expect(cache.contains(.frame(0, page: 3)) && cache.contains(.frame(1, page: 3)))
    #expect(cache.count == 2)
  }

  @Test func theFrameIndexFindsTheNewestFrameBelowAMark() {
    var index = FrameIndex()
    index.append(2, of: 5)
    index.append(4, of: 9)
    index.append(6, of: 5)
    #expect(index.frame(of: 5, below: 100) == 6)
    #expect(index.frame(of: 5, below: 6) == 2)
    #expect(index.frame(of: 5, below: 2) == nil)
    #expect(index.frame(of: 9, below: 5) == 4)
    #expect(index.frame(of: 1, below: 100) == nil)
    #expect(index.frame(of: 1 << 30, below: 100) == nil)
    index.append(8, of: 1 << 30)  // past the array: found by hashing
    #expect(index.frame(of: 1 << 30, below: 100) == 8)
    #expect(index[5] == [2, 6])
    index.removeAll()
    #expect(index.frame(of: 5, below: 100) == nil)
    #expect(index.all.isEmpty)
  }

  @Test func theDirtySetFindsEveryBufferAndHandsThemAllBack() {
    var dirty = DirtyPages(pageSize: 64)
    let pages: [PageNumber] = [3, 1, 1 << 21, 700]
    for page in pages { dirty.insert(.allocate(byteCount: 64, alignment: 8), for: page) }
    #expect(dirty.count == 4)
    for page in pages { #expect(dirty[page] != nil) }
    #expect(dirty[2] == nil && dirty[1 << 22] == nil)
    let removed = dirty[700]
    dirty.remove(700)
    removed?.deallocate()
    #expect(dirty[700] == nil)
    #expect(dirty.numbers.sorted() == [1, 3, 1 << 21])
    let buffers = dirty.removeAll()
    #expect(buffers.count == 3 && dirty.isEmpty && dirty[3] == nil)
    for buffer in buffers { buffer.deallocate() }
  }

  @Test func theDirtySetGrowsAndForgetsPagesWithoutLosingAnyOther() {
    var dirty = DirtyPages(pageSize: 16)
    var rng = SplitMix64(seed: 3)
    // Runs of neighbours, far pages, and the highest page a file can have.
    var pages: [PageNumber] = Array(1...300) + [.max - 2, 1 << 31]
    while pages.count < 1000 { pages.append(PageNumber(truncatingIfNeeded: rng.next() % (UInt64(PageNumber.max) - 1))) }
    pages = Array(Set(pages))
    for page in pages {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
      buffer.storeBytes(of: page, as: PageNumber.self)
      dirty.insert(buffer, for: page)
    }
    #expect(dirty.count == pages.count)
    for page in pages { #expect(dirty[page]?.load(as: PageNumber.self) == page) }
    #expect(dirty[0] == nil && dirty[301] == nil && dirty[.max] == nil)
    let gone = pages.prefix(50)
    for page in gone {
      dirty[page]?.deallocate()
      dirty.remove(page)
    }
    for page in gone { #expect(dirty[page] == nil) }
    for page in pages.dropFirst(50) { #expect(dirty[page]?.load(as: PageNumber.self) == page) }
    #expect(Set(dirty.numbers) == Set(pages.dropFirst(50)))
    let buffers = dirty.removeAll()
    #expect(buffers.count == pages.count - 50 && dirty.isEmpty && dirty[pages[60]] == nil)
    for buffer in buffers { buffer.deallocate() }
  }

  @Test func pageBuffersOfEndedTransactionsAreReusedUpToTheLimit() {
    // 512-byte pages: no database has them, so parallel tests do not interfere.
    let size = 512
    let limit = PageBuffers.keptBytes / size
    let buffers = (0..<limit + 10).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64) }
    PageBuffers.give(buffers, pageSize: size)
    #expect(PageBuffers.keptCount(pageSize: size) == limit, "the surplus is freed")
    let again = PageBuffers.take(pageSize: size)
    #expect(again.count == size && buffers.prefix(limit).contains { $0.baseAddress == again.baseAddress })
    #expect(PageBuffers.keptCount(pageSize: size) == limit - 1)
    PageBuffers.give([again], pageSize: size)
    var taken: [UnsafeMutableRawBufferPointer] = []
    for _ in 0..<limit + 1 { taken.append(PageBuffers.take(pageSize: size)) }
    #expect(PageBuffers.keptCount(pageSize: size) == 0)
    #expect(Set(taken.map(\.baseAddress)).count == limit + 1, "one new buffer once the kept ones ran out")
    for buffer in taken { buffer.deallocate() }
    // A size that is not a power of two is allocated and freed, never kept.
    let odd = PageBuffers.take(pageSize: 1000)
    #expect(odd.count == 1000)
    PageBuffers.give([odd], pageSize: 1000)
    #expect(PageBuffers.keptCount(pageSize: 1000) == 0)
  }
}
