import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// How a database is opened. Every limit has a documented default.
public struct OpenOptions: Sendable {
  /// When a commit is durable.
  public enum SyncMode: Sendable, Equatable {
    /// fdatasync the WAL before every commit returns. A commit is visible to
    /// new read transactions of this handle, and to read-only handles (other
    /// processes), only once it is durable. Commits of several threads that
    /// wait at the same time share one sync (group commit): the next write
    /// transaction can start while a commit waits for the disk.
    case full
    /// fdatasync the WAL every `commits` commits and before every checkpoint; a
    /// power loss may lose the commits since the last sync, never consistency.
    /// This handle's readers see a commit at once; read-only handles (other
    /// processes) only once a sync covers it.
    case normal(commits: Int)
    /// Sync the WAL only before a checkpoint copies it (which also syncs the
    /// main file before the WAL is reset) and after an open recovered frames
    /// from it, so a crash loses recent commits but never consistency. This handle's readers see a commit at once;
    /// read-only handles (other processes) only after such a sync.
    case off
  }

  /// Open without writing anything: never creates, recovers into, truncates or
  /// modifies the database or its WAL. Default false.
  public var readOnly = false
  /// Create the database when the file does not exist (read-write only). Default true.
  public var create = true
  /// Page size for a new database: a power of two from 4096 to 65536. Default 8192.
  public var pageSize = 8192
  /// Page cache budget in pages. Default 2048 (16 MiB at 8 KiB pages).
  public var cachePages = 2048
  /// Page cache budget in bytes; when set, it wins over `cachePages` (rounded
  /// down to whole pages of the database's page size). Default nil.
  public var cacheBytes: Int? = nil
  /// Durability of commits. Default `.full`.
  public var sync: SyncMode = .full
  /// How long to wait for another process's lock, in seconds: the writer lock at
  /// a read-write open (0 fails at once with `locked`) and the readers at a full
  /// or truncate checkpoint (then `busy`). A read-only handle's read transaction
  /// waits at least 5 s for another process's checkpoint to finish copying.
  /// Default 0.
  public var lockTimeout: Double = 0
  /// Largest database file allowed, in bytes; nil for no limit. Allocation beyond
  /// it fails the transaction with `limitExceeded`. Default nil.
  public var maxDatabaseSize: UInt64? = nil
  /// A checkpoint runs after a commit that leaves the WAL larger than this, in
  /// bytes. Default 64 MiB.
  public var maxWALSize: UInt64 = 64 << 20
  /// Most pages one transaction may change; beyond it the transaction fails with
  /// `limitExceeded` and rolls back. Default 10,000.
  public var maxTransactionPages = 10_000
  /// Seconds after the last checkpoint at which a commit, or the end of a read
  /// transaction, runs a passive checkpoint when the WAL is not empty; nil never
  /// (size and close still checkpoint). No thread is involved: a database left
  /// idle is checkpointed by its next commit, read or `close()`. Default 30.
  public var autoCheckpointInterval: Double? = 30
  /// Longest a write transaction may stay open, in seconds; nil for no limit.
  /// Past it the transaction is rolled back: every later use of it throws
  /// `timeout`, and a `beginWrite` waiting for it takes over (once the
  /// transaction is not inside a call). Default nil.
  public var transactionTimeout: Double? = nil
  /// Operations (commit, checkpoint, read transaction, lock wait) slower than
  /// this many seconds are counted and logged at `warning`. Default 0.1.
  public var slowOperationThreshold: Double = 0.1
  /// Whether commit and read latencies are measured (two clock reads per
  /// transaction). Counters are kept either way. Default true.
  public var metricsEnabled = true
  /// Where the engine's events go (swift-log). The engine never bootstraps
  /// logging and never prints. Levels: `info` for open and recovery, `notice`
  /// for an unclean shutdown, `warning` for slow operations, limits, timeouts
  /// and a WAL that checkpoints cannot shrink, `error` for corruption and failed
  /// syncs, `debug` for every commit, rollback and checkpoint, `trace` for cache
  /// evictions (sampled 1 in 1000). Default: a logger that drops everything.
  public var logger = Logger(label: "sombra", factory: { _ in SwiftLogNoOpLogHandler() })

