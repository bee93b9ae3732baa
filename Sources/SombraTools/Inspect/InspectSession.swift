import Logging
import SombraCLI
import SombraCore

/// One inspection: the database opened read-only and one read transaction on
/// it, plus the file facts the engine does not keep (sizes, the raw WAL).
///
/// Invariants:
/// 1. Nothing is written: the database is opened with `OpenOptions.readOnly`
///    and the WAL, when read raw, through a read-only descriptor.
/// 2. Everything is read while the read transaction is live, so another
///    process's checkpoint cannot move pages between the two files under it.
/// 3. A missing WAL is not an error (`walSize` is nil).
final class InspectSession {
  /// The path as given on the command line (printed as given).
  let path: String
  let database: Database
  let transaction: ReadTransaction
  /// Bytes of the database file.
  let databaseSize: UInt64
  /// Bytes of the WAL, or nil when there is no WAL file.
  let walSize: UInt64?
  /// Where the files are read from (`ToolContext.storage`).
  let storage: any StorageSystem
  /// The committed WAL frames the transaction sees (`frames`), read once.
  private var visible: [(page: UInt32, transaction: UInt64)]?

  init(path: String, context: ToolContext, logger: Logger = ToolLogging.silent) throws(ToolExit) {
    self.path = path
    let database = try context.openReadOnly(path, tool: SombraInspect.tool, logger: logger)
    storage = context.storage
    do {
      let transaction = try database.beginRead()
      self.database = database
      self.transaction = transaction
      databaseSize = try Self.fileSize(path, storage: context.storage) ?? 0
      walSize = try Self.fileSize(database.walPath, storage: context.storage)
    } catch {
      try? database.close()
      throw context.exit(for: error, tool: SombraInspect.tool)
    }
  }

  func close() {
    transaction.end()
    try? database.close()
  }

  /// The header of the committed state this session reads.
  var header: DatabaseHeader { transaction.header }
  var pageSize: Int { database.pageSize }
  var pageCount: UInt32 { header.pageCount }

  /// The size of the file at `path`, nil when it does not exist.
  static func fileSize(_ path: String, storage: any StorageSystem) throws -> UInt64? {
    guard storage.exists(path) else { return nil }
    let file = try storage.open(path, .readOnly)
    defer { file.close() }
    return try file.size()
  }

  /// The WAL scanned raw (`WALScanner`), or nil when there is no WAL file.
  func scanWAL() throws -> (scan: WALScan, file: any StorageFile)? {
    guard storage.exists(database.walPath) else { return nil }
    let file = try storage.open(database.walPath, .readOnly)
    return (try WALScanner.scan(file, pageSize: pageSize), file)
  }

  /// The committed WAL frames the transaction sees, in WAL order: frame i is
  /// element i; a delta frame's page is `WALFormat.deltaFrameMarker`.
  var frames: [(page: UInt32, transaction: UInt64)] {
    if let visible { return visible }
    let frames = database.visibleFrames(in: transaction)
    visible = frames
    return frames
  }

  /// Where the transaction's version of page `number` is stored.
  func origin(of number: UInt32) -> PageOrigin {
    guard let frame = database.frame(of: number, in: transaction) else { return PageOrigin(frame: nil, isDelta: false) }
    let frames = frames
    return PageOrigin(frame: frame, isDelta: frame < frames.count && frames[frame].page == WALFormat.deltaFrameMarker)
  }

  /// The tree each graph root slot holds, by slot.
  static func treeName(slot: Int) -> String? {
    GraphRoot(rawValue: slot)?.treeName
  }
}

/// Where a page version is stored: the main file, a WAL image frame, or a WAL
/// delta frame (rebuilt from its base and records).
struct PageOrigin: Equatable {
  /// The WAL frame holding the version; nil: the main file.
  var frame: Int?
  /// Whether `frame` is a delta frame.
  var isDelta: Bool

  /// For JSON: `"image"` or `"delta"`, null for the main file.
  var kindJSON: JSONValue {
    frame == nil ? .null : .string(isDelta ? "delta" : "image")
  }

  /// `main file`, `WAL frame N` or `WAL frame N (delta)`.
  var text: String {
    guard let frame else { return "main file" }
    return "WAL frame \(frame)" + (isDelta ? " (delta)" : "")
  }
}
