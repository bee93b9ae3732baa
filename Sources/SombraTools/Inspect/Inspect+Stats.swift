import SombraCLI
import SombraCore

/// `sombra-inspect DB stats`: where the pages go, for planning a vacuum.
///
/// - by type: every page of the committed state counted by its type byte;
/// - by tree: the pages each graph tree owns (`checkInvariants`: nodes and
///   their overflow pages), its depth, entries, bytes and fill, where fill =
///   bytes in use (cells and slots of nodes, payload of overflow pages) ÷
///   bytes of its pages;
/// - bytes per label, edge type and property index (`RecordBytes`): record
///   bytes (key + value) of the nodes with each label (a node counts for each
///   of its labels), of the edges of each type, and the key bytes of each
///   index's entries;
/// - space: free-list pages, pages nothing reaches (leaked), and what a vacuum
///   would reclaim (both).
/// A tree whose check finds problems is reported on stderr with a hint to run
/// sombra-verify; the counts are then lower bounds.
extension SombraInspect {
  static func stats(_ session: InspectSession, _ output: OutputOptions, _ context: ToolContext) throws -> ExitCode {
    var survey = PageSurvey(session)
    let pageSize = session.pageSize
    var byType: [String: Int] = [:]
    var typeOrder: [String] = []
    var unowned = 0
    try context.checkInterrupted(tool: tool)
    for number in 0..<session.pageCount {
      if number & 1023 == 0 { try context.checkInterrupted(tool: tool) }
      let (summary, _) = try PageSurvey.summarize(number, session)
      if byType[summary.type] == nil { typeOrder.append(summary.type) }
      byType[summary.type, default: 0] += 1
      if number != 0, survey.owners[number] == nil, !survey.freePages.contains(number) { unowned += 1 }
      if let root = survey.owners[number], let t = survey.trees.firstIndex(where: { $0.root == root }) {
        if summary.type == PageType.overflow.name { survey.trees[t].overflowPages += 1 } else { survey.trees[t].nodePages += 1 }
        survey.trees[t].usedBytes += summary.usedBytes ?? 0
      }
    }
    let records = try RecordBytes(session, context: context)
    let total = Int(session.pageCount)
    let free = survey.freePages.count
    let types = typeOrder.sorted()
    for tree in survey.trees where !tree.check.problems.isEmpty {
      let first = tree.check.problems[0]
      context.standardError.writeLine(
        "\(tool): warning: the \(tree.root.treeName) tree has \(tree.check.problems.count) problem(s), first: \(first); run sombra-verify"
      )
    }
    if let problem = survey.freeListProblem {
      context.standardError.writeLine("\(tool): warning: \(problem); run sombra-verify")
    }
    if !records.incomplete.isEmpty {
      context.standardError.writeLine(
        "\(tool): warning: the \(records.incomplete.joined(separator: ", ")) tree(s) could not be read to the end; bytes per label, type and index are lower bounds; run sombra-verify"
      )
    }
    func rows(_ rows: [RecordBytes.Row]) -> JSONValue {
      .array(rows.map { ["name": .string($0.name), "entries": json($0.records), "bytes": json($0.bytes)] })
    }

    if output.format == .json {
      context.writeJSON([
        JSONMember("command", "stats"),
        JSONMember("path", .string(session.path)),
        JSONMember("pageSize", json(pageSize)),
        JSONMember("pageCount", json(total)),
        JSONMember("pagesByType", .object(types.map { JSONMember($0, json(byType[$0] ?? 0)) })),
        JSONMember(
          "trees",
          .array(
            survey.trees.map { tree in
              let pages = tree.nodePages + tree.overflowPages
              return [
                "tree": .string(tree.root.treeName), "root": json(tree.rootPage), "depth": json(tree.check.depth),
                "nodePages": json(tree.nodePages), "leafPages": json(tree.check.leaves),
                "overflowPages": json(tree.overflowPages),
                "entries": json(tree.check.entries), "bytes": json(pages * pageSize), "usedBytes": json(tree.usedBytes),
                "fill": .double(ByteText.ratio(tree.usedBytes, of: pages * pageSize)),
                "problems": json(tree.check.problems.count),
              ]
            })),
        JSONMember("bytesByLabel", rows(records.labels)),
        JSONMember("bytesByEdgeType", rows(records.types)),
        JSONMember("bytesByIndex", rows(records.indexes)),
        JSONMember("freePages", json(free)),
        JSONMember("unreachablePages", json(unowned)),
        JSONMember("reclaimablePages", json(free + unowned)),
        JSONMember("reclaimableBytes", json((free + unowned) * pageSize)),
        JSONMember(
          "lifetime",
          .object([
            JSONMember("commits", json(session.header.lifetime.commits)),
            JSONMember("checkpoints", json(session.header.lifetime.checkpoints)),
            JSONMember("lastCheckpointTime", json(session.header.lifetime.lastCheckpointTime)),
            JSONMember("uncleanShutdowns", json(session.header.lifetime.uncleanShutdowns)),
            JSONMember("corruptionEvents", json(session.header.lifetime.corruptionEvents)),
          ])),
      ])
      return .success
    }

    let style = context.boxStyle(output)
    var typeTable = Table(columns: [
      Table.Column("page type"), Table.Column("pages", alignment: .right), Table.Column("bytes", alignment: .right),
      Table.Column("share", alignment: .right),
    ])
    for type in types {
      let count = byType[type] ?? 0
      typeTable.append([type, "\(count)", "\(count * pageSize)", ByteText.percent(count, of: total)])
    }
    context.standardOutput.write(typeTable.render(style: style, maxWidth: context.width))

    var treeTable = Table(columns: [
      Table.Column("tree"), Table.Column("root", alignment: .right), Table.Column("depth", alignment: .right),
      Table.Column("nodes", alignment: .right), Table.Column("overflow", alignment: .right),
      Table.Column("entries", alignment: .right), Table.Column("bytes", alignment: .right),
      Table.Column("fill", alignment: .right),
    ])
    for tree in survey.trees {
      let pages = tree.nodePages + tree.overflowPages
      treeTable.append([
        tree.root.treeName, "\(tree.rootPage)", "\(tree.check.depth)", "\(tree.nodePages)", "\(tree.overflowPages)",
        "\(tree.check.entries)", "\(pages * pageSize)", ByteText.percent(tree.usedBytes, of: pages * pageSize),
      ])
    }
    treeTable.footer = "nodes and overflow are pages; fill = bytes in use / bytes of the tree's pages"
    context.standardOutput.write(treeTable.render(style: style, maxWidth: context.width))

    var recordTable = Table(columns: [
      Table.Column("bytes of"), Table.Column("name"), Table.Column("entries", alignment: .right),
      Table.Column("bytes", alignment: .right),
    ])
    for row in records.labels { recordTable.append(["label", row.name, "\(row.records)", "\(row.bytes)"]) }
    for row in records.types { recordTable.append(["edge type", row.name, "\(row.records)", "\(row.bytes)"]) }
    for row in records.indexes { recordTable.append(["index", row.name, "\(row.records)", "\(row.bytes)"]) }
    if !recordTable.rows.isEmpty {
      recordTable.footer = "record bytes (key + value); a node counts for each of its labels; index: key bytes"
      context.standardOutput.write(recordTable.render(style: style, maxWidth: context.width))
    }

    let pairs: [(String, String)] = [
      ("pages", "\(total) of \(pageSize) bytes (\(total * pageSize) bytes)"),
      ("free list", "\(free) pages (\(free * pageSize) bytes)"),
      ("unreachable", "\(unowned) pages (in no tree and not free)"),
      ("vacuum", "would reclaim at least \(free + unowned) pages (\((free + unowned) * pageSize) bytes)"),
    ]
    context.standardOutput.write(box(title: "space", [pairs], style: style, width: context.width))
    context.standardOutput.write(
      box(title: "lifetime", [lifetimeSection(session.header.lifetime)], style: style, width: context.width))
    return .success
  }
}
