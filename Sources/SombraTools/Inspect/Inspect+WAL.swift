import SombraCLI
import SombraCore

/// `sombra-inspect DB wal`: the WAL read raw (a read-only descriptor and
/// `WALScanner`, never the engine's recovery), frame by frame.
///
/// A frame's state follows invariants 1 and 2 of `WALFormat.swift`:
/// - `committed`: valid, and its transaction's commit frame is valid;
/// - `uncommitted`: valid, but no valid commit frame follows (an interrupted
///   transaction: recovery ignores it);
/// - `invalid`: the first frame that fails (the reason is given); the scan
///   stops there;
/// - `unreached`: after an invalid frame, never examined by recovery.
/// Zeros the WAL was grown by (invariant 4) end the log: the listing stops at
/// the first such slot and names the space instead of listing it.
/// A frame is an image (one page, P bytes) or a delta frame (records of L
/// bytes for the pages listed; the last frame of the file may end after them,
/// inside its slot). A checkpoint copies, for every page, its version at its
/// newest committed frame: an image, or one rebuilt from delta records.
extension SombraInspect {
  struct FrameRow {
    var index: Int
    /// Fields of the frame header, when its 32 bytes are in the file and its
    /// salts are this generation's (else they are noise and not shown).
    var page: UInt32?
    var commitPageCount: UInt32?
    var transaction: UInt64?
    /// L of a delta frame (as stored); nil for an image frame.
    var deltaBytes: UInt32?
    /// The pages a delta frame has records for, when its records are in the
    /// file and parse (`WALDelta.records`).
    var deltaPages: [UInt32]?
    var state: String
    var problem: String?

    var isDelta: Bool { deltaBytes != nil }
    /// `image`, `delta`, or nil when the header fields are not shown.
    var kind: String? { page == nil ? nil : isDelta ? "delta" : "image" }
    /// The pages the frame holds versions of, when known.
    var pages: [UInt32]? {
      guard let page else { return nil }
      return isDelta ? deltaPages : [page]
    }
  }

