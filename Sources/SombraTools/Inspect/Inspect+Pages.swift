import SombraCLI
import SombraCore

/// `sombra-inspect DB pages [--from N] [--to M]`: one line per page of the
/// committed state (number, type, owning tree, entries, fill, and where the
/// current version lives: the main file, a WAL image frame, or a WAL delta
/// frame whose records are written over the page's previous version).
extension SombraInspect {
  static func pages(_ session: InspectSession, from: Int?, to: Int?, _ output: OutputOptions, _ context: ToolContext) throws
    -> ExitCode
  {
    let last = Int(session.pageCount) - 1
    let first = from ?? 0
    guard first <= last else {
      throw context.fail("page \(first) does not exist: the database has \(session.pageCount) pages (0 to \(last))", tool: tool)
    }
    let end = min(to ?? last, last)
    guard first <= end else {
      throw ToolCommandLine(spec).usageError(
        "--from \(first) is after --to \(to ?? last)", commandPath: [tool, "pages"], context: context)
    }
    let survey = PageSurvey(session)
    var summaries: [(PageSurvey.PageSummary, PageOrigin)] = []
    try context.checkInterrupted(tool: tool)
    for number in UInt32(first)...UInt32(end) {
      if number & 1023 == 0 { try context.checkInterrupted(tool: tool) }
      let (summary, _) = try PageSurvey.summarize(number, session)
      summaries.append((summary, session.origin(of: number)))
    }
    let pageSize = session.pageSize

    if output.format == .json {
      context.writeJSON([
        JSONMember("command", "pages"),
        JSONMember("path", .string(session.path)),
        JSONMember("pageSize", json(pageSize)),
        JSONMember("pageCount", json(session.pageCount)),
        JSONMember(
          "pages",
          .array(
            summaries.map { summary, origin in
              [
                "number": json(summary.number), "type": .string(summary.type), "tree": .string(survey.owner(of: summary.number)),
                "entries": summary.entries.map { json($0) } ?? .null,
                "usedBytes": summary.usedBytes.map { json($0) } ?? .null,
                "fill": summary.usedBytes.map { .double(ByteText.ratio($0, of: pageSize)) } ?? .null,
                "walFrame": origin.frame.map { json($0) } ?? .null, "walFrameKind": origin.kindJSON,
                "checksumOK": .bool(summary.checksumOK),
                "problem": summary.problem.map { .string($0) } ?? .null,
              ]
            })),
      ])
      return .success
    }
    var table = Table(columns: [
      Table.Column("page", alignment: .right), Table.Column("type"), Table.Column("tree"),
      Table.Column("entries", alignment: .right), Table.Column("fill", alignment: .right), Table.Column("from"),
    ])
    for (summary, origin) in summaries {
      var type = summary.type
      if !summary.checksumOK { type += " (bad checksum)" } else if summary.problem != nil { type += " (damaged)" }
      table.append([
        "\(summary.number)", type, survey.owner(of: summary.number), summary.entries.map { "\($0)" } ?? "-",
        summary.usedBytes.map { ByteText.percent($0, of: pageSize) } ?? "-", origin.text,
      ])
    }
    table.footer = "pages \(first) to \(end) of \(session.pageCount); fill = bytes in use / \(pageSize)-byte page"
    context.standardOutput.write(table.render(style: context.boxStyle(output), maxWidth: context.width))
    return .success
  }

