/// `replaceFile(with:backup:)`: the atomic switch of a vacuum. This read-write
/// handle's file (DB, with its WAL DB.wal) is replaced by a complete, closed
/// database file NEW (one file, no WAL) beside it; the old file is kept as
/// BACKUP when asked. Every step goes through the handle's `StorageSystem`.
///
/// Order, and what a power loss at each point leaves:
/// 1. End this session as `close()` would (clean flag, checkpoint `truncate`:
///    DB complete and synced, DB.wal empty and synced) but keep the writer lock
///    (`Pager.closeKeepingWriterLock`): from here nothing writes to DB's old
///    file, which may become the backup. Readers in another process that
///    prevent the checkpoint fail this step with `busy`; nothing has changed.
/// 2. BACKUP: a second name (hard link) for DB's old file; where the file
///    system has no links, a copy (`StorageSystem.copy`: whole under its name or
///    absent). Crash: DB intact, BACKUP absent or whole.
/// 3. Remove DB.wal and fsync the directory: it is empty, and must not outlive
///    the old file (its frames, if any were written, would belong to the old
///    file, never to NEW). Crash: DB without a WAL, a complete database.
/// 4. rename(NEW, DB) and fsync the directory. Crash before the directory sync:
///    DB names the old file or NEW, both complete (and NEW may still be there).
/// 5. Release the writer lock. A process waiting for it gets the lock of the
///    old file and opens the path again (`Pager.open` compares identities).
/// A failure in step 1 leaves the handle open (`close()` ends it as usual); a
/// failure in steps 2 and 3 leaves DB as it was and the handle closed.
extension Database {
  /// Replaces this database's file with `newPath`, keeping the old file as
  /// `backup` when it is not nil. The handle is closed afterwards.
  package func replaceFile(with newPath: String, backup: String?) throws {
    let storage = pager.storage
    guard storage.exists(newPath), !storage.exists(newPath + ".wal") else {
      throw SombraError.invalidArgument("\(newPath) is not a closed database file without a WAL; nothing was replaced")
    }
    // 1.
    let held = try pager.closeKeepingWriterLock()
    defer { held.release() }
    // 2.
    if let backup {
      do {
        try storage.link(path, as: backup)
      } catch {
        try storage.copy(path, to: backup)
      }
    }
    // 3.
    try storage.remove(walPath)
    try storage.syncDirectory(of: path)
    // 4.
    try storage.rename(newPath, over: path)
    try storage.syncDirectory(of: path)
  }
}
