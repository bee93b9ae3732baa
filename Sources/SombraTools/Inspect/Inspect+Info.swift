import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// `sombra-inspect DB info`: the one-screen summary.
///
/// ```
/// +- graph.sombra ---------------------------------+
/// | database file            24576 bytes           |
/// | WAL file                 none                  |
/// +------------------------------------------------+
/// | format                   2.0                   |
/// ...
/// ```
/// followed by a table of labels and edge types with their counts.
extension SombraInspect {
  static func info(_ session: InspectSession, _ output: OutputOptions, _ context: ToolContext) throws -> ExitCode {
    let tx = session.transaction
    let header = session.header
    let nodes = try tx.nodeCount
    let edges = try tx.edgeCount
    let labels = try tx.labels()
    let types = try tx.edgeTypes()
    let frames = session.frames
    let walTransactions = Set(frames.map(\.transaction)).count
    let deltaFrames = frames.count { $0.page == WALFormat.deltaFrameMarker }
    let creator = versionText(header.creator)
    let life = header.lifetime

    if output.format == .json {
      context.writeJSON([
        JSONMember("command", "info"),
        JSONMember("path", .string(session.path)),
        JSONMember("databaseBytes", json(session.databaseSize)),
        JSONMember("walBytes", session.walSize.map(json) ?? .null),
        JSONMember("formatMajor", json(header.major)),
        JSONMember("formatMinor", json(header.minor)),
        JSONMember("creatorVersion", .string(creator)),
        JSONMember("pageSize", json(session.pageSize)),
        JSONMember("pageCount", json(header.pageCount)),
        JSONMember("freePages", json(header.freeListCount)),
        JSONMember("nodes", json(nodes)),
        JSONMember("edges", json(edges)),
        JSONMember("labels", .array(labels.map { ["name": .string($0.name), "count": json($0.count)] })),
        JSONMember("edgeTypes", .array(types.map { ["name": .string($0.name), "count": json($0.count)] })),
        JSONMember("walCommittedFrames", json(frames.count)),
        JSONMember("walDeltaFrames", json(deltaFrames)),
        JSONMember("walTransactions", json(walTransactions)),
        JSONMember("cleanShutdown", .bool(header.cleanShutdown)),
        JSONMember("changeCounter", json(header.changeCounter)),
        JSONMember("lastCheckpointedTransaction", json(header.lastCheckpointedTransaction)),
        JSONMember(
          "lifetime",
          .object([
            JSONMember("commits", json(life.commits)), JSONMember("checkpoints", json(life.checkpoints)),
            JSONMember("lastCheckpointTime", json(life.lastCheckpointTime)),
            JSONMember("uncleanShutdowns", json(life.uncleanShutdowns)),
            JSONMember("corruptionEvents", json(life.corruptionEvents)),
          ])),
      ])
      return .success
    }

    let sections: [[(String, String)]] = [
      [
        ("database file", "\(session.databaseSize) bytes"),
        ("WAL file", session.walSize.map { "\($0) bytes" } ?? "none"),
      ],
      [
        ("format", "\(header.major).\(header.minor) (created by Sombra \(creator))"),
        ("page size", "\(session.pageSize) bytes"),
        ("pages", "\(header.pageCount)"),
        ("free pages", "\(header.freeListCount)"),
      ],
      [
        ("nodes", "\(nodes)"),
        ("edges", "\(edges)"),
        ("labels", "\(labels.count)"),
        ("edge types", "\(types.count)"),
      ],
      [
        (
          "WAL frames",
          "\(frames.count) committed" + (deltaFrames > 0 ? " (\(deltaFrames) delta)" : "")
            + ", in \(walTransactions) transaction\(walTransactions == 1 ? "" : "s")"
        ),
        ("change counter", "\(header.changeCounter) (last committed transaction)"),
        ("last checkpoint", "transaction \(header.lastCheckpointedTransaction)"),
        ("shutdown", header.cleanShutdown ? "clean" : "unclean (open now, or the last session did not close)"),
      ],
      lifetimeSection(life),
    ]
    let style = context.boxStyle(output)
    context.standardOutput.write(box(title: session.path, sections, style: style, width: context.width))
    var table = Table(columns: [Table.Column("kind"), Table.Column("name"), Table.Column("count", alignment: .right)])
    for label in labels { table.append(["label", label.name, "\(label.count)"]) }
    for type in types { table.append(["edge type", type.name, "\(type.count)"]) }
    if !table.rows.isEmpty {
      context.standardOutput.write(table.render(style: style, maxWidth: context.width))
    }
    return .success
  }

  /// A box of key/value sections whose values line up across sections.
  static func box(title: String?, _ sections: [[(String, String)]], style: BoxStyle, width: Int) -> String {
    let list = KeyValueList(pairs: sections.joined().map { (key: $0.0, value: $0.1) })
    // Values never wrap here: the box cuts a too-long line with an ellipsis.
    let lines = list.lines(width: Int.max / 2)
    var grouped: [[String]] = []
    var index = 0
    for section in sections {
      grouped.append(Array(lines[index..<min(index + section.count, lines.count)]))
      index += section.count
    }
    return Box(title: title, sections: grouped).render(style: style, maxWidth: width)
  }

  /// The lifetime facts of the header, as key/value lines (`info` and `stats`).
  static func lifetimeSection(_ life: LifetimeFacts) -> [(String, String)] {
    [
      ("commits", "\(life.commits) over the file's life"),
      (
        "checkpoints",
        "\(life.checkpoints)" + (life.lastCheckpointTime == 0 ? "" : ", last at " + utcText(life.lastCheckpointTime))
      ),
      ("unclean shutdowns", "\(life.uncleanShutdowns)"),
      ("corruption events", "\(life.corruptionEvents)"),
    ]
  }

  /// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
  package static func utcText(_ seconds: UInt64) -> String {
    var t = time_t(clamping: seconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return
      "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
  }

  /// `major.minor.patch` from the header's creator field.
  static func versionText(_ creator: UInt32) -> String {
    "\(creator >> 16).\((creator >> 8) & 0xFF).\(creator & 0xFF)"
  }

  /// A JSON integer; values beyond `Int64` (never in practice) are clamped.
  static func json<T: BinaryInteger>(_ value: T) -> JSONValue {
    .integer(Int64(clamping: value))
  }
}
