/// Adjacency changes as a write transaction makes them: adding and removing
/// an item of a node's list, with the fast path that splices a chunk in place
/// (the list's format and splices: Graph/AdjacencyList.swift).

extension WriteTransaction {
  /// Adds `item` to the adjacency list of `node` in one direction. Returns
  /// false when it was there already.
  @discardableResult
  package func addAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem) throws -> Bool {
    try flushAdjacency()
    guard let tree = tree(.adjacency) else { throw SombraError.corruption("graph trees missing") }
    return try pages.batch { try addAdjacency(node, outgoing: outgoing, item, tree: tree, in: $0) }
  }

  /// Queues an item of a new edge: `flushAdjacency` adds it with the others.
  /// Everything that reads or changes adjacency in this transaction flushes
  /// first, and so does the commit, so nothing sees the queue.
  func queueAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem) throws {
    pendingAdjacency.append(PendingAdjacency(node: node, outgoing: outgoing, item: item))
    if pendingAdjacency.count >= Self.pendingAdjacencyLimit { try flushAdjacency() }
  }

  /// Items queued at most (40 bytes each: 2.5 MiB) before they are added.
  static let pendingAdjacencyLimit = 1 << 16

  /// Adds the queued items in key order. A bulk load's items are spread over
  /// the whole tree; sorted, the ones of one leaf come together, one descent
  /// serves them all (`AdjacencyLeaf`) and each leaf is visited once per flush
  /// instead of once per item, at random.
  func flushAdjacency() throws {
    guard !pendingAdjacency.isEmpty else { return }
    var pending: [PendingAdjacency] = []
    swap(&pending, &pendingAdjacency)
    pending.sort()
    do {
      guard let tree = tree(.adjacency) else { throw SombraError.corruption("graph trees missing") }
      try pages.batch { batch in
        var leaf: AdjacencyLeaf?
        for entry in pending {
          _ = try addAdjacency(entry.node, outgoing: entry.outgoing, entry.item, tree: tree, leaf: &leaf, in: batch)
        }
      }
    } catch {
      // Edges whose items are not in the tree must not commit: the
      // transaction can only be rolled back now, whatever its caller does.
      let failure = error as? SombraError ?? SombraError(.io, "adding adjacency items failed: \(error)")
      pages.markFailed(failure)
      throw failure
    }
  }

  /// `addAdjacency` reading and writing through `pages` (a batch of a
  /// bigger change).
  func addAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, in pages: some PageMutator) throws -> Bool
  {
    var leaf: AdjacencyLeaf?
    return try addAdjacency(node, outgoing: outgoing, item, tree: tree, leaf: &leaf, in: pages)
  }

  /// `addAdjacency` starting from the leaf of the previous item, when the
  /// item belongs there; `leaf` then names this item's leaf, or nil.
  func addAdjacency(
    _ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, leaf: inout AdjacencyLeaf?, in pages: some PageMutator
  ) throws -> Bool {
    if let added = try addAdjacencyInPlace(node, outgoing: outgoing, item, tree: tree, leaf: &leaf, in: pages) { return added }
    leaf = nil
    guard var place = try locate(item, node: node, outgoing: outgoing, tree: tree, in: pages) else {
      try tree.insert(AdjacencyList.groupKey(node, outgoing: outgoing), AdjacencyList.encode([item]), ifPresent: .fail, in: pages)
      return true
    }
    if place.present { return false }
    place.items.insert(item, at: place.at)
    let encoded = AdjacencyList.encode(place.items)
    guard encoded.count > AdjacencyList.chunkLimit, place.items.count >= 2 else {
      try tree.replaceValue(of: place.chunk, with: encoded, in: pages)
      return true
    }
    let half = place.items.count / 2
    try tree.replaceValue(of: place.chunk, with: AdjacencyList.encode(place.items[..<half]), in: pages)
    try tree.insert(
      AdjacencyList.chunkKey(node, outgoing: outgoing, from: place.items[half]), AdjacencyList.encode(place.items[half...]),
      ifPresent: .fail, in: pages)
    return true
  }

  /// The common cases of `addAdjacency` in one descent and without decoding
  /// the list: the chunk holding the item is in the item's own leaf and stays
  /// within `chunkLimit` (`AdjacencyList.splice` writes its new value), or the
  /// list is empty and its first chunk goes where the descent ended. Nil when
  /// neither holds (the floor is in an earlier leaf, the chunk must split):
  /// the general path does it. Keys and values are built on the stack.
  private func addAdjacencyInPlace(
    _ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, leaf: inout AdjacencyLeaf?, in pages: some PageMutator
  ) throws -> Bool? {
    let keySize = AdjacencyList.boundedKeySize
    return try withUnsafeTemporaryAllocation(byteCount: 2 * keySize + AdjacencyList.spliceCapacity, alignment: 8) { scratch in
      let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<keySize])
      target.storeBytes(of: node.bigEndian, toByteOffset: 0, as: UInt64.self)
      target[8] = outgoing ? 0 : 1
      target.storeBytes(of: item.type.bigEndian, toByteOffset: 9, as: UInt32.self)
      target.storeBytes(of: item.neighbour.bigEndian, toByteOffset: 13, as: UInt64.self)
      target.storeBytes(of: item.edge.bigEndian, toByteOffset: 21, as: UInt64.self)
      let group = UnsafeRawBufferPointer(rebasing: target[0..<AdjacencyList.groupKeySize])
      let floorKey = UnsafeMutableRawBufferPointer(rebasing: scratch[keySize..<2 * keySize])
      let output = UnsafeMutableRawBufferPointer(rebasing: scratch[(2 * keySize)...])

      var (steps, found) =
        try Self.within(leaf, UnsafeRawBufferPointer(target), in: pages)
        ?? tree.path(toChange: UnsafeRawBufferPointer(target), in: pages)
      leaf = nil
      guard let last = steps.last, last.index > 0 || found else { return nil }
      let index = found ? last.index : last.index - 1
      // The floor entry: a chunk of this list (its key copied out of the
      // page, which the store below rewrites), or another list's entry.
      let floor: AdjacencyFloor = try pages.withPage(last.page) { bytes in
        let (key, value) = try NodeView(bytes, page: last.page).entry(index)
        guard key.count >= group.count, compareKeys(UnsafeRawBufferPointer(rebasing: key[..<group.count]), group) == 0 else {
          return .otherList
        }
        guard key.count <= keySize, case .inline(let value) = value else { return .unusual }
        UnsafeMutableRawBufferPointer(rebasing: floorKey[..<key.count]).copyMemory(from: key)
        return .chunk(keyLength: key.count, try AdjacencyList.splice(item, into: value, output: output))
      }
      switch floor {
      case .unusual, .chunk(_, .overLimit):
        return nil
      case .chunk(_, .present):
        return false
      case .chunk(let keyLength, .written(let length)):
        steps[steps.count - 1].index = index
        let stamp = pages.allocationsAndFrees
        try tree.store(
          key: UnsafeRawBufferPointer(rebasing: floorKey[..<keyLength]),
          value: UnsafeRawBufferPointer(rebasing: output[..<length]),
          path: steps, found: true, in: pages)
        if pages.allocationsAndFrees == stamp { leaf = AdjacencyLeaf(steps: steps, stamp: stamp) }
        return true
      case .otherList:
        // No chunk of this list lies below the item, so none exists (any
        // would sort between the floor and the item): the list's first chunk
        // goes where the item's key would.
        guard
          case .written(let length) = try AdjacencyList.splice(
            item, into: UnsafeRawBufferPointer(start: nil, count: 0), output: output)
        else { return nil }
        let stamp = pages.allocationsAndFrees
        try tree.store(
          key: group, value: UnsafeRawBufferPointer(rebasing: output[..<length]), path: steps, found: false, in: pages)
        if pages.allocationsAndFrees == stamp { leaf = AdjacencyLeaf(steps: steps, stamp: stamp) }
        return true
      }
    }
  }

  /// The path to `target` and whether it is there, read in `leaf` alone
  /// when no tree changed shape since it was noted and `target` lies between
  /// its first and last keys (so the leaf holds its floor too); nil otherwise.
  private static func within(
    _ leaf: AdjacencyLeaf?, _ target: UnsafeRawBufferPointer, in pages: some PageMutator
  ) throws -> (steps: [BTree.PathStep], found: Bool)? {
    guard let leaf, leaf.stamp == pages.allocationsAndFrees, let last = leaf.steps.last else { return nil }
    let place: (index: Int, found: Bool)? = try pages.withPage(last.page) { bytes in
      let node = try NodeView(bytes, page: last.page)
      guard node.isLeaf, node.count > 0, compareKeys(try node.key(0), target) <= 0,
        compareKeys(target, try node.key(node.count - 1)) <= 0
      else { return nil }
      return try node.lowerBound(target)
    }
    guard let place else { return nil }
    var steps = leaf.steps
    steps[steps.count - 1].index = place.index
    return (steps, place.found)
  }

  /// Removes `item` from the adjacency list of `node` in one direction.
  /// Returns false when it was not there.
  @discardableResult
  package func removeAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem) throws -> Bool {
    try flushAdjacency()
    guard let tree = tree(.adjacency) else { return false }
    return try pages.batch { try removeAdjacency(node, outgoing: outgoing, item, tree: tree, in: $0) }
  }

  /// `removeAdjacency` reading and writing through `pages`.
  func removeAdjacency(_ node: NodeID, outgoing: Bool, _ item: AdjacencyItem, tree: BTree, in pages: some PageMutator) throws
    -> Bool
  {
    guard var place = try locate(item, node: node, outgoing: outgoing, tree: tree, in: pages), place.present else { return false }
    place.items.remove(at: place.at)
    if place.items.isEmpty {
      _ = try tree.remove(place.chunk.key, in: pages)
    } else {
      try tree.replaceValue(of: place.chunk, with: AdjacencyList.encode(place.items), in: pages)
    }
    return true
  }

  /// Where `item` belongs in the list of `node`: the chunk whose range holds
  /// it (`floor`), its items, the item's position among them and whether it
  /// is there; nil when the list has no chunk at or below the item.
  private func locate(
    _ item: AdjacencyItem, node: NodeID, outgoing: Bool, tree: BTree, in pages: some PageReader
  ) throws -> (chunk: BTree.Floor, items: [AdjacencyItem], at: Int, present: Bool)? {
    let target = AdjacencyList.chunkKey(node, outgoing: outgoing, from: item)
    guard let chunk = try tree.floor(target, prefix: AdjacencyList.groupKey(node, outgoing: outgoing), in: pages) else {
      return nil
    }
    let items = try AdjacencyList.decode(chunk.value)
    let at = lowerBound(item, in: items)
    return (chunk, items, at, at < items.count && items[at] == item)
  }

  private func lowerBound(_ item: AdjacencyItem, in items: [AdjacencyItem]) -> Int {
    var low = 0
    var high = items.count
    while low < high {
      let mid = (low + high) / 2
      if items[mid] < item { low = mid + 1 } else { high = mid }
    }
    return low
  }
}

/// The entry `addAdjacencyInPlace` found at or below an item's key.
private enum AdjacencyFloor {
  /// A chunk of the item's list: its key's length and the splice's outcome.
  case chunk(keyLength: Int, AdjacencyList.Splice)
  /// An entry of another list: this one has no chunk yet.
  case otherList
  /// A chunk the fast path leaves to the general one (overflow value).
  case unusual
}
