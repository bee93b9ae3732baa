/// Level `structure`, part 1: the trees, the free list and page accounting.
///
/// Invariants checked:
/// 1. Graph root slots 1...6 are all set or all zero (`ROOTS_INVALID`).
/// 2. Each graph tree satisfies `BTree+Invariants.swift` (its problems map to
///    `BTREE_*` and `OVERFLOW_CHAIN`); the pages it owns are its nodes and its
///    overflow pages.
/// 3. The free list, from the header's head, is a chain of free pages inside the
///    database, without a cycle, as long as the header's free-page count.
/// 4. Every page below the page count is owned exactly once: page 0 by the
///    header, the rest by one tree or by the free list (`PAGE_DOUBLE_USE`,
///    `PAGE_UNREACHABLE`). Trees are accounted first, so a page both in a tree
///    and on the free list is reported when the free-list walk reaches it.
///
/// Leaks are reported only when every owner was walked completely: a damaged
/// tree or free list hides pages it owns, and reporting those as leaked would
/// only repeat the damage. A set root slot outside 1...6 (not the graph's) makes
/// the owner of some pages unknowable, so leaks are not reported then either.
extension Verifier {
  enum Owner: UInt8 {
    case none = 0
    case header = 1
    // 2...7: GraphRoot.rawValue + 1
    case free = 8
    case foreign = 9
  }

  static func owner(_ root: GraphRoot) -> UInt8 { UInt8(root.rawValue + 1) }

  func ownerName(_ raw: UInt8) -> String {
    switch raw {
    case Owner.header.rawValue: return "the header"
    case Owner.free.rawValue: return "the free list"
    case Owner.foreign.rawValue: return "a non-graph root slot"
    default:
      if let root = GraphRoot(rawValue: Int(raw) - 1) { return "the \(root.name) tree" }
      return "nothing"
    }
  }

  func checkStructure() {
    owners = [UInt8](repeating: Owner.none.rawValue, count: pageCount)
    if pageCount > 0 { owners[0] = Owner.header.rawValue }
    var accountingComplete = true
    var foreignRoots = false

    let roots = GraphRoot.allCases.map { header.roots[$0.rawValue] }
    if roots.contains(0) && roots.contains(where: { $0 != 0 }) {
      let missing = GraphRoot.allCases.filter { header.roots[$0.rawValue] == 0 }.map(\.name)
      problem(
        .rootsInvalid, page: 0, record: "header",
        "the graph's tree roots are partly set: no root for the \(missing.joined(separator: ", ")) tree(s)",
        hint: VerifyHint.salvage)
      for root in GraphRoot.allCases where header.roots[root.rawValue] == 0 { brokenTrees.insert(root) }
    }
    for slot in 0..<DatabaseHeader.rootSlots where !GraphRoot.allCases.contains(where: { $0.rawValue == slot }) {
      let page = header.roots[slot]
      guard page != 0 else { continue }
      accountingComplete = false
      foreignRoots = true
      if Int(page) < pageCount, owners[Int(page)] == Owner.none.rawValue { owners[Int(page)] = Owner.foreign.rawValue }
      skip("page accounting: root slot \(slot) (page \(page)) is not one of the graph's trees; leaked pages are not reported")
    }

    let trees = GraphRoot.allCases.filter { header.roots[$0.rawValue] != 0 }
    beginPhase("pages", total: trees.count + 1)
    for (i, root) in trees.enumerated() {
      if !checkTree(root) { accountingComplete = false }
      tick(i + 1)
    }
    if !walkFreeList() { accountingComplete = false }
    endPhase()

    if accountingComplete {
      for page in 1..<max(1, pageCount) where owners[page] == Owner.none.rawValue {
        problem(
          .pageUnreachable, page: PageNumber(page),
          "no tree and not the free list owns this page (leaked: the space is lost until a vacuum)", hint: VerifyHint.vacuum)
      }
    } else if !foreignRoots {
      skip("leaked pages: not reported, because a damaged tree or free list hides which pages it owns")
    }
  }

