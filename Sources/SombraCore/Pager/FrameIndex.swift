/// Which committed WAL frames hold each page (the pager's `index`, under its lock).
///
/// Invariants:
/// 1. `frames[p]` lists p's frames of the current WAL generation, ascending.
/// 2. For p < `arrayLimit`, `newest[p]` (when p < `newest.count`) is the last
///    element of `frames[p]`, or `none` when p has no frame. A lookup whose mark
///    is past the newest frame (the common case: a snapshot of the latest commit)
///    is one array read instead of a hash lookup.
struct FrameIndex {
  private var frames: [PageNumber: [UInt32]] = [:]
  private var newest: [UInt32] = []
  private static let none = UInt32.max
  /// Pages from here on are found by hashing only (bounds the array by 16 MiB).
  private static let arrayLimit: PageNumber = 1 << 22

  /// The frames of `page`, ascending; nil when it has none.
  subscript(page: PageNumber) -> [UInt32]? { frames[page] }

  /// Every page with frames and its frames.
  var all: [PageNumber: [UInt32]] { frames }

  /// Records that `frame` (newer than every frame recorded so far) holds `page`.
  mutating func append(_ frame: UInt32, of page: PageNumber) {
    frames[page, default: []].append(frame)
    guard page < Self.arrayLimit else { return }
    let p = Int(page)
    if p >= newest.count { newest.append(contentsOf: repeatElement(Self.none, count: p + 1 - newest.count)) }
    newest[p] = frame
  }

  mutating func removeAll() {
    frames.removeAll()
    newest.removeAll()
  }

  /// The newest frame of `page` below `mark`.
  @inline(__always)
  func frame(of page: PageNumber, below mark: Int) -> UInt32? {
    if page < Self.arrayLimit {
      let p = Int(page)
      guard p < newest.count else { return nil }
      let f = newest[p]
      if f == Self.none { return nil }
      if Int(f) < mark { return f }
    }
    guard let list = frames[page] else { return nil }
    for f in list.reversed() where Int(f) < mark { return f }
    return nil
  }
}
