import SombraCLI
import SombraCore

/// `sombra-repair DB rebuild-indexes`: adjacency, label index, property indexes
/// and counts made again from the records (`WriteTransaction.rebuildIndexes`),
/// in one transaction.
///
/// Order: exclusive open; checkpoint (`truncate`; readers in another process may
/// prevent the reset, then the WAL is backed up with the file); backup copy
/// (`DB.backup-...` and `DB.backup-....wal`) unless --no-backup; the rebuild
/// (atomic: a crash or failure leaves the old indexes); verify (graph level) on
/// the same handle; close. Problems the rebuild cannot fix (damaged records)
/// exit 1 and point at salvage.
///
/// Ctrl-C (exit 130) is honoured after the confirmation, after the checkpoint
/// and after the backup (the backup is kept): all before the rebuild, so the
/// database is unchanged. Once the rebuild starts it commits, is verified and
/// reported.
extension SombraRepair {
  static func rebuildIndexes(_ run: RepairRun) throws -> ExitCode {
    let facts = try run.look()
    if run.dryRun {
      return run.plan([
        "take the database exclusively (the writer lock) and checkpoint the WAL into it",
        run.backup ? "copy the database to the backup \(run.path).backup-YYYYMMDD-HHMMSS" : "keep no backup (--no-backup)",
        "in one transaction, drop the adjacency, label and property-index trees and rebuild them and every count from \(RepairRun.count(facts.nodes, "node")) and \(RepairRun.count(facts.edges, "edge")) (stored counts)",
        "verify the database",
      ])
    }
    try run.confirm("Rebuild the indexes of \(run.path)\(run.backup ? " (keeping a backup)" : " (without a backup)")?")
    try run.checkInterrupted()
    let database = try run.openExclusive()
    defer { try? database.close() }
    do {
      try database.checkpoint(.truncate)
    } catch let error as SombraError where error.code == .busy {
      // Readers elsewhere: the WAL stays and is copied with the backup.
    }
    try run.checkInterrupted()
    let backupPath = run.backup ? try run.copyBackup() : nil
    try run.checkInterrupted()
    run.progress.update("rebuild-indexes: rebuilding")
    let result = try database.rebuildIndexes()
    run.progress.update("rebuild-indexes: verifying")
    let report = try database.verify()
    run.progress.finish()
    try database.close()

    if !result.abandonedTrees.isEmpty {
      run.warn(
        "the old \(result.abandonedTrees.joined(separator: ", ")) tree(s) could not be freed safely and were left unreachable; run vacuum to reclaim their pages"
      )
    }
    if !result.danglingEdges.isEmpty {
      let ids = result.danglingEdges.prefix(10).map(String.init).joined(separator: ", ")
      run.warn(
        "\(RepairRun.count(result.danglingEdges.count, "edge")) point at missing nodes (\(ids)\(result.danglingEdges.count > 10 ? ", ..." : "")); salvage drops them"
      )
    }
    if run.output.format == .json {
      run.context.writeJSON([
        JSONMember("command", "rebuild-indexes"),
        JSONMember("path", .string(run.path)),
        JSONMember("dryRun", .bool(false)),
        JSONMember("nodes", RepairRun.json(result.nodes)),
        JSONMember("edges", RepairRun.json(result.edges)),
        JSONMember("labelEntries", RepairRun.json(result.labelEntries)),
        JSONMember("adjacencyEntries", RepairRun.json(result.adjacencyEntries)),
        JSONMember("propertyIndexEntries", RepairRun.json(result.propertyEntries)),
        JSONMember("pagesFreed", RepairRun.json(result.freedPages)),
        JSONMember("abandonedTrees", .array(result.abandonedTrees.map { .string($0) })),
        JSONMember("danglingEdges", .array(result.danglingEdges.map { RepairRun.json($0) })),
        JSONMember("backup", backupPath.map { .string($0) } ?? .null),
        JSONMember("verifyProblems", RepairRun.json(report.totalErrors)),
      ])
    } else {
      run.context.standardOutput.write(
        "rebuilt the indexes of \(TerminalText.escapingControlCharacters(run.path))\n"
          + RepairRun.lines([
            ("records", "\(RepairRun.count(result.nodes, "node")), \(RepairRun.count(result.edges, "edge"))"),
            (
              "entries",
              "\(result.labelEntries) label, \(result.adjacencyEntries) adjacency, \(result.propertyEntries) property-index"
            ),
            ("pages freed", "\(result.freedPages)"),
            ("verified", report.isClean ? "no problems" : RepairRun.count(report.totalErrors, "problem")),
            ("backup", backupPath ?? "none (--no-backup)"),
          ]))
    }
    guard report.isClean else {
      for problem in report.problems.prefix(5) { run.context.standardError.writeLine("\(run.tool): \(problem)") }
      throw run.context.fail(
        "problems remain after the rebuild: the records themselves are damaged; salvage the database (sombra-repair \(run.path) salvage --output NEW)",
        tool: run.tool)
    }
    return .success
  }
}
