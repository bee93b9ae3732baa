import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// `sombra-repair DB salvage --output NEW`: what is readable, into a new database
/// (`Database.salvage`), and an exact list of what was lost.
///
/// The source is never written: it is opened read-only (or read raw when that
/// fails). While salvage reads, it holds the source's writer lock through a
/// descriptor that writes nothing, so no writer changes the files under it
/// (busy: exit 4); a file it may not open for writing is read without the lock.
/// NEW must not exist. NEW is verified (graph level) before the report. Exit 0
/// when NEW was written, whatever was lost; the report says what.
///
/// Ctrl-C (exit 130) is honoured after the confirmation (nothing written) and
/// after the salvage has written NEW, before its verification: NEW (and
/// NEW.wal) is then removed, since it was never verified.
extension SombraRepair {
  static func salvage(_ run: RepairRun, output newPath: String) throws -> ExitCode {
    guard run.storage.exists(run.path) else {
      throw run.context.fail("cannot open \(run.path): no such file", tool: run.tool, exitCode: .cannotOpen)
    }
    guard !run.storage.exists(newPath), !run.storage.exists(newPath + ".wal") else {
      throw run.context.fail(
        "\(newPath) already exists; salvage never overwrites a file: choose another --output or move it away", tool: run.tool)
    }
    if run.dryRun {
      return run.plan([
        "read \(run.path) and its WAL without writing to them (read-only; raw pages when it does not open)",
        "keep every node and edge whose page and record are readable; drop edges whose endpoints are lost",
        "write them with their ids into the new database \(newPath) and verify it",
        "report every lost node and edge id, with labels and types where known",
      ])
    }
    try run.confirm("Salvage \(run.path) into \(newPath)?")

    try run.checkInterrupted()
    let lock = try holdWriterLock(run)
    defer { lock?.close() }
    run.progress.update("salvage: reading \(run.path)")
    let report = try Database.salvage(run.path, into: newPath, storage: run.storage)
    do {
      try run.checkInterrupted()
    } catch {
      run.progress.finish()
      _ = try? run.storage.remove(newPath)
      _ = try? run.storage.remove(newPath + ".wal")
      throw error
    }
    run.progress.update("salvage: verifying \(newPath)")
    let check = try run.verify(newPath)
    run.progress.finish()

    let lostNodes = report.lostNodes
    let lostEdges = report.lostEdges
    if run.output.format == .json {
      run.context.writeJSON([
        JSONMember("command", "salvage"),
        JSONMember("path", .string(run.path)),
        JSONMember("output", .string(newPath)),
        JSONMember("dryRun", .bool(false)),
        JSONMember("openedNormally", .bool(report.openedNormally)),
        JSONMember("openError", report.openError.map { .string($0) } ?? .null),
        JSONMember("pageSize", RepairRun.json(report.pageSize)),
        JSONMember("pagesScanned", RepairRun.json(report.pagesScanned)),
        JSONMember("badPages", .array(report.badPages.map { RepairRun.json($0) })),
        JSONMember("walFrames", RepairRun.json(report.walFrames)),
        JSONMember("walNote", report.walNote.map { .string($0) } ?? .null),
        JSONMember("recoveredNodes", RepairRun.json(report.recoveredNodes)),
        JSONMember("recoveredEdges", RepairRun.json(report.recoveredEdges)),
        JSONMember(
          "lostNodes",
          .array(
            lostNodes.map {
              .object([
                .init("id", RepairRun.json($0.id)), .init("labels", .array($0.names.map { .string($0) })),
                .init("reason", .string($0.reason)),
              ])
            })),
        JSONMember(
          "lostEdges",
          .array(
            lostEdges.map {
              .object([
                .init("id", RepairRun.json($0.id)), .init("type", $0.names.first.map { .string($0) } ?? .null),
                .init("reason", .string($0.reason)),
              ])
            })),
        JSONMember("placeholderNames", .array(report.placeholderNames.map { .string($0) })),
        JSONMember("complete", .bool(report.isComplete)),
        JSONMember("verifyProblems", RepairRun.json(check.totalErrors)),
      ])
    } else {
      var pairs: [(String, String)] = []
      if !report.openedNormally {
        pairs.append(("read", "raw pages (the database did not open: \(report.openError ?? "unknown error"))"))
      }
      pairs.append(
        ("recovered", "\(RepairRun.count(report.recoveredNodes, "node")), \(RepairRun.count(report.recoveredEdges, "edge"))"))
      let bad = report.badPages.isEmpty ? "" : ": " + report.badPages.map(String.init).joined(separator: ", ")
      pairs.append(("pages", "\(report.pagesScanned) scanned, \(report.badPages.count) unreadable\(bad)"))
      if let note = report.walNote { pairs.append(("WAL", note)) }
      pairs.append(("lost", "\(RepairRun.count(lostNodes.count, "node")), \(RepairRun.count(lostEdges.count, "edge"))"))
      if !report.placeholderNames.isEmpty { pairs.append(("renamed", report.placeholderNames.joined(separator: ", "))) }
      pairs.append(("verified", check.isClean ? "no problems" : RepairRun.count(check.totalErrors, "problem")))
      var text =
        "salvaged \(TerminalText.escapingControlCharacters(run.path)) into \(TerminalText.escapingControlCharacters(newPath))\n"
      text += RepairRun.lines(pairs)
      for node in lostNodes {
        let labels = node.names.isEmpty ? "" : " (" + node.names.joined(separator: ", ") + ")"
        text += TerminalText.escapingControlCharacters("lost node \(node.id)\(labels): \(node.reason)") + "\n"
      }
      for edge in lostEdges {
        let type = edge.names.first.map { " (\($0))" } ?? ""
        text += TerminalText.escapingControlCharacters("lost edge \(edge.id)\(type): \(edge.reason)") + "\n"
      }
      run.context.standardOutput.write(text)
    }
    guard check.isClean else {
      throw run.context.fail(
        "the salvaged database \(newPath) failed verification; keep the source and report this", tool: run.tool)
    }
    return .success
  }

  /// The source's writer lock, through a descriptor that never writes; nil when
  /// the file may not be opened for writing (it is then read without the lock).
  private static func holdWriterLock(_ run: RepairRun) throws -> (any StorageFile)? {
    guard let file = try? run.storage.open(run.path, .readWrite) else { return nil }
    let deadline = monotonicSeconds() + run.lockTimeout
    while true {
      if try file.lock(.writer, .exclusive, wait: false) { return file }
      if monotonicSeconds() >= deadline {
        file.close()
        throw SombraError(
          .locked, "the database is open for writing by another process (or handle); close it first", path: run.path)
      }
      usleep(10_000)
    }
  }
}
