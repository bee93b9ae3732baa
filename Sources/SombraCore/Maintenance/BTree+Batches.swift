/// Copying scans for the maintenance operations: entries in key order, handed
/// over in batches, so the body may change other trees (or commit in another
/// database) between batches without holding a borrowed leaf.
extension BTree {
  /// Calls `body` with successive batches of at most `limit` entries, in key
  /// order, until the tree is exhausted. Each batch starts a fresh descent just
  /// past the last key of the one before (key order is checked by the scan).
  package func forEachBatch(
    in pages: some PageReader, limit: Int, _ body: ([(key: [UInt8], value: [UInt8])]) throws -> Void
  ) throws {
    let limit = max(1, limit)
    var lower: [UInt8]? = nil
    while true {
      var batch: [(key: [UInt8], value: [UInt8])] = []
      batch.reserveCapacity(limit)
      try scan(from: lower, in: pages) { key, value in
        batch.append((key, value))
        return batch.count < limit
      }
      guard let last = batch.last else { return }
      try body(batch)
      if batch.count < limit { return }
      // The smallest key greater than `last`.
      lower = last.key + [0]
    }
  }
}
