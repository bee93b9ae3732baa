/// The page access a B-tree needs, so one implementation serves read snapshots
/// (`Transaction`, `ReadTransaction`) and the write transaction's pages
/// (`PageWriter`) alike.
///
/// The tree never learns which one it was given: reads go through `withPage`,
/// changes through `withMutablePage`, `allocate` and `free`. Every page number a
/// tree reads from disk is checked against `pageCount` before it is followed.
package protocol PageReader {
  /// The database page size in bytes (a power of two, 4096...65536).
  var pageSize: Int { get }
  /// Pages `0..<pageCount` exist in the state this reader sees.
  var pageCount: UInt32 { get }
  /// Calls `body` with page `number`; the bytes are valid only inside `body`.
  func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

/// Page access that can also change pages: the write transaction.
package protocol PageMutator: PageReader {
  /// Changes page `number` in place. Never write the CRC trailer: the pager seals it.
  func withMutablePage<R>(_ number: PageNumber, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R
  /// A new page of `type`, zeroed, with its type byte and number set.
  func allocate(_ type: PageType) throws -> PageNumber
  /// Returns a page to the free list.
  func free(_ number: PageNumber) throws
  /// Remembers that a cell goes in at `index` of leaf `page`; returns whether
  /// the previous insert into that leaf (in this transaction) was at
  /// `index - 1`, i.e. whether inserts there run in ascending order.
  func noteLeafInsert(_ page: PageNumber, at index: Int) -> Bool
  /// Pages allocated or freed so far (see `PageWriter.allocationsAndFrees`):
  /// unchanged means no tree changed shape, so a remembered path still holds.
  var allocationsAndFrees: UInt64 { get }
  /// Whether changes should touch few bytes rather than few instructions:
  /// true while the transaction is small enough that its commit logs pages as
  /// delta records (`Pager.logPlan`), whose size follows the bytes changed.
  var prefersSmallChanges: Bool { get }
}

extension PageWriter: PageMutator {
  package var pageCount: UInt32 { header.pageCount }
}
