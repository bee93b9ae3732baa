/// `vacuum(into:)`: a compact copy of the live data in a new database file.
///
/// 1. One read transaction on this database fixes the state copied (a live
///    writer in this process or another may go on; its later commits are not in
///    the copy, which is why the tool holds the writer lock while it vacuums).
/// 2. The new file must not exist (nor its WAL). It is created with the same page
///    size and filled in write transactions of bounded size: the six graph trees
///    are created empty, then each tree's entries are inserted in key order (the
///    B-tree's append path fills pages), the header gets the roots and the next
///    node and edge ids. Catalog entries are copied as they are, so names and
///    their ids, index definitions, last ids given out and counts are identical.
///    Adjacency lists are read whole and written as full chunks
///    (`AdjacencyList.pack`): lists thinned by deletes come out compact.
///    The header's lifetime facts (commits, checkpoints, unclean shutdowns,
///    corruption events) carry over, added to the new file's own.
/// 3. The new database is closed (clean flag, checkpoint, WAL truncated, main file
///    fsynced) and its empty WAL removed, the directory fsynced: the result is
///    one file.
/// Every file operation goes through this database's `StorageSystem`. On any
/// failure the new file and its WAL are removed; this database is never
/// written. Replacing the original with the copy is `replaceFile(with:backup:)`
/// (`Database+Replace.swift`); `SombraTools/Repair/Repair+Vacuum.swift` gives the
/// whole order.
package struct VacuumResult: Sendable, Equatable {
  /// Pages of the source snapshot, and how many of them were free.
  package var sourcePages: UInt32 = 0
  package var sourceFreePages: UInt32 = 0
  /// Pages of the new file.
  package var newPages: UInt32 = 0
  /// Entries copied per tree, in `GraphRoot` order (catalog ... properties).
  package var entries: [Int] = []
  package var nodes = 0
  package var edges = 0
}

extension Database {
  /// Writes a compact copy of the committed state into the new file `newPath`.
  /// `progress` is called with the tree being copied and the entries copied so far.
  package func vacuum(into newPath: String, progress: ((String, Int) -> Void)? = nil) throws -> VacuumResult {
    let storage = pager.storage
    for path in [newPath, newPath + ".wal"] where storage.exists(path) {
      throw SombraError.invalidArgument("\(path) already exists; vacuum writes a new file and never overwrites one")
    }
    let source = try beginRead()
    defer { source.end() }
    let header = source.header

    var options = OpenOptions()
    options.pageSize = pageSize
    options.sync = .off  // close() syncs the main file before the WAL goes
    let target = try Database.open(newPath, options: options, storage: storage)
    var closed = false
    var done = false
    defer {
      if !done {
        if !closed { try? target.close() }
        _ = try? storage.remove(newPath)
        _ = try? storage.remove(newPath + ".wal")
      }
    }

    var result = VacuumResult(sourcePages: header.pageCount, sourceFreePages: header.freeListCount)
    var tx = try target.beginWrite()
    var copies: [(root: GraphRoot, from: BTree, to: BTree)] = []
    for root in GraphRoot.allCases {
      let page = header.roots[root.rawValue]
      guard page != 0 else { continue }
      copies.append((root, BTree(root: page), try BTree.create(in: tx.pages)))
    }
    try tx.pages.updateHeader { h in
      for copy in copies { h.roots[copy.root.rawValue] = copy.to.root }
      h.nextNodeID = header.nextNodeID
      h.nextEdgeID = header.nextEdgeID
    }
    tx.pages.carryLifetime(header.lifetime)
    result.entries = Array(repeating: 0, count: GraphRoot.allCases.count)
    for (root, from, to) in copies {
      let name = root.treeName
      var copied = 0
      // Adjacency lists are packed anew, one list at a time (`Repacker`).
      var repacker = root == .adjacency ? Repacker(tree: to) : nil
      try from.forEachBatch(in: source, limit: 1024) { batch in
        for (key, value) in batch {
          if repacker != nil {
            try repacker?.add(key, value, in: tx.pages)
            continue
          }
          guard try to.insert(key, value, ifPresent: .keep, in: tx.pages) else {
            throw SombraError.corruption("the \(name) tree repeats a key; salvage the database instead")
          }
        }
        copied += batch.count
        progress?(name, copied)
        // Bounded transactions: well under the default page limit per commit.
        if tx.pages.dirtyPageCount >= 2048 {
          try tx.commit()
          tx = try target.beginWrite()
        }
      }
      try repacker?.finish(in: tx.pages)
      if let slot = GraphRoot.allCases.firstIndex(of: root) { result.entries[slot] = repacker?.chunks ?? copied }
      if root == .nodes { result.nodes = copied }
      if root == .edges { result.edges = copied }
    }
    try tx.commit()
    result.newPages = try target.read { $0.header.pageCount }
    closed = true
    try target.close()
    // close() truncated the WAL to zero after a synced checkpoint: nothing in it.
    try storage.remove(newPath + ".wal")
    try storage.syncDirectory(of: newPath)
    done = true
    return result
  }
}

/// Collects the chunks of one adjacency list at a time (they arrive in key
/// order, a list's chunks together) and writes each list packed.
private struct Repacker {
  let tree: BTree
  var group: [UInt8]?
  var items: [AdjacencyItem] = []
  /// Chunks written.
  var chunks = 0

  init(tree: BTree) { self.tree = tree }

  mutating func add(_ key: [UInt8], _ value: [UInt8], in pages: some PageMutator) throws {
    guard let parsed = AdjacencyList.parseKey(key) else {
      throw SombraError.corruption("a malformed adjacency key; salvage the database instead")
    }
    let prefix = Array(key.prefix(AdjacencyList.groupKeySize))
    if prefix != group {
      try finish(in: pages)
      group = prefix
    }
    let list = try AdjacencyList.decode(value)
    guard let first = list.first, items.last.map({ $0 < first }) ?? true, parsed.lowerBound.map({ !(first < $0) }) ?? true else {
      throw SombraError.corruption("the adjacency list of node \(parsed.node) is out of order; salvage the database instead")
    }
    items += list
  }

  mutating func finish(in pages: some PageMutator) throws {
    guard let group, let node = KeyEncoding.readU64(group, at: 0) else { return }
    let outgoing = group[AdjacencyList.groupKeySize - 1] == 0
    for chunk in AdjacencyList.pack(items) {
      let key = chunk.lowerBound.map { AdjacencyList.chunkKey(node, outgoing: outgoing, from: $0) } ?? group
      guard try tree.insert(key, chunk.value, ifPresent: .keep, in: pages) else {
        throw SombraError.corruption("the adjacency tree repeats a list; salvage the database instead")
      }
      chunks += 1
    }
    self.group = nil
    items = []
  }
}
