import Synchronization

/// The B-tree invariants, checked by walking the whole tree (the same facts the
/// verifier checks on disk):
///
/// 1. Every node page is a B-tree leaf or interior page with a sane header:
///    slots and cells inside the page, cells not overlapping, dead bytes counted.
/// 2. Levels fall by one from parent to child; leaves are at level 0, so all
///    leaves lie at the same depth, at most `BTree.maxDepth` pages down.
/// 3. Keys ascend strictly within each node and across leaves in order.
/// 4. Child i of an interior node holds keys in [separator i-1, separator i),
///    within the bounds the node itself got from its parent.
/// 5. No node but the root is empty; the root is empty only as a leaf.
/// 6. Child pointers name pages of the database other than page 0; every page
///    is reached at most once (no shared pages, no cycles).
/// 7. Values are stored inline iff their cell fits (`BTreeNode.swift`); overflow
///    chains are of type overflow, as long as their value and acyclic.
///
/// `checkInvariants` never throws for damage: it returns coded problems and the
/// set of pages the tree owns (for page accounting).
package struct BTreeProblem: Sendable, Equatable, CustomStringConvertible {
  package enum Code: String, Sendable, Equatable {
    /// The page could not be read (checksum, beyond the database).
    case unreadable
    /// Not a B-tree node, or its header or cells are out of bounds.
    case badNode
    /// A child's level is not its parent's minus one (leaf depth, cycles).
    case wrongLevel
    /// Keys not strictly ascending within a node or across leaves.
    case keyOrder
    /// A key outside the range its parent's separators give it.
    case separatorBounds
    /// A non-root node with no cells, or an interior root with no separator.
    case emptyNode
    /// A child pointer to page 0, to the node itself, or past the database.
    case badChild
    /// A page reached twice (shared subtree, cycle, shared overflow page).
    case pageReachedTwice
    /// An overflow chain of the wrong type, length or shape.
    case overflowChain
  }

  package let code: Code
  package let page: PageNumber
  package let message: String

  package var description: String { "\(code.rawValue) at page \(page): \(message)" }
}

/// What `BTree.checkInvariants` found.
package struct BTreeCheck: Sendable {
  /// Every page the tree owns: nodes and overflow pages, the root included.
  package var pages: Set<PageNumber> = []
  package var problems: [BTreeProblem] = []
  /// Entries in the leaves.
  package var entries = 0
  /// Leaf pages.
  package var leaves = 0
  /// Pages from the root to a leaf.
  package var depth = 0
  package var isValid: Bool { problems.isEmpty }
}

/// Scratch space of `checkLayout`: one bit per byte of the page being checked.
private struct LayoutScratch {
  var bits: [UInt64] = []

  /// Sets the bits of bytes start..<end; returns false when one was set already
  /// (or the range is not inside the bitmap).
  @inline(__always)
  mutating func mark(_ start: Int, _ end: Int) -> Bool {
    guard start >= 0, start < end, end <= bits.count * 64 else { return false }
    var free = true
    var at = start
    while at < end {
      let word = at >> 6
      let from = at & 63
      let upto = min(64, from + (end - at))  // bits from..<upto of this word
      let ones: UInt64 = upto - from == 64 ? ~0 : ((1 << UInt64(upto - from)) - 1) << UInt64(from)
      if bits[word] & ones != 0 { free = false }
      bits[word] |= ones
      at += upto - from
    }
    return free
  }
}

extension BTree {
  private struct Pending {
    var page: PageNumber
    var level: Int
    var parent: PageNumber
    var lower: [UInt8]?
    var upper: [UInt8]?
  }

