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
/// A checkpoint copies, for every page, its newest committed frame.
extension SombraInspect {
  struct FrameRow {
    var index: Int
    /// Fields of the frame header, when its 32 bytes are in the file.
    var page: UInt32?
    var commitPageCount: UInt32?
    var transaction: UInt64?
    var state: String
    var problem: String?
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
    // The checkpoint plan: newest committed frame of each page.
    var newest: [UInt32: (frame: Int, transaction: UInt64)] = [:]
    for (index, frame) in scan.committed.enumerated() { newest[frame.page] = (index, frame.transaction) }
    let plan = newest.sorted { $0.key < $1.key }
    let headerBytes = try readBytes(file, at: 0, count: WALFormat.headerSize)

    if output.format == .json {
      var header: [JSONMember] = [
        JSONMember("valid", .bool(scan.header != nil)),
        JSONMember("problem", scan.headerProblem.map { .string("\($0)") } ?? .null),
      ]
      if let h = scan.header {
        header += [
          JSONMember("version", json(WALFormat.version)), JSONMember("pageSize", json(h.pageSize)),
          JSONMember("sequence", json(h.sequence)), JSONMember("salt1", json(h.salt1)), JSONMember("salt2", json(h.salt2)),
        ]
      }
      context.writeJSON([
        JSONMember("command", "wal"),
        JSONMember("path", .string(walPath)),
        JSONMember("exists", true),
        JSONMember("bytes", json(scan.fileSize)),
        JSONMember("header", .object(header)),
        JSONMember("frames", .array(rows.map(json))),
        JSONMember("committedFrames", json(scan.committed.count)),
        JSONMember("committedTransactions", json(scan.transactions)),
        JSONMember("uncommittedFrames", json(scan.uncommittedFrames)),
        JSONMember("unwrittenBytes", json(unwrittenBytes(scan, pageSize: session.pageSize) ?? 0)),
        JSONMember(
          "checkpoint",
          .array(plan.map { ["page": json($0.key), "frame": json($0.value.frame), "transaction": json($0.value.transaction)] })),
      ])
      return .success
    }

    let style = context.boxStyle(output)
    var pairs: [(String, String)] = [("size", "\(scan.fileSize) bytes")]
    if scan.fileSize == 0 {
      pairs.append(("header", "none (empty file: nothing to checkpoint)"))
    } else if let h = scan.header {
      pairs += [
        ("magic", "SWAL (ok)"), ("version", "\(WALFormat.version)"), ("page size", "\(h.pageSize) bytes"),
        ("sequence", "\(h.sequence) (checkpoint resets)"), ("salt 1", ByteText.hex(h.salt1)), ("salt 2", ByteText.hex(h.salt2)),
        ("checksum", "valid"),
      ]
    } else {
      pairs.append(("header", "invalid: \(scan.headerProblem.map { "\($0)" } ?? "unknown") (raw \(ByteText.hex(headerBytes)))"))
      pairs.append(("frames", "ignored: a WAL without a valid header holds nothing"))
    }
    context.standardOutput.write(box(title: walPath, [pairs], style: style, width: context.width))
    if rows.isEmpty { return .success }

    var frames = Table(columns: [
      Table.Column("frame", alignment: .right), Table.Column("page", alignment: .right), Table.Column("commit"),
      Table.Column("transaction", alignment: .right), Table.Column("state"),
    ])
    for row in rows {
      frames.append([
        "\(row.index)", row.page.map { "\($0)" } ?? "-",
        row.commitPageCount.map { $0 == 0 ? "-" : "yes (\($0) pages)" } ?? "-",
        row.transaction.map { "\($0)" } ?? "-",
        row.state,
      ])
    }
    let transactions = "\(scan.transactions) transaction\(scan.transactions == 1 ? "" : "s")"
    frames.footer = "\(rows.count) frame\(rows.count == 1 ? "" : "s"): \(scan.committed.count) committed (\(transactions))"
      + (scan.uncommittedFrames > 0 ? "; \(scan.uncommittedFrames) uncommitted (ignored)" : "")
      + (unwrittenBytes(scan, pageSize: session.pageSize).map { "; then \($0) bytes of unwritten space" } ?? "")
    context.standardOutput.write(frames.render(style: style, maxWidth: context.width))
    for row in rows {
      guard let problem = row.problem else { continue }
      let consequence = row.state == "invalid" ? "recovery stops there and ignores the rest" : "recovery ignores it"
      context.standardOutput.writeLine("frame \(row.index): \(problem); \(consequence)")
    }

    if plan.isEmpty {
      context.standardOutput.writeLine("checkpoint: nothing to copy")
      return .success
    }
    var copy = Table(columns: [
      Table.Column("page", alignment: .right), Table.Column("newest frame", alignment: .right),
      Table.Column("transaction", alignment: .right),
    ])
    for (page, newest) in plan { copy.append(["\(page)", "\(newest.frame)", "\(newest.transaction)"]) }
    copy.footer = "a checkpoint would copy \(plan.count) page\(plan.count == 1 ? "" : "s") into the main file"
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

  /// Bytes from the first unwritten frame slot to the end of the file, when
  /// the scan ended at unwritten space.
  static func unwrittenBytes(_ scan: WALScan, pageSize: Int) -> UInt64? {
    guard let stop = scan.stop, stop.reason == .unwritten,
      let start = WALFormat.frameOffset(stop.frame, pageSize: pageSize), start < scan.fileSize
    else { return nil }
    return scan.fileSize - start
  }

  static func json(_ row: FrameRow) -> JSONValue {
    [
      "index": json(row.index), "page": row.page.map { json($0) } ?? .null,
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