  /// Wall-clock Unix seconds for the header's last checkpoint time (fixtures and
  /// tests fix it so files are reproducible byte for byte).
  package var wallClock: @Sendable () -> UInt64 = { UInt64(max(time(nil), 0)) }

  /// The id a new database gets (fixtures fix it; nil: random).
  package var newDatabaseID: UInt64? = nil
  /// Open for writing even when recovery finds a damaged or stray WAL: the
  /// commits recovery cannot reach are given up (`sombra-repair DB recover
  /// --accept-loss`, which first keeps a copy of the database and its WAL). Default false.
  package var acceptWALLoss = false

  public init() {}

  /// Options for a read-only open.
  public static var readOnly: OpenOptions {
    var o = OpenOptions()
    o.readOnly = true
    o.create = false
    return o
  }

  /// The cache size in pages for a database of `pageSize`-byte pages.
  func cacheCapacity(pageSize: Int) -> Int {
    guard let cacheBytes else { return cachePages }
    return max(8, cacheBytes / pageSize)
  }

  func validate() throws {
    guard PageLayout.isValidPageSize(pageSize) else {
      throw SombraError.invalidArgument("page size \(pageSize) is not a power of two from 4096 to 65536")
    }
    guard cachePages >= 8 else { throw SombraError.invalidArgument("cache must hold at least 8 pages, not \(cachePages)") }
    if let cacheBytes, cacheBytes < 8 * PageLayout.maximumPageSize {
      throw SombraError.invalidArgument("cacheBytes must be at least 512 KiB (8 of the largest pages), not \(cacheBytes)")
    }
    guard lockTimeout >= 0, lockTimeout.isFinite else {
      throw SombraError.invalidArgument("lock timeout must be 0 or more seconds")
    }
    guard maxTransactionPages >= 1 else { throw SombraError.invalidArgument("maxTransactionPages must be at least 1") }
    if let t = autoCheckpointInterval, !(t > 0 && t.isFinite) {
      throw SombraError.invalidArgument("autoCheckpointInterval must be a positive number of seconds (nil to disable)")
    }
    if let t = transactionTimeout, !(t > 0 && t.isFinite) {
      throw SombraError.invalidArgument("transactionTimeout must be a positive number of seconds (nil for none)")
    }
    guard slowOperationThreshold >= 0, slowOperationThreshold.isFinite else {
      throw SombraError.invalidArgument("slowOperationThreshold must be 0 or more seconds")
    }
    if case .normal(let n) = sync, n < 1 { throw SombraError.invalidArgument("sync .normal needs commits >= 1") }
  }
}

/// What `Database.open` found.
public struct OpenReport: Sendable, Equatable {
  /// The database file did not exist (or was empty) and was created.
  public var created = false
  /// The last session did not close the database (crash, kill or power loss).
  public var uncleanShutdown = false
  /// Committed transactions found in the WAL and recovered.
  public var recoveredTransactions = 0
  /// WAL frames of those transactions.
  public var recoveredFrames = 0
  /// Valid frames after the last commit that were ignored (an interrupted transaction).
  public var discardedFrames = 0
  /// Why the WAL scan stopped before the end of the file, if it did (torn or
  /// stale frame; not the zeros a WAL is grown by): text for logs and tools.
  public var walStopReason: String?
  /// Damage in the WAL that recovery cannot get past without losing commits
  /// that had been acknowledged, or a WAL that belongs to another database.
  /// A read-write open refuses such a WAL (`corruption`); a read-only open
  /// serves the commits before the damage (none of a stray WAL's) and says so here.
  public var walDamage: String?
}