  static func wal(_ session: InspectSession, _ output: OutputOptions, _ context: ToolContext) throws -> ExitCode {
    let walPath = session.database.walPath
    guard let (scan, file) = try session.scanWAL() else {
      if output.format == .json {
        context.writeJSON([
          JSONMember("command", "wal"), JSONMember("path", .string(walPath)), JSONMember("exists", false),
          JSONMember("bytes", 0), JSONMember("frames", []), JSONMember("checkpoint", []),
        ])
      } else {
        context.standardOutput.writeLine("\(walPath): no WAL file (nothing to checkpoint)")
      }
      return .success
    }
    defer { file.close() }
    let rows = try frameRows(scan, file: file, pageSize: session.pageSize)
    // The checkpoint plan: newest committed version of each page.
    var newest: [UInt32: (frame: Int, transaction: UInt64, delta: Bool)] = [:]
    for (index, frame) in scan.committed.enumerated() {
      for page in frame.pages { newest[page] = (index, frame.transaction, frame.isDelta) }
    }
    let plan = newest.sorted { $0.key < $1.key }
    let rebuilt = plan.count { $0.value.delta }
    let headerBytes = try readBytes(file, at: 0, count: WALFormat.headerSize)

    if output.format == .json {
      var header: [JSONMember] = [
        JSONMember("valid", .bool(scan.header != nil)),
        JSONMember("problem", scan.headerProblem.map { .string("\($0)") } ?? .null),
      ]
      if let h = scan.header {
        header += [
          JSONMember("version", json(h.version)), JSONMember("pageSize", json(h.pageSize)),
          JSONMember("sequence", json(h.sequence)), JSONMember("salt1", json(h.salt1)), JSONMember("salt2", json(h.salt2)),
          JSONMember("databaseID", json(h.databaseID)),
        ]
      }
      context.writeJSON([
        JSONMember("command", "wal"),
        JSONMember("path", .string(walPath)),
        JSONMember("exists", true),
        JSONMember("bytes", json(scan.fileSize)),
        JSONMember("header", .object(header)),
        JSONMember("frames", .array(rows.map { json($0, pageSize: session.pageSize) })),
        JSONMember("committedFrames", json(scan.committed.count)),
        JSONMember("committedTransactions", json(scan.transactions)),
        JSONMember("uncommittedFrames", json(scan.uncommittedFrames)),
        JSONMember("unwrittenBytes", json(unwrittenBytes(scan, pageSize: session.pageSize) ?? 0)),
        JSONMember("damage", session.database.walDamage.map { .string($0.description) } ?? .null),
        JSONMember(
          "checkpoint",
          .array(
            plan.map {
              [
                "page": json($0.key), "frame": json($0.value.frame), "kind": .string($0.value.delta ? "delta" : "image"),
                "transaction": json($0.value.transaction),
              ]
            })),
      ])
      return .success
    }

    let style = context.boxStyle(output)
    var pairs: [(String, String)] = [("size", "\(scan.fileSize) bytes")]
    if scan.fileSize == 0 {
      pairs.append(("header", "none (empty file: nothing to checkpoint)"))
    } else if let h = scan.header {
      pairs += [
        ("magic", "SWAL (ok)"), ("version", "\(h.version)"), ("page size", "\(h.pageSize) bytes"),
        ("sequence", "\(h.sequence) (checkpoint resets)"), ("salt 1", ByteText.hex(h.salt1)), ("salt 2", ByteText.hex(h.salt2)),
        ("database id", h.databaseID == 0 ? "none (unbound)" : "\(ByteText.hex(h.databaseID)) (low 32 bits)"),
        ("checksum", "valid"),
      ]
    } else {
      pairs.append(("header", "invalid: \(scan.headerProblem.map { "\($0)" } ?? "unknown") (raw \(ByteText.hex(headerBytes)))"))
      pairs.append(("frames", "not replayed; a read-write open refuses them when they hold commits (sombra-verify)"))
    }
    context.standardOutput.write(box(title: walPath, [pairs], style: style, width: context.width))
    if rows.isEmpty { return .success }

    var frames = Table(columns: [
      Table.Column("frame", alignment: .right), Table.Column("kind"), Table.Column("pages", alignment: .left),
      Table.Column("bytes", alignment: .right), Table.Column("commit"), Table.Column("transaction", alignment: .right),
      Table.Column("state"),
    ])
    for row in rows {
      frames.append([
        "\(row.index)", row.kind ?? "-", row.pages.map(pageList) ?? "-",
        row.kind == nil ? "-" : "\(row.deltaBytes.map(Int.init) ?? session.pageSize)",
        // A commit frame: the page count its commit marker gives.
        row.commitPageCount.map { $0 == 0 ? "-" : "\($0) page\($0 == 1 ? "" : "s")" } ?? "-",
        row.transaction.map { "\($0)" } ?? "-",
        row.state,
      ])
    }
    let transactions = "\(scan.transactions) transaction\(scan.transactions == 1 ? "" : "s")"
    frames.footer =
      "\(rows.count) frame\(rows.count == 1 ? "" : "s"): \(scan.committed.count) committed (\(transactions))"
      + (scan.uncommittedFrames > 0 ? "; \(scan.uncommittedFrames) uncommitted (ignored)" : "")
      + (unwrittenBytes(scan, pageSize: session.pageSize).map { "; then \($0) bytes of unwritten space" } ?? "")
    context.standardOutput.write(frames.render(style: style, maxWidth: context.width))
    for row in rows {
      guard let problem = row.problem else { continue }
      let consequence = row.state == "invalid" ? "recovery stops there and ignores the rest" : "recovery ignores it"
      context.standardOutput.writeLine("frame \(row.index): \(problem); \(consequence)")
    }
    if let damage = session.database.walDamage {
      context.standardOutput.writeLine(
        "damage: \(TerminalText.escapingControlCharacters(damage.description)); a read-write open refuses this WAL (sombra-repair DB recover)"
      )
    }

    if plan.isEmpty {
      context.standardOutput.writeLine("checkpoint: nothing to copy")
      return .success
    }
    var copy = Table(columns: [
      Table.Column("page", alignment: .right), Table.Column("newest frame", alignment: .right),
      Table.Column("transaction", alignment: .right),
    ])
    for (page, newest) in plan {
      copy.append(["\(page)", "\(newest.frame)" + (newest.delta ? " (delta)" : ""), "\(newest.transaction)"])
    }
    copy.footer =
      "a checkpoint would copy \(plan.count) page\(plan.count == 1 ? "" : "s") into the main file"
      + (rebuilt > 0 ? " (\(rebuilt) rebuilt from delta records)" : "")
    context.standardOutput.write(copy.render(style: style, maxWidth: context.width))
    return .success
  }

