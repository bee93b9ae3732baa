/// The page state of the one write transaction: private copies of every page it
/// changed, and its working header. Nothing here is visible to readers until
/// `Pager.commit` publishes it; `Pager.rollback` drops it without a trace.
///
/// Lifecycle: `Pager.beginWrite` -> (reads, changes, allocations) ->
/// `Pager.commit` or `Pager.rollback`, exactly once. A failed operation (a limit,
/// an I/O error) marks the writer failed: it can then only be rolled back.
///
/// Timeout (`OpenOptions.transactionTimeout`): every call of the owner is
/// counted in the `lease` (`WriteLease`), which another thread's `beginWrite`
/// may revoke once the deadline has passed and no call is in progress; once
/// revoked, every call throws `timeout` and the gate already belongs to the
/// new writer.
package final class PageWriter {
  let pager: Pager
  let base: Snapshot
  /// The part other threads may see: deadline, calls in progress, the gate's pass.
  let lease: WriteLease
  /// The header as this transaction has changed it.
  package private(set) var header: DatabaseHeader {
    _read { yield state.pointee.header }
    _modify { yield &state.pointee.header }
  }
  var dirty: DirtyPages {
    _read { yield state.pointee.dirty }
    _modify { yield &state.pointee.dirty }
  }
  /// The writer's changing state, in memory the writer owns rather than in
  /// stored properties: every B-tree step reads `header` and `dirty`, every
  /// call checks `isFinished` and `failure`, and Swift's run-time exclusivity
  /// check of a class's stored property costs more than the lookup. No access
  /// to a field is held across a call that could access the same one again
  /// (`updateHeader`'s body, the one closure run during such an access, must
  /// not read `header`; see there).
  private struct State {
    var header: DatabaseHeader
    var dirty: DirtyPages
    var allocations: UInt64 = 0
    var leafInserts: [PageNumber: Int]
    var headerChanged = false
    var isFinished = false
    var failure: SombraError?
    /// Neither finished nor failed, and no deadline: `checkActive`'s one test.
    var quiet: Bool
  }
  private let state: UnsafeMutablePointer<State>

  /// Pages allocated or freed so far: every B-tree split, merge, new root or
  /// lost level moves it, so an unchanged count means no tree changed shape
  /// (`BTree.AppendHint` relies on this).
  package var allocationsAndFrees: UInt64 { state.pointee.allocations }
  var headerChanged: Bool {
    get { state.pointee.headerChanged }
    set { state.pointee.headerChanged = newValue }
  }
  package internal(set) var isFinished: Bool {
    get { state.pointee.isFinished }
    set {
      state.pointee.isFinished = newValue
      state.pointee.quiet = !newValue && state.pointee.failure == nil && deadline == nil
    }
  }
  package internal(set) var failure: SombraError? {
    get { state.pointee.failure }
    set {
      state.pointee.failure = newValue
      state.pointee.quiet = newValue == nil && !state.pointee.isFinished && deadline == nil
    }
  }
  /// Monotonic seconds after which the transaction has timed out; nil: never.
  var deadline: Double? { lease.deadline }
  /// Changed pages up to which the commit can log delta records (0: never).
  private let deltaPagesBudget: Int
  // The index of the last insert into each leaf (`noteLeafInsert`, the
  // B-tree's split choice) starts from the pager's hints of earlier
  // transactions; a hint only, never written to the file. Kept in `state`.
  /// Moves the hints out (the commit hands them to the next writer): the
  /// dictionary changes owner without being copied.
  func takeLeafInserts() -> [PageNumber: Int] {
    let hints = state.pointee.leafInserts
    state.pointee.leafInserts = [:]
    return hints
  }
  /// Starts from `base`. `allowsDeltas`: whether the WAL's version lets the
  /// commit log delta records (read once: the writer gate keeps the WAL header
  /// from changing under this transaction). `leafInserts`: the hints the last
  /// commit left (`WriterState`), moved here so the first insert does not
  /// copy the dictionary.
  init(pager: Pager, base: Snapshot, lease: WriteLease, allowsDeltas: Bool, leafInserts: [PageNumber: Int]) {
    self.pager = pager
    self.base = base
    self.lease = lease
    deltaPagesBudget = allowsDeltas ? pager.deltaPagesBudget : 0
    state = .allocate(capacity: 1)
    state.initialize(
      to: State(
        header: base.header, dirty: DirtyPages(pageSize: pager.pageSize), leafInserts: leafInserts, quiet: lease.deadline == nil))
  }

  deinit {
    releaseBuffers()
    state.deinitialize(count: 1)
    state.deallocate()
  }

  func releaseBuffers() {
    PageBuffers.give(dirty.removeAll(), pageSize: pager.pageSize)
  }

  package var pageSize: Int { pager.pageSize }
  package var dirtyPageCount: Int { dirty.count }
  package var prefersSmallChanges: Bool { dirty.count < deltaPagesBudget }

  package func noteLeafInsert(_ page: PageNumber, at index: Int) -> Bool {
    let previous = state.pointee.leafInserts.updateValue(index, forKey: page)
    return previous == index - 1
  }

  private func checkActive() throws {
    // The usual case first, without copying `failure` out.
    if state.pointee.quiet { return }
    if isFinished { throw SombraError.misuse("the transaction has already ended") }
    if let failure {
      throw SombraError(failure.code, "the transaction failed earlier (\(failure.message)); roll it back")
    }
    if isPastDeadline {
      pager.lock.withLock { $0.counters.timeouts += 1 }
      pager.logger.warning("write transaction timed out", metadata: ["tx": "\(base.header.changeCounter &+ 1)"])
      throw fail(timedOut())
    }
  }

  /// Runs one call of the owner: counted in `activity` so it cannot be revoked
  /// meanwhile; throws `timeout` once revoked.
  @inline(__always)
  private func operation<R>(_ body: () throws -> R) throws -> R {
    var current = lease.activity.load(ordering: .acquiring)
    while true {
      if current == WriteLease.revoked { throw timedOut() }
      if current < 0 { throw SombraError.misuse("the transaction has already ended") }
      let (exchanged, original) = lease.activity.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { break }
      current = original
    }
    defer { lease.activity.subtract(1, ordering: .releasing) }
    try checkActive()
    return try body()
  }

  /// Whether the deadline has passed.
  var isPastDeadline: Bool { lease.isPastDeadline }

  /// Whether another writer took over after a timeout.
  var isRevoked: Bool { lease.isRevoked }

  /// The error of a timed-out transaction.
  func timedOut() -> SombraError {
    SombraError(
      .timeout,
      "the write transaction was open longer than transactionTimeout (\(pager.options.transactionTimeout ?? 0) s) and was rolled back; start a new one"
    )
  }

  /// Marks the transaction ended by its owner; false when it was revoked first.
  func end() -> Bool { lease.end() }

  /// Leaves the transaction only fit for rollback: a change it owes (queued
  /// adjacency items) could not be made, so committing would lose it.
  package func markFailed(_ error: SombraError) { _ = fail(error) }

  /// Records a failure that leaves the transaction only fit for rollback.
  private func fail(_ error: SombraError) -> SombraError {
    failure = error
    if error.code == .limitExceeded { pager.noteLimit(error, limit: "transaction") }
    return error
  }

  /// Runs `body` as one call of the owner: one activity count and one check of
  /// the transaction's state for all the page reads and changes it makes through
  /// the `Batch` it is given (a B-tree insert touches a page per level), instead
  /// of one per page. The batch must not outlive `body`.
  package func batch<R>(_ body: (Batch) throws -> R) throws -> R {
    try operation { try body(Batch(writer: self)) }
  }

  /// Page access inside `batch`, already counted and checked.
  package struct Batch: PageMutator {
    fileprivate let writer: PageWriter

    package var pageSize: Int { writer.pageSize }
    package var pageCount: UInt32 { writer.header.pageCount }

    package func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
      try writer.readPage(number, body)
    }

    package func withMutablePage<R>(_ number: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
      try writer.changePage(number, body)
    }

    package func allocate(_ type: PageType) throws -> PageNumber { try writer.allocatePage(type) }

    package func free(_ number: PageNumber) throws { try writer.freePage(number) }

    package func noteLeafInsert(_ page: PageNumber, at index: Int) -> Bool { writer.noteLeafInsert(page, at: index) }

    /// `PageWriter.allocationsAndFrees`.
    package var allocationsAndFrees: UInt64 { writer.allocationsAndFrees }

    /// `PageWriter.prefersSmallChanges`.
    package var prefersSmallChanges: Bool { writer.prefersSmallChanges }

    /// The writer's header.
    package var header: DatabaseHeader { writer.header }

    /// `PageWriter.updateHeader`, inside the batch.
    package func updateHeader(_ body: (inout DatabaseHeader) -> Void) { writer.updateHeaderFields(body) }
  }

  /// Reads page `number` as this transaction sees it.
  package func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    try operation { try readPage(number, body) }
  }

  private func readPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    if let buffer = dirty[number] { return try body(UnsafeRawBufferPointer(buffer)) }
    guard number < header.pageCount else {
      throw SombraError.corruption(
        "page \(number) is beyond the \(header.pageCount) pages of the database", page: number, path: pager.path)
    }
    return try pager.withPage(number, base, body)
  }

  /// Changes page `number` in place (copying it into the transaction first).
  /// Page 0 changes only through `updateHeader`.
  package func withMutablePage<R>(_ number: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
    try operation { try changePage(number, body) }
  }

  private func changePage<R>(_ number: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
    guard number != 0 else { throw SombraError.misuse("page 0 is the header; change it with updateHeader") }
    guard number < header.pageCount else {
      throw SombraError.invalidArgument("page \(number) does not exist (the database has \(header.pageCount) pages)")
    }
    if let buffer = dirty[number] { return try body(buffer) }
    let buffer = try newDirtyBuffer(number)
    do {
      try pager.withPage(number, base) { buffer.copyMemory(from: $0) }
    } catch {
      dirty.remove(number)
      PageBuffers.give([buffer], pageSize: pager.pageSize)
      throw error
    }
    return try body(buffer)
  }

  private func newDirtyBuffer(_ number: PageNumber) throws -> UnsafeMutableRawBufferPointer {
    // Page 0 is written at commit in addition to the dirty pages.
    if dirty.count + 1 >= pager.options.maxTransactionPages {
      throw fail(
        SombraError(
          .limitExceeded,
          "the transaction changes more than \(pager.options.maxTransactionPages) pages (maxTransactionPages); split it"))
    }
    let buffer = PageBuffers.take(pageSize: pager.pageSize)
    dirty.insert(buffer, for: number)
    return buffer
  }

  /// Changes header fields other than the page accounting (roots, next ids).
  /// `body` is handed the writer's header itself: it must not read `header`.
  package func updateHeader(_ body: (inout DatabaseHeader) -> Void) throws {
    try operation { updateHeaderFields(body) }
  }

  private func updateHeaderFields(_ body: (inout DatabaseHeader) -> Void) {
    // In place (a copy of the header would copy its roots array too), then the
    // pager's accounting fields are put back.
    let kept = (
      header.pageCount, header.freeListHead, header.freeListCount, header.changeCounter, header.pageSize, header.major,
      header.minor, header.lifetime
    )
    body(&header)
    header.pageCount = kept.0
    header.freeListHead = kept.1
    header.freeListCount = kept.2
    header.changeCounter = kept.3
    header.pageSize = kept.4
    header.major = kept.5
    header.minor = kept.6
    header.lifetime = kept.7
    headerChanged = true
  }

  /// Brings a file made before the current format minor up to it, with its
  /// database id (the open's first commit).
  func adoptCurrentFormat(databaseID: UInt64) {
    header.minor = DatabaseHeader.currentMinor
    header.databaseID = databaseID
    headerChanged = true
  }

  /// Marks the header clean or unclean (open and close).
  func setCleanShutdown(_ clean: Bool) {
    header.cleanShutdown = clean
    headerChanged = true
  }

  /// Adds the lifetime facts of the file this one replaces (vacuum) or was
  /// rebuilt from (salvage), so its history survives the new file: counts add
  /// up, the last checkpoint time is the later one.
  package func carryLifetime(_ earlier: LifetimeFacts) {
    header.lifetime.commits = header.lifetime.commits.addingSaturating(earlier.commits)
    header.lifetime.checkpoints = header.lifetime.checkpoints.addingSaturating(earlier.checkpoints)
    header.lifetime.lastCheckpointTime = max(header.lifetime.lastCheckpointTime, earlier.lastCheckpointTime)
    header.lifetime.uncleanShutdowns = header.lifetime.uncleanShutdowns.addingSaturating(earlier.uncleanShutdowns)
    header.lifetime.corruptionEvents = header.lifetime.corruptionEvents.addingSaturating(earlier.corruptionEvents)
    headerChanged = true
  }

  /// Counts an unclean shutdown found at open in the header's lifetime facts.
  func recordUncleanShutdown() {
    header.lifetime.uncleanShutdowns = header.lifetime.uncleanShutdowns.addingSaturating(1)
    headerChanged = true
  }

  /// A new page of `type`, formatted, from the free list or the end of the file.
  package func allocate(_ type: PageType) throws -> PageNumber {
    try operation { try allocatePage(type) }
  }

  private func allocatePage(_ type: PageType) throws -> PageNumber {
    guard type != .header, type != .free else { throw SombraError.misuse("cannot allocate a \(type.name) page") }
    state.pointee.allocations &+= 1  // a count of calls: cannot reach 2^64
    let number: PageNumber
    if header.freeListHead != 0 {
      number = header.freeListHead
      let next: UInt32 = try readPage(number) { page in
        guard page[PageLayout.typeOffset] == PageType.free.rawValue else {
          throw fail(
            .corruption(
              "free-list page \(number) is not a free page (type 0x\(PageLayout.hex(page[0])))", page: number,
              offset: UInt64(PageLayout.typeOffset), path: pager.path))
        }
        return page.le(PageLayout.freeNextOffset)
      }
      guard next < header.pageCount, next != number else {
        throw fail(
          .corruption(
            "free-list page \(number) points at page \(next), outside the database", page: number,
            offset: UInt64(PageLayout.freeNextOffset), path: pager.path))
      }
      header.freeListHead = next
      header.freeListCount = header.freeListCount > 0 ? header.freeListCount - 1 : 0
    } else {
      guard header.pageCount < UInt32.max - 1 else {
        throw fail(SombraError(.limitExceeded, "the database has the most pages a file can hold"))
      }
      let newCount = header.pageCount + 1
      if let limit = pager.options.maxDatabaseSize, UInt64(newCount) * UInt64(pager.pageSize) > limit {
        throw fail(SombraError(.limitExceeded, "the database would grow past maxDatabaseSize (\(limit) bytes)"))
      }
      number = header.pageCount
      header.pageCount = newCount
    }
    headerChanged = true
    let buffer = try dirty[number] ?? newDirtyBuffer(number)
    PageLayout.format(buffer, type: type, number: number)
    return number
  }

  /// Returns a page to the free list.
  package func free(_ number: PageNumber) throws {
    try operation { try freePage(number) }
  }

  private func freePage(_ number: PageNumber) throws {
    guard number != 0, number < header.pageCount else {
      throw SombraError.invalidArgument("cannot free page \(number)")
    }
    state.pointee.allocations &+= 1
    // A second free would make the free list a cycle.
    let alreadyFree = try readPage(number) { $0[PageLayout.typeOffset] == PageType.free.rawValue }
    guard !alreadyFree else { throw SombraError.invalidArgument("page \(number) is already free") }
    let buffer = try dirty[number] ?? newDirtyBuffer(number)
    PageLayout.format(buffer, type: .free, number: number)
    buffer.putLE(header.freeListHead, at: PageLayout.freeNextOffset)
    header.freeListHead = number
    header.freeListCount += 1
    headerChanged = true
  }
}
