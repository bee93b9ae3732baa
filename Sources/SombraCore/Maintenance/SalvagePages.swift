/// Where salvage reads a damaged database's pages from, never writing a byte.
///
/// Two sources give the same view, "page p as of the last commit":
/// 1. The database opens read-only: `Database.rawPage` in one read transaction
///    (the WAL frames the snapshot sees, else the main file).
/// 2. The open itself fails (bad header, bad WAL geometry, ...): the files are
///    read raw through read-only descriptors. The page size comes from the
///    header prefix when it is sane, else from the WAL header, else from the
///    candidate size (4096 ... 65536) under which most of the first pages pass
///    their checksum. The WAL is scanned with `WALScanner`: committed frames up to
///    the first invalid (torn or stale) frame are used, newest per page (a
///    version in a delta frame rebuilt from its base and records); the page
///    count is the larger of the main file's whole pages and the highest page a
///    committed frame holds, plus one.
///
/// Every page handed out passed `PageLayout.verify` (checksum trailer, known
/// type, its own number); `withPage` throws `corruption` otherwise, so the
/// B-tree readers (`NodeView`, overflow chains) work over it unchanged.
final class SalvagePages: PageReader {
  let pageSize: Int
  let pageCount: UInt32
  /// The newest readable header (page 0), if any.
  let header: DatabaseHeader?
  /// Committed WAL frames used (raw source), or visible to the snapshot.
  let walFrames: Int
  /// Why the WAL was not (fully) usable, for the report.
  let walNote: String?
  private let read: (PageNumber) throws -> [UInt8]

  init(
    pageSize: Int, pageCount: UInt32, header: DatabaseHeader?, walFrames: Int, walNote: String?,
    read: @escaping (PageNumber) throws -> [UInt8]
  ) {
    self.pageSize = pageSize
    self.pageCount = pageCount
    self.header = header
    self.walFrames = walFrames
    self.walNote = walNote
    self.read = read
  }

  /// Page `number`'s bytes, verified.
  func verified(_ number: PageNumber) throws -> [UInt8] {
    guard number < pageCount else {
      throw SombraError.corruption("page \(number) is beyond the \(pageCount) pages", page: number)
    }
    let bytes = try read(number)
    guard bytes.count == pageSize else {
      throw SombraError.corruption(
        "page \(number) is truncated: \(bytes.count) of \(pageSize) bytes", page: number, offset: UInt64(bytes.count))
    }
    try bytes.withUnsafeBytes { try PageLayout.verify($0, number: number, path: nil, source: "the damaged database") }
    return bytes
  }

  func withPage<R>(_ number: PageNumber, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    try verified(number).withUnsafeBytes(body)
  }

  /// Pages of an open read transaction.
  static func snapshot(_ database: Database, _ tx: ReadTransaction) -> SalvagePages {
    SalvagePages(
      pageSize: database.pageSize, pageCount: tx.header.pageCount, header: tx.header,
      walFrames: database.visibleFrames(in: tx).count, walNote: database.openReport.walStopReason
    ) { try database.rawPage($0, in: tx) }
  }

