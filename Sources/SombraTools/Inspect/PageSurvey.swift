import SombraCore

/// What every page of the snapshot is and who owns it, learned by walking
/// each graph tree with `BTree.checkInvariants` (nodes and overflow pages
/// count to their tree) and the free list; `pages` and `stats` print it.
///
/// The walk is bounded: trees by their own depth cap and visited set, the
/// free list by its header length and a visited set (a cycle ends it with a
/// problem, never a loop).
struct PageSurvey {
  /// One page's kind and fill.
  struct PageSummary {
    var number: UInt32
    /// `header`, `free`, `btree-leaf`, `btree-interior`, `overflow`, `raw`, or
    /// `unknown (0xNN)`.
    var type: String
    /// Cells of a B-tree node.
    var entries: Int?
    /// Bytes in use: cells and slots of a node, payload of an overflow page.
    var usedBytes: Int?
    /// Whether the page's CRC trailer matches its bytes.
    var checksumOK: Bool
    /// Why the page could not be decoded as its type, if it could not.
    var problem: String?
  }

  /// Per tree: the check and the pages it owns.
  struct TreeSummary {
    var root: GraphRoot
    var rootPage: UInt32
    var check: BTreeCheck
    var nodePages = 0
    var overflowPages = 0
    var usedBytes = 0
  }

  var owners: [UInt32: GraphRoot] = [:]
  var freePages: Set<UInt32> = []
  var freeListProblem: String?
  var trees: [TreeSummary] = []

  /// The owner column: tree name, `free list`, `header`, or `-` for a page
  /// nothing reaches (leaked: a vacuum reclaims it).
  func owner(of page: UInt32) -> String {
    if page == 0 { return "header" }
    if let root = owners[page] { return root.treeName }
    return freePages.contains(page) ? "free list" : "-"
  }

  /// Walks the trees and the free list of `session`'s snapshot.
  init(_ session: InspectSession) {
    let tx = session.transaction
    for root in GraphRoot.allCases {
      let rootPage = session.header.roots[root.rawValue]
      guard rootPage != 0 else { continue }
      let check = BTree(root: rootPage).checkInvariants(in: tx)
      for page in check.pages where owners[page] == nil { owners[page] = root }
      trees.append(TreeSummary(root: root, rootPage: rootPage, check: check))
    }
    var next = session.header.freeListHead
    var steps: UInt32 = 0
    while next != 0 {
      guard steps <= session.header.freeListCount, freePages.insert(next).inserted else {
        freeListProblem = "the free list loops or is longer than its length \(session.header.freeListCount) (at page \(next))"
        break
      }
      steps += 1
      do {
        let bytes = try session.database.rawPage(next, in: tx)
        next = try bytes.withUnsafeBytes { raw in
          var reader = ByteReader(raw, offset: PageLayout.freeNextOffset, page: next)
          return try reader.u32()
        }
      } catch {
        freeListProblem = "the free list cannot be followed at page \(next): \(error)"
        break
      }
    }
  }

  /// Reads and classifies page `number` (never throws for damage: it is
  /// reported in the summary).
  static func summarize(_ number: UInt32, _ session: InspectSession) throws -> (PageSummary, [UInt8]) {
    let bytes = try session.database.rawPage(number, in: session.transaction)
    return (summarize(number, bytes), bytes)
  }

  static func summarize(_ number: UInt32, _ bytes: [UInt8]) -> PageSummary {
    let checksumOK = bytes.withUnsafeBytes { raw in
      let sums = PageLayout.checksums(raw)
      return sums.stored == sums.computed
    }
    var summary = PageSummary(number: number, type: "header", checksumOK: checksumOK)
    guard number != 0, let typeByte = bytes.first else { return summary }
    guard let type = PageType(rawValue: typeByte), type != .header else {
      summary.type = "unknown (\(ByteText.hex(typeByte)))"
      return summary
    }
    summary.type = type.name
    do {
      switch type {
      case .btreeLeaf, .btreeInterior:
        let node = try bytes.withUnsafeBytes { try InspectedNode($0, page: number) }
        summary.entries = node.cells.count
        summary.usedBytes = node.usedBytes
      case .overflow:
        summary.usedBytes = try bytes.withUnsafeBytes { try InspectedOverflowPage($0, page: number) }.payloadBytes
      case .free:
        summary.usedBytes = 0
      case .header, .raw:
        break
      }
    } catch let error as SombraError {
      summary.problem = error.message
    } catch {
      summary.problem = "\(error)"
    }
    return summary
  }
}
