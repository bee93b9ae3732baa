@testable import SombraCore

/// A tiny key-value store built directly on pages, so engine tests can check
/// whole database states without the graph layer: root slot 0 names a directory
/// page whose u32 entries map key k to a data page; a data page holds its value
/// at offset 8 and a pattern derived from it in the rest of the body, so any
/// page served with wrong contents is detected.
enum PageStore {
  static let keys = 48

  typealias State = [Int: UInt64]

  /// Sets or deletes keys inside a write transaction.
  static func apply(_ changes: [(key: Int, value: UInt64?)], in tx: WriteTransaction) throws {
    let w = tx.pages
    var directory = w.header.roots[0]
    if directory == 0 {
      directory = try w.allocate(.raw)
      try w.updateHeader { $0.roots[0] = directory }
    }
    for (key, value) in changes {
      let existing: PageNumber = try w.withPage(directory) { $0.le(8 + 4 * key) }
      if let value {
        let page = existing != 0 ? existing : try w.allocate(.raw)
        try w.withMutablePage(page) { fill($0, value: value) }
        if existing == 0 { try w.withMutablePage(directory) { $0.putLE(page, at: 8 + 4 * key) } }
      } else if existing != 0 {
        try w.free(existing)
        try w.withMutablePage(directory) { $0.putLE(PageNumber(0), at: 8 + 4 * key) }
      }
    }
  }

  static func fill(_ page: UnsafeMutableRawBufferPointer, value: UInt64) {
    page.putLE(value, at: 8)
    var x = value
    var offset = 16
    while offset + 8 <= page.count - PageLayout.trailerSize {
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      page.putLE(x, at: offset)
      offset += 8
    }
  }

  struct WrongData: Error, CustomStringConvertible {
    let description: String
  }

  /// Reads every key below `keys`; throws `WrongData` when a page's body does
  /// not match its value.
  static func read(_ tx: ReadTransaction, keys: Int = keys) throws -> State {
    let directory = tx.header.roots[0]
    guard directory != 0 else { return [:] }
    var state: State = [:]
    let entries: [PageNumber] = try tx.withPage(directory) { page in (0..<keys).map { page.le(8 + 4 * $0) } }
    for (key, page) in entries.enumerated() where page != 0 {
      state[key] = try tx.withPage(page) { bytes -> UInt64 in
        let value: UInt64 = bytes.le(8)
        var x = value
        var offset = 16
        while offset + 8 <= bytes.count - PageLayout.trailerSize {
          x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          guard bytes.le(offset, as: UInt64.self) == x else {
            throw WrongData(description: "page \(page) of key \(key) has wrong bytes at \(offset)")
          }
          offset += 8
        }
        return value
      }
    }
    return state
  }

  /// A random batch of changes to keys below `keys`.
  static func randomChanges(_ rng: inout SplitMix64, count: Int, keys: Int = keys) -> [(key: Int, value: UInt64?)] {
    (0..<count).map { _ in
      let key = rng.below(keys)
      return (key, rng.below(5) == 0 ? nil : rng.next())
    }
  }

  static func applied(_ changes: [(key: Int, value: UInt64?)], to state: State) -> State {
    var s = state
    for (k, v) in changes { s[k] = v }
    return s
  }
}