  /// Pages read raw from the files (the database would not open).
  static func raw(_ path: String, storage: any StorageSystem) throws -> (pages: SalvagePages, close: () -> Void) {
    let main = try storage.open(path, .readOnly)
    let walPath = path + ".wal"
    let wal = storage.exists(walPath) ? try? storage.open(walPath, .readOnly) : nil
    let close = {
      main.close()
      wal?.close()
    }
    do {
      let fileSize = try main.size()
      let pageSize = try guessPageSize(main, wal: wal, fileSize: fileSize)
      // Each page's frames in the WAL's committed prefix, ascending.
      var versions: [PageNumber: [UInt32]] = [:]
      var deltaFrames = Set<UInt32>()
      var walNote: String?
      var frames = 0
      var maxFramePage: PageNumber = 0
      if let wal {
        let scan = try WALScanner.scan(wal, pageSize: pageSize)
        if let problem = scan.headerProblem, scan.fileSize > 0 {
          walNote = "WAL header unusable: \(problem)"
        } else if let stop = scan.problem {
          walNote = "WAL frame \(stop.frame): \(stop.reason); later frames ignored"
        }
        for (i, frame) in scan.committed.enumerated() {
          for page in frame.pages {
            versions[page, default: []].append(UInt32(i))
            maxFramePage = max(maxFramePage, page)
          }
        }
        frames = scan.committed.count
        deltaFrames = Set(scan.committed.indices.filter { scan.committed[$0].isDelta }.map { UInt32($0) })
      }
      let wholePages = fileSize / UInt64(pageSize)
      let fromFile = UInt32(clamping: wholePages)
      let pageCount = max(fromFile, frames > 0 ? maxFramePage &+ 1 : 0)  // maxFramePage < UInt32.max: a page number
      let read: (PageNumber) throws -> [UInt8] = { number in
        var bytes = [UInt8](repeating: 0, count: pageSize)
        let source =
          versions[number].flatMap { list in
            list.last.map { PageSource.of(newest: $0, among: list, isDelta: deltaFrames.contains) }
          } ?? PageSource(base: nil)
        try bytes.withUnsafeMutableBytes {
          try source.read(number, main: main, wal: wal, pageSize: pageSize, into: $0, verify: false)
        }
        return bytes
      }
      var header: DatabaseHeader?
      if pageCount > 0, let bytes = try? read(0) {
        let (stored, computed) = bytes.withUnsafeBytes { PageLayout.checksums($0) }
        if stored == computed { header = try? bytes.withUnsafeBytes { try DatabaseHeader.decode($0, path: path) } }
      }
      let pages = SalvagePages(
        pageSize: pageSize, pageCount: pageCount, header: header, walFrames: frames, walNote: walNote, read: read)
      return (pages, close)
    } catch {
      close()
      throw error
    }
  }

  /// The page size of a file whose header may be damaged.
  private static func guessPageSize(_ main: any StorageFile, wal: (any StorageFile)?, fileSize: UInt64) throws -> Int {
    var prefix = [UInt8](repeating: 0, count: DatabaseHeader.prefixSize)
    let n = try prefix.withUnsafeMutableBytes { try main.read(into: $0, at: 0) }
    if n == prefix.count, let probed = try? prefix.withUnsafeBytes({ try DatabaseHeader.probe($0, fileSize: fileSize, path: "") })
    {
      return probed.pageSize
    }
    if let wal {
      var raw = [UInt8](repeating: 0, count: WALFormat.headerSize)
      let got = try raw.withUnsafeMutableBytes { try wal.read(into: $0, at: 0) }
      if got == raw.count, case .success(let header) = raw.withUnsafeBytes({ WALHeader.decode($0) }),
        let size = Int(exactly: header.pageSize), PageLayout.isValidPageSize(size)
      {
        return size
      }
    }
    // The size under which most of the first pages verify.
    var best = (size: PageLayout.defaultPageSize, score: 0)
    var size = PageLayout.minimumPageSize
    while size <= PageLayout.maximumPageSize {
      var score = 0
      var bytes = [UInt8](repeating: 0, count: size)
      for number in 1...8 {
        let got = try bytes.withUnsafeMutableBytes { try main.read(into: $0, at: UInt64(number * size)) }
        guard got == size else { break }
        let ok = bytes.withUnsafeBytes { (try? PageLayout.verify($0, number: PageNumber(number), path: nil, source: "")) != nil }
        if ok { score += 1 }
      }
      if score > best.score { best = (size, score) }
      size *= 2
    }
    guard best.score > 0 else {
      throw SombraError(
        .notASombraFile, "no page of any Sombra page size passes its checksum: nothing to salvage", path: main.path)
    }
    return best.size
  }
}
