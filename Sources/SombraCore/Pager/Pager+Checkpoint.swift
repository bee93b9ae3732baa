import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Checkpoint protocol:
/// 1. Sync the WAL if commits since the last sync are not durable yet (the main
///    file must never get pages whose frames could still vanish), through
///    `SyncGroup` like a commit's sync: after a failed sync this step fails.
/// 2. Take `LockRange.readers` exclusively (read-only processes hold it shared
///    while they read): passive tries once (waits briefly when the WAL is over
///    its size), full and truncate wait up to the lock timeout, behind a sign
///    that makes new read transactions yield (`Pager+ReaderYield.swift`).
/// 3. Copy, for every page, its newest frame below every live snapshot's mark into
///    the main file, page 0 last after an fdatasync of the others; then
///    fdatasync the main file. A full disk (ENOSPC, EDQUOT)
///    while copying fails the checkpoint and nothing else: the WAL still holds
///    every page copied so far. Any other write or sync failure poisons the handle.
/// 4. When every frame was copied and no snapshot is live, reset the WAL: move
///    the durable mark to 0 (`Pager+DurableMark.swift`), then a new header with
///    new salts, synced before any new frame is written (old frames become
///    stale), or for `truncate` the file cut to zero and synced. A crash
///    anywhere before the reset replays the same frames again at the next open,
///    which is harmless; replaying only a prefix of them would not be, which is why
///    the new header must be durable first.
public enum CheckpointMode: String, Sendable, CaseIterable {
  /// Copy what can be copied without waiting for readers.
  case passive
  /// Wait (up to the lock timeout) for readers, copy everything, reset the WAL.
  case full
  /// As `full`, then truncate the WAL file to zero bytes.
  case truncate
}

/// What a checkpoint did.
public struct CheckpointResult: Sendable, Equatable {
  /// Committed frames in the WAL before the checkpoint.
  public var framesBefore = 0
  /// Distinct pages written into the main file.
  public var pagesCopied = 0
  /// Whether the WAL was reset (every frame is now in the main file).
  public var walReset = false
  /// True when readers prevented some or all of the work.
  public var busy = false
  /// WAL bytes before and after.
  public var walBytesBefore: UInt64 = 0
  public var walBytesAfter: UInt64 = 0
}

extension Pager {
  /// Runs a checkpoint, waiting for an open write transaction of this process to end.
  package func checkpoint(_ mode: CheckpointMode) throws -> CheckpointResult {
    guard !readOnly else { throw SombraError.misuse("the database is open read-only") }
    let timeout = mode == .passive ? 0 : max(options.lockTimeout, 0.001)
    guard let pass = gate.enter(timeout: timeout) else {
      if mode == .passive { return CheckpointResult(busy: true) }
      throw SombraError(.busy, "a write transaction is open in this process; commit or roll it back first", path: path)
    }
    return try pass.leave(after: { pass in
      try lock.withLock { state in try checkUsable(state) }
      return try checkpointHoldingGate(mode, pass)
    })
  }

  /// The checkpoint itself; the caller holds the writer gate. Timed, counted
  /// and logged (`reason`: requested, wal-size, interval, close, open).
  func checkpointHoldingGate(_ mode: CheckpointMode, reason: String = "requested", _ pass: borrowing Pass) throws
    -> CheckpointResult
  {
    let started = monotonicSeconds()
    let result = try copyFrames(mode, pass)
    let elapsed = monotonicSeconds() - started
    lock.withLock { $0.lastCheckpointAt = monotonicSeconds() }
    if result.framesBefore > 0 || result.busy {
      logger.debug(
        "checkpoint",
        metadata: [
          "mode": .string(mode.rawValue), "reason": .string(reason), "frames": "\(result.framesBefore)",
          "pages": "\(result.pagesCopied)", "wal_reset": "\(result.walReset)", "busy": "\(result.busy)",
          "duration_ms": .string(Self.milliseconds(elapsed)),
        ])
    }
    noteIfSlow("checkpoint", seconds: elapsed, metadata: ["mode": .string(mode.rawValue), "pages": "\(result.pagesCopied)"])
    return result
  }

