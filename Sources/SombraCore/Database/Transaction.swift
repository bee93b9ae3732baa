/// What every transaction can do: read the graph as of its snapshot (a read
/// transaction) or as it has changed it so far (the write transaction).
///
/// The graph read API (`node`, `edges`, `neighbors`, `nodeIDs(label:)`, ...) is
/// defined on this class, so it is the same on both kinds.
public class Transaction {
  let database: Database
  var pager: Pager { database.pager }
  /// The snapshot this transaction started from.
  package let snapshot: Snapshot
  /// The write transaction's page state; nil for a read transaction.
  package let writer: PageWriter?
  var ended = false
  /// Names this transaction created (write transactions) or read from the tree.
  var localNames = NameTable.Local()
  /// The names resolved last, checked before `localNames` and the shared table.
  var recentNames = RecentNames()
  /// Index definitions, loaded on first use.
  var indexCache: [IndexDefinition]?

  init(database: Database, snapshot: Snapshot, writer: PageWriter?) {
    self.database = database
    self.snapshot = snapshot
    self.writer = writer
  }

  /// The header as this transaction sees it.
  package var header: DatabaseHeader { writer?.header ?? snapshot.header }

  /// The id of the commit this transaction reads (for a write transaction, the
  /// commit it started from).
  public var transactionID: UInt64 { snapshot.header.changeCounter }

  package func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    if let writer { return try writer.withPage(number, body) }
    if ended { throw SombraError.misuse("the read transaction has ended") }
    return try pager.withPage(number, snapshot, body)
  }
}

/// A consistent snapshot of one commit. End it with `end()` (closure-scoped
/// reads do so themselves); until then a checkpoint cannot reset the WAL.
public final class ReadTransaction: Transaction {
  init(database: Database, snapshot: Snapshot) {
    super.init(database: database, snapshot: snapshot, writer: nil)
  }

  deinit { end() }

  public func end() {
    if ended { return }
    ended = true
    pager.endRead(snapshot)
  }
}

/// The one write transaction. Nothing it does is visible to others until
/// `commit()`; `rollback()` (or dropping it) leaves no trace.
public final class WriteTransaction: Transaction {
  package let pages: PageWriter
  /// Count changes (per label, per edge type, totals) written at commit.
  var countDeltas = CountDeltas()
  /// Storage for encoding records, kept from one to the next.
  var recordWriter = ByteWriter(capacity: 256)
  /// Where the last node record went in the nodes tree (see `BTree+Append.swift`).
  var nodeAppendHint: BTree.AppendHint?
  /// Where the last edge record went in the edges tree.
  var edgeAppendHint: BTree.AppendHint?
  /// The node count the catalog held when this transaction first asked
  /// (`missingEndpoint`); nil again after a rebuild rewrites the counts.
  var storedNodeCount: UInt64?
  /// Adjacency items of edges created since the last `flushAdjacency`.
  var pendingAdjacency: [PendingAdjacency] = []
  /// Where the last label-index entry of each label went, by label id.
  var labelAppendHints: [BTree.AppendHint?] = []
  /// Labels with an append hint: ids below this.
  static let hintedLabels: UInt32 = 1024
  /// Unique among the process's write transactions (see `Graph+Handles.swift`).
  let serial = WriteTransaction.nextSerial()

  init(database: Database, writer: PageWriter) {
    self.pages = writer
    super.init(database: database, snapshot: writer.base, writer: writer)
    recentNames = database.names.committedRecentNames()
  }

  deinit { pager.rollback(pages) }

  /// Makes the changes durable (per the sync mode) and visible.
  public func commit() throws {
    if !pages.isFinished && pages.failure == nil {
      do {
        try flushGraphState()
      } catch {
        pager.rollback(pages)
        throw error
      }
    }
    try pager.commit(pages)
    database.names.merge(localNames, recent: recentNames)
  }

  /// Discards every change.
  ///
  /// Under ``OpenOptions/SyncMode/full`` it returns once the commits this
  /// transaction started from are durable: it may have read commits that
  /// still wait for their sync, and what it read must not be acted on before
  /// a power loss can no longer take it back. Throws when that sync fails
  /// (the handle is then poisoned). Dropping the transaction also rolls it
  /// back, without that wait.
  public func rollback() throws {
    let open = !pages.isFinished
    pager.rollback(pages)
    if open { try pager.awaitDurableBase(of: pages) }
  }

  public var isFinished: Bool { pages.isFinished }
}

/// Read and write transactions alike (a write transaction reads its own changes).
extension Transaction: PageReader {
  package var pageSize: Int { pager.pageSize }
  package var pageCount: UInt32 { header.pageCount }
}
