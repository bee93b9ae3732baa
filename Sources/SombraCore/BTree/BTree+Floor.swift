/// Floor lookups: the entry with the greatest key at or below a target, for
/// structures that file ranges under their lower bounds (adjacency chunks).
extension BTree {
  /// A floor entry and, when it was found in the target's own leaf, the path
  /// to it, so that `replaceValue` can store a new value without a second
  /// descent (a read-modify-write in one).
  package struct Floor {
    package var key: [UInt8]
    package var value: [UInt8]
    var steps: [PathStep]?
  }

  private enum Stored {
    case none
    case inline([UInt8], [UInt8])
    case overflow([UInt8], PageNumber, Int)
  }

  /// The entry with the greatest key ≤ `target` among the keys that start
  /// with `prefix`, or nil when there is none.
  package func floor(_ target: [UInt8], prefix: [UInt8], in pages: some PageReader) throws -> Floor? {
    let (steps, found) = try target.withUnsafeBytes { try path(to: $0, in: pages) }
    guard let last = steps.last else { return nil }
    let index = found ? last.index : last.index - 1
    guard index >= 0 else { return try floorByCursor(target, prefix: prefix, in: pages) }
    let stored: Stored = try prefix.withUnsafeBytes { prefix in
      try pages.withPage(last.page) { bytes in
        let (key, value) = try NodeView(bytes, page: last.page).entry(index)
        guard hasPrefix(key, prefix) else { return .none }
        switch value {
        case .inline(let v): return .inline(Array(key), Array(v))
        case .overflow(let first, let length): return .overflow(Array(key), first, length)
        }
      }
    }
    var floorPath = steps
    floorPath[floorPath.count - 1].index = index
    switch stored {
    case .none: return nil
    case .inline(let key, let value): return Floor(key: key, value: value, steps: floorPath)
    case .overflow(let key, let first, let length):
      return Floor(key: key, value: try readOverflow(first: first, length: length, owner: last.page, in: pages), steps: floorPath)
    }
  }

  /// The floor when it lies before the target's leaf: a cursor steps back.
  private func floorByCursor(_ target: [UInt8], prefix: [UInt8], in pages: some PageReader) throws -> Floor? {
    var cursor = self.cursor(in: pages)
    try cursor.seek(target)
    if !cursor.isValid {
      try cursor.seekLast()
    } else if cursor.key != target {
      try cursor.previous()
    }
    guard cursor.isValid, cursor.key.starts(with: prefix) else { return nil }
    return Floor(key: cursor.key, value: try cursor.value(), steps: nil)
  }

  /// Stores `value` under the floor entry's key: in place along the floor's
  /// path when it has one (the tree must be unchanged since `floor`), else
  /// by a fresh insert.
  package func replaceValue(of floor: Floor, with value: [UInt8], in pages: some PageMutator) throws {
    guard let steps = floor.steps else {
      try insert(floor.key, value, in: pages)
      return
    }
    guard value.count <= BTree.maxValueSize else {
      throw SombraError.invalidArgument("a B-tree value is \(value.count) bytes; the limit is \(BTree.maxValueSize) bytes")
    }
    try floor.key.withUnsafeBytes { key in
      try value.withUnsafeBytes { v in try store(key: key, value: v, path: steps, found: true, in: pages) }
    }
  }
}
