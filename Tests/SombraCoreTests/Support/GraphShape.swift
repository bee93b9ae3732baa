@testable import SombraCore

/// How far a graph's storage reaches: the depth of each of its six B-trees
/// (from the B-tree's invariant checker, the facts the verifier checks) and
/// the most chunks one adjacency list spans. A randomized scenario shows with
/// it that it reached what it claims to test.
struct GraphShape: CustomStringConvertible {
  /// Pages from the root to a leaf, by tree (1: the root is a leaf).
  var depth: [GraphRoot: Int] = [:]
  /// The most chunks of one adjacency list (a node's edges in one direction).
  var maxChunks = 0
  /// Invariants the trees break (none in a sound database).
  var problems: [String] = []

  /// The shape of the graph `tx` sees.
  static func of(_ tx: Transaction) throws -> GraphShape {
    var shape = GraphShape()
    // A tree that was never written has no root yet (0).
    for root in GraphRoot.allCases where tx.header.roots[root.rawValue] != 0 {
      let check = BTree(root: tx.header.roots[root.rawValue]).checkInvariants(in: tx)
      shape.depth[root] = check.depth
      shape.problems += check.problems.map { "\(root.treeName): \($0)" }
    }
    let adjacency = tx.header.roots[GraphRoot.adjacency.rawValue]
    guard adjacency != 0 else { return shape }
    // Chunk keys sort by group (node, direction) first: a group's chunks are
    // consecutive.
    var group: ArraySlice<UInt8> = []
    var run = 0
    try BTree(root: adjacency).scan(prefix: [], in: tx) { key, _ in
      let next = key.prefix(AdjacencyList.groupKeySize)
      run = next == group ? run + 1 : 1
      group = next
      shape.maxChunks = max(shape.maxChunks, run)
      return true
    }
    return shape
  }

  /// The deepest of each, and every problem of both.
  mutating func merge(_ other: GraphShape) {
    depth.merge(other.depth, uniquingKeysWith: max)
    maxChunks = max(maxChunks, other.maxChunks)
    problems += other.problems
  }

  var description: String {
    let trees = GraphRoot.allCases.map { "\($0.treeName) \(depth[$0] ?? 0)" }.joined(separator: ", ")
    return "depths: \(trees); most chunks of one list: \(maxChunks)"
  }
}
