import SombraCLI
import SombraCore

/// `sombra-repair DB vacuum`: replace the database with a compact copy.
///
/// Order of operations, and what a crash at each point leaves (DB is the
/// database, DB.wal its WAL, TMP = DB.vacuum-tmp, BAK the backup). Every file
/// operation goes through the context's storage (`ToolContext.storage`), so the
/// crash simulation runs this very code.
/// 1. Open DB read-write: the writer lock is held from here to step 7 (another
///    writer: exit 4). Checkpoint with `truncate`: every commit is in DB and
///    DB.wal is zero bytes and synced (readers in another process that block it
///    make it fail with busy, exit 4: nothing has changed). Crash: DB intact.
/// 2. Check free space (statvfs) for TMP: at most the live pages of DB.
/// 3. Remove a TMP (and TMP.wal) left by an earlier crashed vacuum: only the
///    holder of DB's writer lock ever writes it, and that is us.
/// 4. `Database.vacuum(into: TMP)` from one read snapshot of DB; the copy is
///    closed cleanly, fsynced, its WAL removed, the directory fsynced.
///    Crash: DB intact, a stale TMP (removed by the next vacuum).
/// 5. Verify TMP (`Database.verify`, graph level, through a read-only open) and
///    compare its node and edge counts with DB's. Any problem: TMP is removed,
///    DB is untouched, exit 1.
/// 6. `Database.replaceFile(with: TMP, backup: BAK)`: the session on DB ends
///    as a close would, keeping the writer lock, so nothing writes to the old
///    file again; BAK becomes a second name (hard link) of the old file, or a
///    copy where links are not supported; DB.wal is removed; TMP is renamed
///    over DB; the directory is fsynced after each change (its header gives the
///    crash states: DB is always the old or the new database, both complete,
///    and BAK is absent or whole).
/// 7. The writer lock is released; the handle is closed.
///
/// Ctrl-C (exit 130, `RepairRun.checkInterrupted`) is honoured only before
/// step 6: after the confirmation, after step 1, after step 4 and after step 5
/// (TMP is removed; DB is untouched). The copy of step 4 and the verification
/// of step 5 run to their end first. Step 6 always runs to completion.
extension SombraRepair {
  static func vacuum(_ run: RepairRun) throws -> ExitCode {
    let facts = try run.look()
    let temp = run.path + ".vacuum-tmp"
    let live = UInt64(facts.pages - min(facts.freePages, facts.pages)) * UInt64(facts.pageSize)
    if run.dryRun {
      return run.plan([
        "take the database exclusively (the writer lock) and checkpoint the WAL (\(RepairRun.count(facts.wal.frames, "committed frame"))) into it",
        "write a compact copy of the live data to \(temp) (\(facts.pages) pages now, \(facts.freePages) of them free; at most \(live) bytes)",
        "verify the copy: \(RepairRun.count(facts.nodes, "node")) and \(RepairRun.count(facts.edges, "edge")) expected",
        run.backup ? "keep the current file as the backup \(run.path).backup-YYYYMMDD-HHMMSS" : "keep no backup (--no-backup)",
        "replace \(run.path) with the copy (atomic rename) and remove the old WAL",
      ])
    }
    try run.confirm(
      "Vacuum \(run.path) (replace it with a compact copy\(run.backup ? ", keeping a backup" : ", without a backup"))?")

    try run.checkInterrupted()

    // 1.
    let database = try run.openExclusive()
    var open = true
    defer { if open { try? database.close() } }
    try database.checkpoint(.truncate)
    let expected = try database.read { (nodes: try $0.nodeCount, edges: try $0.edgeCount) }
    let sizeBefore = run.storage.size(of: run.path) ?? 0
    try run.checkInterrupted()

    // 2.
    let available = try run.storage.availableBytes(at: run.path)
    let needed = live + UInt64(4 * facts.pageSize)
    guard available >= needed else {
      throw run.context.fail(
        "not enough free disk space for the vacuumed copy: it needs up to \(needed) bytes beside \(run.path) and the file system has \(available); free some space and retry",
        tool: run.tool)
    }

    // 3, 4.
    try run.storage.remove(temp)
    try run.storage.remove(temp + ".wal")
    let result = try database.vacuum(into: temp) { tree, entries in
      run.progress.update("vacuum: copying the \(tree) tree: \(entries) entries")
    }
    run.progress.finish()
    do {
      try run.checkInterrupted()
    } catch {
      _ = try? run.storage.remove(temp)
      throw error
    }

    // 5.
    let report: VerifyReport
    let copied: (nodes: Int, edges: Int)
    do {
      report = try run.verify(temp)
      let copy = try Database.open(temp, options: .readOnly, storage: run.storage)
      defer { try? copy.close() }
      copied = try copy.read { (try $0.nodeCount, try $0.edgeCount) }
    } catch {
      _ = try? run.storage.remove(temp)
      throw error
    }
    guard report.isClean, copied == expected else {
      _ = try? run.storage.remove(temp)
      let first = report.problems.first.map { ": \($0)" } ?? ""
      throw run.context.fail(
        "the vacuumed copy failed verification (\(RepairRun.count(report.totalErrors, "problem")), \(copied.nodes) of \(expected.nodes) nodes, \(copied.edges) of \(expected.edges) edges)\(first); \(run.path) was not changed",
        tool: run.tool)
    }

    do {
      try run.checkInterrupted()
    } catch {
      _ = try? run.storage.remove(temp)
      throw error
    }

    // 6, 7. From here nothing stops.
    let backupPath = run.backup ? run.backupPath() : nil
    open = false
    do {
      try database.replaceFile(with: temp, backup: backupPath)
    } catch {
      // Before the rename TMP is ours to remove; after it there is none.
      _ = try? run.storage.remove(temp)
      try? database.close()
      throw error
    }
    let sizeAfter = run.storage.size(of: run.path) ?? 0

    if run.output.format == .json {
      run.context.writeJSON([
        JSONMember("command", "vacuum"),
        JSONMember("path", .string(run.path)),
        JSONMember("dryRun", .bool(false)),
        JSONMember("bytesBefore", RepairRun.json(sizeBefore)),
        JSONMember("bytesAfter", RepairRun.json(sizeAfter)),
        JSONMember("pagesBefore", RepairRun.json(result.sourcePages)),
        JSONMember("pagesAfter", RepairRun.json(result.newPages)),
        JSONMember("nodes", RepairRun.json(result.nodes)),
        JSONMember("edges", RepairRun.json(result.edges)),
        JSONMember("backup", backupPath.map { .string($0) } ?? .null),
        JSONMember("verified", .bool(true)),
      ])
      return .success
    }
    run.context.standardOutput.write(
      "vacuumed \(TerminalText.escapingControlCharacters(run.path))\n"
        + RepairRun.lines([
          ("size", "\(sizeBefore) -> \(sizeAfter) bytes (\(result.sourcePages) -> \(result.newPages) pages)"),
          ("records", "\(RepairRun.count(result.nodes, "node")), \(RepairRun.count(result.edges, "edge"))"),
          ("verified", "no problems"),
          ("backup", backupPath ?? "none (--no-backup)"),
        ]))
    return .success
  }
}
