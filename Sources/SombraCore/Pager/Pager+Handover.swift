/// Closing a read-write handle whose file is about to be replaced (vacuum).
///
/// `close()` writes the session's end (clean flag, checkpoint) into the file the
/// handle has open. Vacuum cannot close that way after it has switched files:
/// by then the old file is its backup, which must never be written. Nor can it
/// close before the switch: the writer lock would be free, and a commit of
/// another process could land in the old file just before it is replaced. So:
/// 1. Commit the clean flag and checkpoint with `truncate`, as `close()` does;
///    readers in another process that prevent the reset make this fail with
///    `busy` (the handle stays open and usable).
/// 2. Mark the handle closed: no call writes anything from here on.
/// 3. Hand the still-open files to the caller as a `HeldWriterLock`: the
///    writer lock stays held until `release()`.
/// A failure in step 1 leaves the handle open; `close()` then ends it as usual.
package final class HeldWriterLock: @unchecked Sendable {
  // @unchecked: `released` is touched only by the owner, once.
  private let main: any StorageFile
  private let wal: (any StorageFile)?
  private var released = false

  init(main: any StorageFile, wal: (any StorageFile)?) {
    self.main = main
    self.wal = wal
  }

  deinit { release() }

  /// Releases the durable mark (at 0: the WAL is empty) and the writer lock,
  /// then closes the files, as `Pager.close` does.
  package func release() {
    if released { return }
    released = true
    Pager.closeFiles(main: main, wal: wal, writer: true)
  }
}

extension Pager {
  /// Steps 1-3 above.
  package func closeKeepingWriterLock() throws -> HeldWriterLock {
    guard !readOnly else { throw SombraError.misuse("the database is open read-only") }
    guard let pass = gate.tryEnter() else {
      throw SombraError.misuse("a write transaction is still open; commit or roll it back before closing")
    }
    return try pass.leave(after: { pass in
      let readers = try lock.withLock { state in
        try checkUsable(state)
        return state.readerMarks.values.reduce(0, +)
      }
      guard readers == 0 else {
        throw SombraError.misuse("\(readers) read transaction(s) are still open; end them before closing")
      }
      guard try endSessionHoldingGate(pass).walReset else {
        throw SombraError(
          .busy, "readers in another process hold the database; it could not be closed for replacement", path: path)
      }
      let wal = markClosed()
      logger.info("closed for replacement")
      return HeldWriterLock(main: main, wal: wal)
    })
  }
}
