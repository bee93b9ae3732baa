/// Changing a value's bytes where they are, for fixed-width values that change
/// often (the catalog's counts): one descent, no cell rebuilt, nothing
/// allocated. The value keeps its length, so the node's layout (slots, cell
/// sizes, free space) is untouched and every node invariant still holds; the
/// pager seals the page's trailer at commit as for any change.
extension BTree {
  /// Calls `body` with the value stored under `key`, inside its leaf, and
  /// returns its result; `body` may change the bytes but not their number.
  /// Nil when the key is absent or its value is empty or in an overflow chain
  /// (the caller then takes the general way: `get` and `insert`).
  func withMutableValue<R>(
    bytes key: UnsafeRawBufferPointer, in pages: some PageMutator, _ body: (UnsafeMutableRawBufferPointer) throws -> R
  ) throws -> R? {
    // Found and inline first, so that a change not made copies no page.
    let place: (page: PageNumber, index: Int)? = try withLeaf(for: key, in: pages) { node, _ in
      let (index, found) = try node.lowerBound(key)
      guard found, case .inline(let value) = try node.value(index), !value.isEmpty else { return nil }
      return (node.page, index)
    }
    guard let place else { return nil }
    return try pages.withMutablePage(place.page) { page -> R? in
      // Read again from the writable copy: the same bytes, now this transaction's.
      let node = try NodeView(UnsafeRawBufferPointer(page), page: place.page)
      guard case .inline(let value) = try node.value(place.index), let start = value.baseAddress, let base = page.baseAddress
      else {
        return nil
      }
      // The view lies inside the page (NodeView checks every cell's bounds).
      let offset = UnsafeRawPointer(base).distance(to: start)
      return try body(UnsafeMutableRawBufferPointer(rebasing: page[offset..<offset + value.count]))
    }
  }
}