  /// `sombra-inspect DB page N [--hex]`: the decoded contents of one page.
  static func page(_ session: InspectSession, number: UInt32, hex: Bool, _ output: OutputOptions, _ context: ToolContext) throws
    -> ExitCode
  {
    guard number < session.pageCount else {
      throw context.fail(
        "page \(number) does not exist: the database has \(session.pageCount) pages (0 to \(session.pageCount - 1))", tool: tool)
    }
    let (summary, bytes) = try PageSurvey.summarize(number, session)
    let origin = session.origin(of: number)
    let survey = PageSurvey(session)
    let tree = survey.owners[number]
    let (stored, computed) = bytes.withUnsafeBytes { PageLayout.checksums($0) }
    var pairs: [(String, String)] = [
      ("type", summary.type),
      ("tree", survey.owner(of: number)),
      ("from", origin.text),
      (
        "checksum",
        stored == computed
          ? "\(ByteText.hex(stored)) (valid)" : "stored \(ByteText.hex(stored)), computed \(ByteText.hex(computed)): MISMATCH"
      ),
    ]
    var members: [JSONMember] = [
      JSONMember("command", "page"), JSONMember("path", .string(session.path)), JSONMember("page", json(number)),
      JSONMember("type", .string(summary.type)), JSONMember("tree", .string(survey.owner(of: number))),
      JSONMember("walFrame", origin.frame.map { json($0) } ?? .null), JSONMember("walFrameKind", origin.kindJSON),
      JSONMember("checksum", ["stored": json(stored), "computed": json(computed), "ok": .bool(stored == computed)]),
    ]
    var table: Table?
    if let problem = summary.problem {
      pairs.append(("problem", problem))
      members.append(JSONMember("problem", .string(problem)))
    }
    let ascii = context.boxStyle(output).isASCII
    if number == 0 {
      let fields = headerFields(bytes)
      var header = Table(columns: [
        Table.Column("offset", alignment: .right), Table.Column("size", alignment: .right), Table.Column("field"),
        Table.Column("raw", alignment: .left), Table.Column("value", alignment: .left),
      ])
      for field in fields { header.append(["\(field.offset)", "\(field.size)", field.name, field.raw, field.meaning]) }
      table = header
      members.append(JSONMember("fields", .array(fields.map(json))))
    } else if summary.problem == nil, let typeByte = bytes.first, let type = PageType(rawValue: typeByte) {
      switch type {
      case .btreeLeaf, .btreeInterior:
        let node = try bytes.withUnsafeBytes { try InspectedNode($0, page: number) }
        let meaning = KeyMeaning(session.transaction)
        pairs += [
          ("level", "\(node.level)" + (node.isLeaf ? " (leaf)" : "")),
          ("cells", "\(node.cells.count)"),
          ("content start", "\(node.contentStart)"),
          ("dead bytes", "\(node.deadBytes)"),
          ("used", "\(node.usedBytes) of \(bytes.count) bytes (\(ByteText.percent(node.usedBytes, of: bytes.count)))"),
        ]
        if let rightmost = node.rightmostChild { pairs.append(("rightmost child", "page \(rightmost)")) }
        var cells = Table(columns: [
          Table.Column("#", alignment: .right), Table.Column("key", alignment: .left), Table.Column("meaning"),
          Table.Column(node.isLeaf ? "value" : "child"),
        ])
        var jsonCells: [JSONValue] = []
        for (index, cell) in node.cells.enumerated() {
          let described = meaning.describe(cell.key, tree: tree)
          let value: String
          if let child = cell.child {
            value = "page \(child)"
          } else if let overflow = cell.overflowPage {
            value = "\(cell.valueLength) bytes, overflow page \(overflow)"
          } else {
            value = "\(cell.valueLength) bytes"
          }
          cells.append(["\(index)", ByteText.shortHex(cell.key, ascii: ascii), described ?? "-", value])
          jsonCells.append([
            "key": .string(ByteText.hex(cell.key)), "meaning": described.map { .string($0) } ?? .null,
            "valueLength": cell.child == nil ? json(cell.valueLength) : .null,
            "overflowPage": cell.overflowPage.map { json($0) } ?? .null, "child": cell.child.map { json($0) } ?? .null,
            "cellBytes": json(cell.size),
          ])
        }
        table = cells
        members += [
          JSONMember(
            "node",
            [
              "leaf": .bool(node.isLeaf), "level": json(node.level), "contentStart": json(node.contentStart),
              "deadBytes": json(node.deadBytes), "usedBytes": json(node.usedBytes),
              "rightmostChild": node.rightmostChild.map { json($0) } ?? .null,
            ]),
          JSONMember("cells", .array(jsonCells)),
        ]
      case .overflow:
        let overflow = try bytes.withUnsafeBytes { try InspectedOverflowPage($0, page: number) }
        pairs += [
          ("next page", overflow.next == 0 ? "0 (last of its chain)" : "page \(overflow.next)"),
          ("payload", "\(overflow.payloadBytes) of \(overflow.capacity) bytes"),
        ]
        members.append(JSONMember("overflow", ["next": json(overflow.next), "payloadBytes": json(overflow.payloadBytes)]))
      case .free:
        let next = bytes.withUnsafeBytes { raw -> UInt32? in
          var reader = ByteReader(raw, offset: PageLayout.freeNextOffset, page: number)
          return try? reader.u32()
        }
        pairs.append(("next free page", next.map { $0 == 0 ? "0 (end of the list)" : "page \($0)" } ?? "-"))
        members.append(JSONMember("free", ["next": next.map { json($0) } ?? .null]))
      case .header, .raw:
        break
      }
    }
    if hex { members.append(JSONMember("hex", .string(ByteText.hex(bytes)))) }

    if output.format == .json {
      context.writeJSON(members)
      return .success
    }
    let style = context.boxStyle(output)
    context.standardOutput.write(box(title: "page \(number)", [pairs], style: style, width: context.width))
    if let table { context.standardOutput.write(table.render(style: style, maxWidth: context.width)) }
    if hex { context.standardOutput.write(ByteText.dump(bytes)) }
    return .success
  }
}