  /// Runs the invariant checker on one graph tree and claims its pages;
  /// returns false when the tree is damaged.
  private func checkTree(_ root: GraphRoot) -> Bool {
    let tree = BTree(root: header.roots[root.rawValue])
    let check = tree.checkInvariants(in: tx)
    treeEntries[root] = check.entries
    report.counts.treePages += check.pages.count
    let record = "\(root.name) tree"
    var reported: Set<String> = []
    for found in check.problems {
      // A page phase 1 found bad is already reported; the tree is still broken.
      if badPages.contains(found.page) { continue }
      // The checker may see one fault twice (a key out of order in its node and
      // across leaves): one problem per code and page.
      guard reported.insert("\(found.code.rawValue) \(found.page)").inserted else { continue }
      let code: VerifyProblem.Code
      switch found.code {
      case .unreadable, .badNode: code = .btreeNode
      case .wrongLevel: code = .btreeDepth
      case .keyOrder: code = .btreeKeyOrder
      case .separatorBounds: code = .btreeSeparator
      case .emptyNode: code = .btreeEmptyNode
      case .badChild: code = .btreeChild
      case .pageReachedTwice: code = .btreeCycle
      case .overflowChain: code = .overflowChain
      }
      problem(code, page: found.page, record: record, found.message, hint: root.repair)
    }
    let owner = Self.owner(root)
    for page in check.pages.sorted() {
      claim(page, by: owner, record: record)
    }
    if !check.problems.isEmpty {
      brokenTrees.insert(root)
      return false
    }
    return true
  }

  /// Marks `page` as owned; reports a page owned already.
  private func claim(_ page: PageNumber, by owner: UInt8, record: String) {
    guard Int(page) < pageCount else { return }
    let current = owners[Int(page)]
    if current == Owner.none.rawValue {
      owners[Int(page)] = owner
      return
    }
    problem(
      .pageDoubleUse, page: page, record: record,
      "the page belongs to \(ownerName(owner)) and also to \(ownerName(current))", hint: VerifyHint.salvage)
  }

  /// Walks the free list; returns false when the walk could not finish.
  private func walkFreeList() -> Bool {
    var page = header.freeListHead
    var from: PageNumber? = nil
    var length: UInt32 = 0
    func describe() -> String {
      from.map { "free-list page \($0) points at page \(page)" } ?? "the header's free-list head is page \(page)"
    }
    while page != 0 {
      guard Int(page) < pageCount else {
        problem(
          .freeListBadPage, page: from ?? 0, record: "free list", "\(describe()), beyond the \(pageCount) pages",
          hint: VerifyHint.vacuum)
        return false
      }
      let current = owners[Int(page)]
      if current == Owner.free.rawValue {
        problem(
          .freeListCycle, page: page, record: "free list", "\(describe()), which the list already passed (a cycle)",
          hint: VerifyHint.vacuum)
        return false
      }
      if current != Owner.none.rawValue {
        problem(
          .pageDoubleUse, page: page, record: "free list",
          "\(describe()), which belongs to \(ownerName(current)): the next allocation would overwrite it", hint: VerifyHint.vacuum
        )
        return false
      }
      owners[Int(page)] = Owner.free.rawValue
      length += 1
      report.counts.freePages += 1
      let number = page
      let next: Result<PageNumber, SombraError> = Result {
        try tx.withPage(number) { bytes -> PageNumber in
          guard bytes[PageLayout.typeOffset] == PageType.free.rawValue else {
            let name = PageType(rawValue: bytes[PageLayout.typeOffset])?.name ?? "unknown"
            throw SombraError.corruption(
              "\(describe()), which is a \(name) page, not a free page", page: number, offset: UInt64(PageLayout.typeOffset))
          }
          return bytes.le(PageLayout.freeNextOffset)
        }
      }.mapError { ($0 as? SombraError) ?? SombraError.corruption("\($0)", page: number) }
      switch next {
      case .success(let n):
        from = page
        page = n
      case .failure(let error):
        if !badPages.contains(number) {
          problem(.freeListBadPage, page: number, record: "free list", error.message, hint: VerifyHint.vacuum)
        }
        return false
      }
    }
    guard length == header.freeListCount else {
      problem(
        .freeListCount, page: 0, record: "free list",
        "the header counts \(header.freeListCount) free pages but the list holds \(length)", hint: VerifyHint.vacuum)
      return true  // the walk itself was complete: leaks can still be told
    }
    return true
  }
}