  /// Every frame slot of the file, classified by the scan's verdict; frame
  /// headers are read raw for display.
  static func frameRows(_ scan: WALScan, file: any StorageFile, pageSize: Int) throws -> [FrameRow] {
    guard scan.header != nil, scan.fileSize > UInt64(WALFormat.headerSize) else { return [] }
    let frameSize = UInt64(WALFormat.frameSize(pageSize: pageSize))
    let body = scan.fileSize - UInt64(WALFormat.headerSize)
    let (whole, partial) = body.quotientAndRemainder(dividingBy: frameSize)
    var slots = Int(clamping: whole + (partial > 0 ? 1 : 0))
    if let stop = scan.stop, stop.reason == .unwritten { slots = min(slots, stop.frame) }
    let valid = scan.committed.count + scan.uncommittedFrames
    var rows: [FrameRow] = []
    rows.reserveCapacity(slots)
    for index in 0..<slots {
      var row = FrameRow(index: index, state: "")
      if let offset = WALFormat.frameOffset(index, pageSize: pageSize) {
        let head = try readBytes(file, at: offset, count: WALFormat.frameHeaderSize)
        // Fields of a frame from another generation or a torn one are noise.
        if head.count == WALFormat.frameHeaderSize, let header = scan.header,
          case let fields = head.withUnsafeBytes({ WALFrameHeader.read($0) }),
          fields.salt1 == header.salt1, fields.salt2 == header.salt2
        {
          row.page = fields.page
          row.commitPageCount = fields.commitPageCount
          row.transaction = fields.transaction
          if fields.isDelta {
            row.deltaBytes = fields.deltaBytes
            row.deltaPages = try deltaPages(file, frameAt: offset, length: fields.deltaBytes, pageSize: pageSize)
          }
        }
      }
      if index < scan.committed.count {
        row.state = "committed"
      } else if let stop = scan.stop {
        if index < stop.frame {
          row.state = "uncommitted"
          if index >= valid { row.problem = "its transaction's commit frame is invalid" }
        } else if index == stop.frame {
          row.state = "invalid"
          row.problem = "\(stop.reason)"
        } else {
          row.state = "unreached"
        }
      } else if index < valid {
        row.state = "uncommitted"
      } else {
        row.state = "invalid"
        row.problem = "\(WALInvalid.shortFrame)"
      }
      rows.append(row)
    }
    return rows
  }

  /// The pages of the delta records (L = `length` bytes) of the frame at
  /// `offset`, or nil when they are not all in the file or do not parse.
  static func deltaPages(_ file: any StorageFile, frameAt offset: UInt64, length: UInt32, pageSize: Int) throws -> [UInt32]? {
    guard let count = Int(exactly: length), count <= pageSize else { return nil }
    let (start, overflow) = offset.addingReportingOverflow(UInt64(WALFormat.frameHeaderSize))
    guard !overflow else { return nil }
    let bytes = try readBytes(file, at: start, count: count)
    guard bytes.count == count else { return nil }
    return bytes.withUnsafeBytes { WALDelta.records($0, pageSize: pageSize)?.map(\.page) }
  }

  /// Page numbers, ascending, with runs of three or more as `first-last`:
  /// `0-2, 5, 6`.
  static func pageList(_ pages: [UInt32]) -> String {
    var parts: [String] = []
    var i = 0
    while i < pages.count {
      var j = i
      while j + 1 < pages.count, pages[j] < UInt32.max, pages[j + 1] == pages[j] + 1 { j += 1 }
      if j - i >= 2 {
        parts.append("\(pages[i])-\(pages[j])")
      } else {
        parts += pages[i...j].map { "\($0)" }
      }
      i = j + 1
    }
    return parts.joined(separator: ", ")
  }

  /// Bytes from the first unwritten frame slot to the end of the file, when
  /// the scan ended at unwritten space.
  static func unwrittenBytes(_ scan: WALScan, pageSize: Int) -> UInt64? {
    guard let stop = scan.stop, stop.reason == .unwritten,
      let start = WALFormat.frameOffset(stop.frame, pageSize: pageSize), start < scan.fileSize
    else { return nil }
    return scan.fileSize - start
  }

  static func json(_ row: FrameRow, pageSize: Int) -> JSONValue {
    [
      "index": json(row.index), "kind": row.kind.map { .string($0) } ?? .null,
      "page": row.isDelta ? .null : row.page.map { json($0) } ?? .null,
      "pages": row.pages.map { .array($0.map { json($0) }) } ?? .null,
      "bytes": row.kind == nil ? .null : json(row.deltaBytes.map(Int.init) ?? pageSize),
      "commitPageCount": row.commitPageCount.map { json($0) } ?? .null,
      "transaction": row.transaction.map { json($0) } ?? .null, "state": .string(row.state),
      "problem": row.problem.map { .string($0) } ?? .null,
    ]
  }

  /// Up to `count` bytes at `offset` (fewer at the end of the file).
  static func readBytes(_ file: any StorageFile, at offset: UInt64, count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
    return Array(bytes.prefix(max(0, min(n, count))))
  }
}
