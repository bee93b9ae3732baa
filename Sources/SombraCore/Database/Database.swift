/// An open Sombra database: the file `path` and its write-ahead log `path.wal`.
///
/// ```swift
/// let db = try Database.open("graph.sombra")
/// try db.write { tx in
///   // change the database; returning commits, throwing rolls back
/// }
/// try db.read { tx in
///   // a consistent snapshot of the last commit
/// }
/// try db.close()
/// ```
///
/// One write transaction runs at a time (others wait); read transactions run on
/// any thread alongside it and never see uncommitted or later changes. Another
/// process may open the same database read-only while this handle writes; a
/// second read-write open fails with `locked`.
///
/// After a failed write or sync the handle is poisoned: every call throws
/// `poisoned` until the database is opened again, which recovers the last durable
/// commit. Every error is a `SombraError`.
public final class Database: Sendable {
  package let pager: Pager
  /// The database file.
  public var path: String { pager.path }
  /// The WAL file (`path` + `.wal`).
  public var walPath: String { pager.walPath }
  /// The page size, fixed when the database was created.
  public var pageSize: Int { pager.pageSize }
  /// What opening found: creation, recovery, unclean shutdown.
  public let openReport: OpenReport

  private init(pager: Pager) {
    self.pager = pager
    self.openReport = pager.report
  }

  /// Opens (or, unless `options.create` is false or the open is read-only,
  /// creates) the database at `path`.
  public static func open(_ path: String, options: OpenOptions = OpenOptions()) throws -> Database {
    try open(path, options: options, storage: POSIXStorageSystem())
  }

  /// Opens through another storage implementation (fault injection, simulation).
  package static func open(_ path: String, options: OpenOptions, storage: any StorageSystem) throws -> Database {
    Database(pager: try Pager.open(path, options: options, storage: storage))
  }

  /// Runs `body` in a read transaction on a snapshot of the last commit.
  public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
    let tx = try beginRead()
    defer { tx.end() }
    return try body(tx)
  }

  /// Runs `body` in the write transaction: commits when it returns, rolls back
  /// when it throws (and rethrows).
  @discardableResult
  public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
    let tx = try beginWrite()
    let result: R
    do {
      result = try body(tx)
    } catch {
      tx.rollback()
      throw error
    }
    try tx.commit()
    return result
  }

  /// Starts a read transaction; call `end()` when done.
  public func beginRead() throws -> ReadTransaction {
    ReadTransaction(pager: pager, snapshot: try pager.beginRead())
  }

  /// Starts the write transaction, waiting up to `timeout` seconds (nil: for as
  /// long as it takes) for another one in this process to end; then `commit()` or
  /// `rollback()`.
  public func beginWrite(timeout: Double? = nil) throws -> WriteTransaction {
    WriteTransaction(pager: pager, writer: try pager.beginWrite(timeout: timeout))
  }

  /// Copies committed WAL frames into the database file.
  @discardableResult
  public func checkpoint(_ mode: CheckpointMode = .passive) throws -> CheckpointResult {
    try pager.checkpoint(mode)
  }

  /// Marks the database clean, checkpoints, truncates the WAL and releases it.
  public func close() throws {
    try pager.close()
  }

  /// Whether an earlier write or sync failure has made this handle unusable.
  public var isPoisoned: Bool { pager.lock.withLock { _ in pager.poison != nil } }
}

/// A consistent snapshot of one commit. End it with `end()` (closure-scoped
/// reads do so themselves); until then a checkpoint cannot reset the WAL.
public final class ReadTransaction {
  let pager: Pager
  package let snapshot: Snapshot
  private var ended = false

  init(pager: Pager, snapshot: Snapshot) {
    self.pager = pager
    self.snapshot = snapshot
  }

  deinit { end() }

  public func end() {
    if ended { return }
    ended = true
    pager.endRead(snapshot)
  }

  /// The id of the commit this snapshot shows.
  public var transactionID: UInt64 { snapshot.header.changeCounter }

  package var header: DatabaseHeader { snapshot.header }

  package func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    if ended { throw SombraError.misuse("the read transaction has ended") }
    return try pager.withPage(number, snapshot, body)
  }
}

/// The one write transaction. Nothing it does is visible to others until
/// `commit()`; `rollback()` (or dropping it) leaves no trace.
public final class WriteTransaction {
  let pager: Pager
  package let pages: PageWriter

  init(pager: Pager, writer: PageWriter) {
    self.pager = pager
    self.pages = writer
  }

  deinit { pager.rollback(pages) }

  /// Makes the changes durable (per the sync mode) and visible.
  public func commit() throws { try pager.commit(pages) }

  /// Discards every change.
  public func rollback() { pager.rollback(pages) }

  public var isFinished: Bool { pages.isFinished }
}
