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

  /// Catalog names known to be committed (shared by every transaction).
  package let names = NameTable()

  private init(pager: Pager) {
    self.pager = pager
    self.openReport = pager.report
  }

  /// Opens (or, unless `options.create` is false or the open is read-only,
  /// creates) the database at `path`.
  ///
  /// ```swift
  /// var options = OpenOptions()
  /// options.lockTimeout = 5
  /// let db = try Database.open("graph.sombra", options: options)
  /// if db.openReport.uncleanShutdown {
  ///   print("recovered \(db.openReport.recoveredTransactions) transactions")
  /// }
  /// ```
  public static func open(_ path: String, options: OpenOptions = OpenOptions()) throws -> Database {
    try open(path, options: options, storage: POSIXStorageSystem())
  }

  /// Opens through another storage implementation (fault injection, simulation).
  package static func open(_ path: String, options: OpenOptions, storage: any StorageSystem) throws -> Database {
    Database(pager: try Pager.open(path, options: options, storage: storage))
  }

  /// Runs `body` in a read transaction on a snapshot of the last commit.
  ///
  /// ```swift
  /// let people = try db.read { tx in try tx.count(label: "Person") }
  /// ```
  public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
    let tx = try beginRead()
    defer { tx.end() }
    return try body(tx)
  }

  /// Runs `body` in the write transaction: commits when it returns, rolls back
  /// when it throws and rethrows, once what it read is durable (see
  /// ``WriteTransaction/rollback()``; if that sync fails, its error is thrown
  /// instead of the body's).
  ///
  /// ```swift
  /// let ada = try db.write { tx in
  ///   try tx.createNode(labels: ["Person"], properties: ["name": "Ada"])
  /// }
  /// ```
  @discardableResult
  public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
    let tx = try beginWrite()
    let result: R
    do {
      result = try body(tx)
    } catch {
      try tx.rollback()
      throw error
    }
    try tx.commit()
    return result
  }

  /// Starts a read transaction; call `end()` when done.
  public func beginRead() throws -> ReadTransaction {
    ReadTransaction(database: self, snapshot: try pager.beginRead())
  }

  /// Starts the write transaction, waiting up to `timeout` seconds (nil: for as
  /// long as it takes) for another one in this process to end; then `commit()` or
  /// `rollback()`.
  public func beginWrite(timeout: Double? = nil) throws -> WriteTransaction {
    WriteTransaction(database: self, writer: try pager.beginWrite(timeout: timeout))
  }

  /// Copies committed WAL frames into the database file.
  ///
  /// ```swift
  /// let result = try db.checkpoint(.full)
  /// if !result.walReset { print("readers kept \(result.walBytesAfter) WAL bytes") }
  /// ```
  @discardableResult
  public func checkpoint(_ mode: CheckpointMode = .passive) throws -> CheckpointResult {
    try pager.checkpoint(mode)
  }

  /// Marks the database clean, checkpoints, truncates the WAL and releases it.
  ///
  /// ```swift
  /// let db = try Database.open("graph.sombra")
  /// defer { try? db.close() }
  /// ```
  public func close() throws {
    try pager.close()
  }

  /// Whether an earlier write or sync failure has made this handle unusable.
  /// What recovery found wrong with the WAL (`WALDamage`), if anything.
  package var walDamage: WALDamage? { pager.lock.withLock { $0.walDamage } }

  public var isPoisoned: Bool { pager.lock.withLock { $0.poison != nil } }
}