  /// Steps 1-4 of the protocol.
  private func copyFrames(_ mode: CheckpointMode, _ pass: borrowing Pass) throws -> CheckpointResult {
    guard let wal = lock.withLock({ $0.walFile }) else { return CheckpointResult() }
    var result = CheckpointResult()
    result.walBytesBefore = try wal.size()
    result.framesBefore = lock.withLock { $0.committedFrames }

    // The gate holder's view: no commit can be added meanwhile. The sync is a
    // group sync (after a running one, never beside it): a sync that returns
    // after another failed proves nothing, and must not make commits durable
    // or let their pages into the main file. It covers `latest`, so it leaves
    // `durableView` nil: new snapshots see every commit.
    let latest = lock.withLock { state in state.syncedThrough < state.header.changeCounter ? state.header.changeCounter : nil }
    if let latest {
      try syncGroup.wait(for: latest) { try leadSync(holdingGate: true) }
    }

    // Readers in other processes: a full or truncate checkpoint waits for them,
    // and so does a passive one when the WAL is over its size, behind the
    // sign that makes new read transactions yield (`Pager+ReaderYield.swift`).
    let oversize = mode == .passive && walSize >= options.maxWALSize
    let wait = mode == .passive ? (oversize ? Self.oversizeWait : 0) : max(options.lockTimeout, 0.001)
    let gotLock = try lockReadersForCheckpoint(timeout: wait)
    guard gotLock else {
      lock.withLock { state in noteCheckpointBlocked(byOtherProcesses: true, &state) }
      if mode == .passive {
        result.busy = true
        result.walBytesAfter = result.walBytesBefore
        return result
      }
      throw SombraError(
        .busy, "readers in another process hold the database; the checkpoint could not run (raise the lock timeout or retry)",
        path: path)
    }
    defer { try? main.unlock(.readers) }

    // Plan: newest frame below the bound, per page.
    let (bound, plan, boundTransaction) = lock.withLock { state in
      let bound = min(state.readerMarks.keys.min() ?? state.committedFrames, state.committedFrames)
      var plan: [(page: PageNumber, source: PageSource)] = []
      for (page, frames) in state.index.all {
        if let f = frames.last(where: { Int($0) < bound }) { plan.append((page, state.source(of: page, at: f))) }
      }
      plan.sort { $0.page < $1.page }
      return (bound, plan, bound > 0 ? state.frameTransactions[bound - 1] : 0)
    }

    // The lifetime facts stamped into the page 0 copied home (and kept in memory
    // for the next commit's header).
    let checkpoints = lock.withLock { $0.header.lifetime.checkpoints }.addingSaturating(1)
    let now = options.wallClock()
    if !plan.isEmpty {
      let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
      defer { page.deallocate() }
      do {
        // Page 0 last, after a sync of the others: the main file's header
        // then never says it holds a transaction whose pages are not all in
        // it (`WALDamage` trusts its change counter).
        let ordered = plan.filter { $0.page != 0 } + plan.filter { $0.page == 0 }
        for (i, (number, source)) in ordered.enumerated() {
          if number == 0 && i > 0 { try main.sync() }
          // The cache usually holds the version whole; a delta chain would
          // otherwise cost one WAL read per record.
          let newest = source.deltas.last ?? source.base
          let cached = newest.flatMap { frame in
            lock.withLock { state in
              state.cache.pin(.frame(frame, page: number)).map {
                (slot: $0, bytes: UnsafeRawBufferPointer(state.cache.buffer($0)))
              }
            }
          }
          if let cached {
            // Pinned: the slot's bytes stay as they are until the unpin.
            page.copyMemory(from: cached.bytes)
            lock.withLock { $0.cache.unpin(cached.slot) }
          } else {
            try load(number, from: source, into: page, wal: wal)
          }
          if number == 0 {
            var h = try DatabaseHeader.decode(UnsafeRawBufferPointer(page), path: path)
            h.lastCheckpointedTransaction = boundTransaction
            h.lifetime.checkpoints = checkpoints
            h.lifetime.lastCheckpointTime = now
            h.encode(into: page)
          }
          try main.write(UnsafeRawBufferPointer(page), at: UInt64(number) * UInt64(pageSize))
        }
        try main.sync()
      } catch let error as SombraError where error.errno == ENOSPC || error.errno == EDQUOT {
        // A full disk before the sync: the pages written so far are versions
        // that WAL frames still hold (no snapshot reads their main copies, and
        // nothing is reset), so the handle stays usable and a later
        // checkpoint copies them again.
        logger.warning("checkpoint stopped: the disk is full", metadata: ["error": "\(error)"])
        throw error
      } catch {
        throw poisoned(by: error)
      }
      result.pagesCopied = plan.count
    }

    try lock.withLock { state in
      for (number, _) in plan { state.cache.remove(.main(number)) }
      state.cache.remove(.main(0))
      if bound > 0 { state.header.lastCheckpointedTransaction = boundTransaction }
      if !plan.isEmpty {
        state.header.lifetime.checkpoints = checkpoints
        state.header.lifetime.lastCheckpointTime = now
      }
      state.counters.checkpoints += 1
      state.counters.pagesWritten += UInt64(plan.count)
      guard bound == state.committedFrames, state.readerMarks.isEmpty else {
        result.busy = bound < state.committedFrames
        noteCheckpointBlocked(byOtherProcesses: false, &state)
        return
      }
      state.checkpointBlocker = nil
      // Other processes see no frame of the new generation until a sync
      // covers it; none of them is reading (the readers lock is ours).
      try moveDurableMark(to: 0, &state)
      // Reset: the newest version of every page now lives in the main file.
      for (number, frames) in state.index.all where number != 0 {
        if let newest = frames.last { state.cache.rekey(.frame(newest, page: number), to: .main(number)) }
      }
      state.cache.removeFrames()
      state.index.removeAll()
      state.framePages.removeAll()
      state.frameTransactions.removeAll()
      state.committedFrames = 0
      state.generation += 1
      let next = (state.walHeader ?? WALHeader.fresh(pageSize: UInt32(pageSize), databaseID: state.header.databaseID))
        .next(databaseID: state.header.databaseID)
      state.walHeader = next
      state.runningChecksum = next.checksum
      do {
        if mode == .truncate {
          pass.held.walAllocated = nil
          try wal.truncate(to: 0)
          try wal.sync()
          state.walHeaderOnDisk = false
          pass.held.walAllocated = 0
        } else {
          // Durable before any frame of the new generation is written: otherwise a
          // crash could leave the old header over a mix of old and new frames, and
          // recovery would replay a prefix of frames already checkpointed.
          try next.encode().withUnsafeBytes { try wal.write($0, at: 0) }
          try wal.sync()
          state.walHeaderOnDisk = true
        }
      } catch {
        if state.poison == nil, let e = error as? SombraError { state.poison = e }
        throw error
      }
      result.walReset = true
    }
    result.walBytesAfter = try wal.size()
    return result
  }
}
