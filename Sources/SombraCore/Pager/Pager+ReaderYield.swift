/// Checkpoints are not starved by a read-only handle whose read transactions
/// overlap.
///
/// A read-only handle holds `LockRange.readers` shared from the start of its
/// first read transaction to the end of its last: a process that always has
/// one open (several threads reading in turn) would hold it for ever, and no
/// checkpoint could take it exclusively to copy pages and reset the WAL, which
/// would then grow without bound. So:
/// 1. A checkpoint that waits for the readers lock (full and truncate, for the
///    lock timeout; a passive one that finds the WAL over `maxWALSize`, for
///    `oversizeWait`) holds `LockRange.checkpointWaiting` exclusively while it
///    waits: a sign, taken nowhere else.
/// 2. A read-only handle about to start a read transaction looks for the sign
///    (`StorageFile.firstLock`, which takes nothing). While it is there, the
///    new transaction waits for the handle's other read transactions to end
///    (the lock is then let go) and then for the sign to go (the checkpoint
///    had the lock, or gave up), each for at most `readerYieldWait`: a nested
///    read transaction on the thread that holds the other only waits that long.
/// 3. The checkpoint records who kept it waiting when it gives up
///    (`checkpointBlocker`), for `health()`.
extension Pager {
  /// The longest a new read transaction of a read-only handle yields to a
  /// waiting checkpoint, at each of its two steps.
  static let readerYieldWait = 5.0
  /// How long a passive checkpoint of a WAL over `maxWALSize` waits for readers.
  static let oversizeWait = 0.25

  /// Step 2: called before a read-only handle takes the readers lock for a new
  /// read transaction. Not under `lock`.
  func yieldToWaitingCheckpoint() {
    guard checkpointIsWaiting() else { return }
    let deadline = monotonicSeconds() + Self.readerYieldWait
    while lock.withLock({ $0.fileReadLocks }) > 0, monotonicSeconds() < deadline { usleepSeconds(0.001) }
    let second = monotonicSeconds() + Self.readerYieldWait
    while checkpointIsWaiting(), monotonicSeconds() < second { usleepSeconds(0.001) }
  }

  private func checkpointIsWaiting() -> Bool {
    ((try? main.firstLock(in: .checkpointWaiting)) ?? nil) != nil
  }

  /// Step 1: takes the readers lock exclusively for a checkpoint, waiting up to
  /// `timeout` seconds (0: one try) behind the sign. Returns whether it has it.
  func lockReadersForCheckpoint(timeout: Double) throws -> Bool {
    if try main.lock(.readers, .exclusive, wait: false) { return true }
    guard timeout > 0 else { return false }
    guard try main.lock(.checkpointWaiting, .exclusive, wait: false) else {
      return try lockWithTimeout(.readers, .exclusive, timeout: timeout)
    }
    defer { try? main.unlock(.checkpointWaiting) }
    return try lockWithTimeout(.readers, .exclusive, timeout: timeout)
  }

  /// Step 3: who holds the WAL when a checkpoint could not reset it.
  func noteCheckpointBlocked(byOtherProcesses: Bool, _ state: inout PagerState) {
    state.checkpointBlocker =
      byOtherProcesses
      ? "read transactions of read-only handles (other processes) hold the readers lock"
      : "\(state.readerMarks.values.reduce(0, +)) read transaction(s) of this handle are open"
  }
}