  /// Walks the whole tree and checks every invariant (see above).
  package func checkInvariants(in pages: some PageReader) -> BTreeCheck {
    var check = BTreeCheck()
    let pageCount = pages.pageCount
    var stack = [Pending(page: root, level: -1, parent: 0, lower: nil, upper: nil)]
    // The last key of the previous leaf, copied once per leaf into one reused
    // buffer (not once per entry).
    var lastLeafKey: [UInt8] = []
    var haveLastLeafKey = false
    var scratch = LayoutScratch()
    check.pages.insert(root)
    func problem(_ code: BTreeProblem.Code, _ page: PageNumber, _ message: String) {
      check.problems.append(BTreeProblem(code: code, page: page, message: message))
    }
    while let item = stack.popLast() {
      var chains: [(first: PageNumber, length: Int)] = []
      var children: [Pending] = []
      do {
        try pages.withPage(item.page) { bytes in
          let node: NodeView
          do {
            node = try NodeView(bytes, page: item.page)
            try checkLayout(node, scratch: &scratch)
          } catch let error as SombraError {
            problem(.badNode, item.page, error.message)
            return
          }
          if item.level < 0 {
            check.depth = node.level + 1
            if !node.isLeaf && node.count == 0 { problem(.emptyNode, item.page, "the interior root has no separator") }
          } else {
            guard node.level == item.level else {
              problem(.wrongLevel, item.page, "level \(node.level) under page \(item.parent), which expects level \(item.level)")
              return
            }
            if node.count == 0 {
              problem(.emptyNode, item.page, "a non-root \(node.isLeaf ? "leaf" : "interior node") with no cells")
            }
          }
          var previous: UnsafeRawBufferPointer? = nil
          // Each leaf key is compared with the one before it, across leaves
          // too; the page stays lent until this closure returns, so the last
          // key seen is copied out only when leaving the leaf (also on a throw).
          defer {
            if node.isLeaf, let previous {
              lastLeafKey.removeAll(keepingCapacity: true)
              lastLeafKey.append(contentsOf: previous)
              haveLastLeafKey = true
            }
          }
          // While the keys so far ascend strictly from a key that passed the
          // lower bound, every later key passes it too: its check is skipped.
          var aboveLower = false
          for i in 0..<node.count {
            let key = try node.key(i)
            var ascending = true
            if let previous, compareKeys(previous, key) >= 0 {
              ascending = false
              problem(.keyOrder, item.page, "key \(i) is not above key \(i - 1)")
            }
            if !ascending || !aboveLower {
              if let lower = item.lower, lower.withUnsafeBytes({ compareKeys(key, $0) }) < 0 {
                problem(.separatorBounds, item.page, "key \(i) is below the separator bounding this subtree")
                aboveLower = false
              } else {
                aboveLower = true
              }
            }
            if let upper = item.upper, upper.withUnsafeBytes({ compareKeys(key, $0) }) >= 0 {
              problem(.separatorBounds, item.page, "key \(i) is not below the separator bounding this subtree")
            }
            previous = key
            if node.isLeaf {
              // Within a leaf the last key is `previous`: the same comparison
              // as above, reported as well under this message.
              if i > 0 {
                if !ascending { problem(.keyOrder, item.page, "the first key is not above the last key of the previous leaf") }
              } else if haveLastLeafKey, lastLeafKey.withUnsafeBytes({ compareKeys($0, key) }) >= 0 {
                problem(.keyOrder, item.page, "the first key is not above the last key of the previous leaf")
              }
              if case .overflow(let first, let length) = try node.value(i) { chains.append((first, length)) }
            }
          }
          if node.isLeaf {
            check.entries += node.count
            check.leaves += 1
            return
          }
          for i in 0...node.count {
            let child: PageNumber = i == node.count ? bytes.le(BTreeNode.rightmostOffset) : bytes.le(try node.cellOffset(i) + 2)
            guard child != 0, child < pageCount, child != item.page else {
              problem(.badChild, item.page, "child \(i) points at page \(child)")
              continue
            }
            guard check.pages.insert(child).inserted else {
              problem(.pageReachedTwice, item.page, "child \(i) points at page \(child), already reached")
              continue
            }
            children.append(
              Pending(
                page: child, level: node.level - 1, parent: item.page,
                lower: i == 0 ? item.lower : Array(try node.key(i - 1)),
                upper: i == node.count ? item.upper : Array(try node.key(i))))
          }
        }
      } catch let error as SombraError {
        problem(error.code == .corruption ? .badNode : .unreadable, item.page, error.message)
      } catch {
        problem(.unreadable, item.page, "\(error)")
      }
      stack.append(contentsOf: children.reversed())
      for chain in chains {
        do {
          try forEachOverflowPage(first: chain.first, length: chain.length, owner: item.page, visited: &check.pages, in: pages) {
            _, _, _ in
          }
        } catch let error as SombraError {
          problem(.overflowChain, error.page ?? item.page, error.message)
        } catch {
          problem(.overflowChain, item.page, "\(error)")
        }
      }
    }
    return check
  }

  /// Cells inside the cell area, not overlapping, and the dead-byte count true.
  /// `scratch` is reused from node to node.
  ///
  /// Overlap is found with one bit per page byte, in slot order; only a node
  /// with overlapping cells is sorted, to name the overlap the way a sweep in
  /// offset order meets it.
  private func checkLayout(_ node: NodeView, scratch: inout LayoutScratch) throws {
    let words = (node.bytes.count + 63) / 64
    if scratch.bits.count != words {
      scratch.bits = [UInt64](repeating: 0, count: words)
    } else {
      for w in 0..<words { scratch.bits[w] = 0 }
    }
    var live = 0
    var overlap = false
    for i in 0..<node.count {
      let cell = try node.cell(i)
      let start = try node.cellOffset(i)
      // `cell` lies inside the page (cellSize checked it): start + count <= bytes.count.
      if !overlap && !scratch.mark(start, start + cell.count) { overlap = true }
      live += cell.count
      if node.isLeaf { _ = try node.value(i) }
    }
    if overlap {
      var extents: [(start: Int, end: Int)] = []
      extents.reserveCapacity(node.count)
      for i in 0..<node.count {
        let start = try node.cellOffset(i)
        extents.append((start, start + (try node.cell(i)).count))
      }
      extents.sort { $0.start < $1.start }
      var lastEnd = node.contentStart
      for extent in extents {
        guard extent.start >= lastEnd else {
          throw SombraError.corruption("cells overlap at offset \(extent.start)", page: node.page, offset: UInt64(extent.start))
        }
        lastEnd = extent.end
      }
    }
    guard live + node.deadBytes == node.end - node.contentStart else {
      throw SombraError.corruption(
        "\(live) live and \(node.deadBytes) dead bytes do not fill the \(node.end - node.contentStart)-byte cell area",
        page: node.page, offset: UInt64(BTreeNode.deadBytesOffset))
    }
  }

  /// Throws `corruption` naming the first problem `checkInvariants` finds.
  package func assertInvariants(in pages: some PageReader) throws {
    let check = checkInvariants(in: pages)
    if let first = check.problems.first {
      throw SombraError.corruption(
        "B-tree at page \(root): \(first) (\(check.problems.count) problem(s))", page: first.page)
    }
  }

  #if DEBUG
    /// Tests set this to check the whole tree after every change (debug builds
    /// only; release builds compile it out). The engine reads no environment.
    package static let selfChecks = Atomic<Bool>(false)
  #endif

  /// In debug builds with `selfChecks`, verifies the tree after a change.
  @inline(__always)
  func debugCheck(in pages: some PageReader) throws {
    #if DEBUG
      if BTree.selfChecks.load(ordering: .relaxed) { try assertInvariants(in: pages) }
    #endif
  }
}
