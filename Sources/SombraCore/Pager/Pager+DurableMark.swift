/// The durable mark: how the read-write handle tells read-only handles (other
/// processes, or other handles in this one) how much of the WAL a sync has
/// covered, so that none of them reads a commit a power loss could still take
/// back (DESIGN.md §5).
///
/// The mark is an advisory byte-range lock, not bytes in a file: the
/// read-write handle holds exclusively the one byte at
/// `LockRange.durableMarks.start + n` of the main file, n being the number of
/// frames of the current WAL generation that a WAL sync has covered (always
/// the end of a commit). A read-only handle asks which byte is locked
/// (`StorageFile.firstLock`), which takes nothing and waits for nothing. When
/// the writer dies its locks vanish with it, so nothing stale survives it.
///
/// Writer (every move is made under `lock`, so moves never interleave):
/// 1. Open: after recovery, which writes the frames it found again and syncs
///    them (a writer that died may have left them unsynced:
///    `rewriteRecovered`), and before the first commit of the session, place
///    the mark at the recovered frame count (0 for a new or empty WAL). Until
///    then there is no mark; see rule 3.
/// 2. After every WAL sync that makes commits durable (`leadSync`, the
///    synced commits of `SyncMode.normal`), move it to the frames that sync
///    covered: lock the new byte, then unlock every other byte of the range.
///    A reader that finds either byte meanwhile finds a durable point.
/// 3. At a WAL reset, move it to 0 before the new header is written. The
///    reset runs with `LockRange.readers` held exclusively, so no reader is
///    between its look at the WAL header and its look at the mark.
///    A mark that cannot be moved stays where it was: it then understates
///    what is durable, which only delays readers. Only a reset whose mark
///    cannot move to 0 does not happen (the checkpoint fails).
///
/// Reader (`refreshReadOnly`, while it holds `LockRange.readers` shared):
/// 1. Look at the mark; scan the WAL's committed frames, no further than the
///    mark when there is one (whole transactions: the scan stops before a
///    transaction whose commit frame is at or past it).
/// 2. With no mark, every valid committed frame is adopted, as the next
///    read-write open would recover them all: there is no writer, or it died,
///    or it is opening and has not placed its mark yet. An opening writer has
///    written nothing yet (rule 1 comes before its first write), so what the
///    reader finds is what that writer's recovery finds, never less than a
///    whole commit and never the main file alone of a half-done checkpoint.
/// 3. If there was no mark before the scan but there is one after it, a writer
///    placed it meanwhile and may have written past it: scan again, no further
///    than that mark.
///
/// Under `SyncMode.normal` and `.off` the mark moves only when a sync
/// happens (every N commits, or a checkpoint's WAL sync), so other processes
/// see commits later than this handle's own readers do.
extension Pager {
  /// Moves the published durable mark to `frames`.
  func moveDurableMark(to frames: Int, _ state: inout PagerState) throws {
    if state.durableMark == frames { return }
    let target = LockRange.durableMark(frames)
    guard try main.lock(target, .exclusive, wait: false) else {
      throw SombraError(.locked, "another handle holds the durable mark at \(frames) frames", path: path)
    }
    state.durableMark = frames
    // Everything else in the range: the old mark, and any a failed unlock left.
    let below = LockRange(start: LockRange.durableMarks.start, length: target.start - LockRange.durableMarks.start)
    let above = LockRange(
      start: target.start + 1, length: LockRange.durableMarks.start + LockRange.durableMarks.length - target.start - 1)
    // (A length of 0 would mean "to the end of the file" to fcntl.)
    if below.length > 0 { try main.unlock(below) }
    if above.length > 0 { try main.unlock(above) }
  }

  /// Moves the mark after a sync that covered `frames` of generation
  /// `covered`. A failure only leaves the mark behind (readers see less); it
  /// is logged, and the next sync tries again.
  func advanceDurableMark(to frames: Int, generation covered: UInt64, _ state: inout PagerState) {
    guard covered == state.generation, frames > (state.durableMark ?? -1) else { return }
    do {
      try moveDurableMark(to: frames, &state)
    } catch {
      logger.error(
        "the durable mark could not be moved; other processes see older commits",
        metadata: ["frames": "\(frames)", "error": "\(error)"])
    }
  }

  /// Step 1 of the writer's protocol, at the read-write open: publish what
  /// recovery found and made durable.
  func publishRecoveredFrames() throws {
    try lock.withLock { state in try moveDurableMark(to: state.committedFrames, &state) }
  }

  /// The frames the read-write handle has published as durable; nil when no
  /// handle publishes a mark (see the reader's rule 2).
  func publishedDurableFrames() throws -> Int? {
    guard let held = try main.firstLock(in: .durableMarks), held.start >= LockRange.durableMarks.start else { return nil }
    return Int(exactly: held.start - LockRange.durableMarks.start)
  }
}
