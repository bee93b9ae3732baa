import SombraCLI
import SombraCore

/// `sombra-repair DB recover [--accept-loss]`: what to do when the read-write
/// open refuses a damaged or stray WAL (`WALDamage` in SombraCore).
///
/// Without `--accept-loss` it only looks (read-only) and says what recovery
/// would keep and give up; it exits 0 when the WAL is intact, 1 when it is not.
///
/// ```
/// the WAL of /data/graph.sombra is damaged; nothing was changed
///   damage      WAL frame 130 is damaged (...), but a later commit records ...
///   keeps       129 WAL frames: the commits before the damage
///   gives up    101 committed transactions (140...240)
///   to recover  sombra-repair /data/graph.sombra recover --accept-loss --yes
/// ```
///
/// With `--accept-loss`, after the confirmation:
/// 1. Copy the database and its WAL to `DB.damaged-YYYYMMDD-HHMMSS` and
///    `DB.damaged-YYYYMMDD-HHMMSS.wal` (each created whole or not at all,
///    synced with its directory) and check both byte for byte: the evidence is
///    kept before anything is written, as a pair the tools open read-only (the
///    WAL's frames build on the main file as it was).
/// 2. Open read-write accepting the loss: recovery keeps the commits before the
///    damage (none of a stray WAL's), then the close checkpoints and truncates
///    the WAL. Ctrl-C is honoured before this step only.
/// 3. Verify the result (graph level) and print what was given up.
extension SombraRepair {
  static func recover(_ run: RepairRun, acceptLoss: Bool) throws -> ExitCode {
    let finding = try lookForDamage(run)
    let shown = TerminalText.escapingControlCharacters(run.path)
    guard let finding else {
      let facts = try run.look()
      return report(
        run, headline: "the WAL of \(shown) is intact: nothing to recover",
        lines: [("WAL", "\(RepairRun.count(facts.wal.frames, "committed frame")), \(facts.wal.bytes) bytes")],
        json: [JSONMember("damage", .null)], code: .success)
    }
    let walPath = run.path + ".wal"
    let recoverCommand = "sombra-repair \(run.path) recover --accept-loss --yes"
    guard acceptLoss else {
      return report(
        run, headline: "\(finding.foreign ? "a stray WAL beside" : "WAL damage in") \(shown): nothing was changed",
        lines: finding.lines + [("to recover", recoverCommand)],
        json: finding.json + [JSONMember("changed", .bool(false))], code: .failure)
    }
    let copy = run.path + ".damaged-" + run.timestamp()
    if run.dryRun {
      return run.plan([
        "copy \(run.path) and \(walPath) to \(copy) and \(copy).wal and check the copies byte for byte",
        "open the database for writing, keeping the commits before the damage (\(finding.keeps))",
        "give up \(finding.givesUp)",
        "checkpoint, truncate the WAL and verify the database",
      ])
    }
    try run.confirm("Give up \(finding.givesUp) of \(run.path), keeping a copy of it and its WAL?")
    try run.checkInterrupted()
    do {
      try run.storage.copy(run.path, to: copy)
      try run.storage.copy(walPath, to: copy + ".wal")
    } catch {
      throw run.context.exit(for: error, tool: tool)
    }
    guard run.storage.identical(run.path, copy), run.storage.identical(walPath, copy + ".wal") else {
      throw run.context.fail(
        "the copies in \(copy) and \(copy).wal differ from the database and its WAL; nothing was changed", tool: tool)
    }
    try run.checkInterrupted()
    var options = OpenOptions()
    options.create = true  // a young database's damaged WAL leaves an empty file
    options.lockTimeout = run.lockTimeout
    options.acceptWALLoss = true
    options.logger = run.logger
    do {
      let database = try Database.open(run.path, options: options, storage: run.storage)
      try database.close()
    } catch {
      throw run.context.exit(for: error, tool: tool)
    }
    let verified: VerifyReport
    do { verified = try run.verify(run.path) } catch { throw run.context.exit(for: error, tool: tool) }
    return report(
      run, headline: "recovered \(shown): gave up \(finding.givesUp)",
      lines: finding.lines + [
        ("copy", "\(copy) and \(copy).wal"), ("verify", verified.isClean ? "clean" : "\(verified.totalErrors) problem(s)"),
      ],
      json: finding.json + [
        JSONMember("changed", .bool(true)), JSONMember("copy", .string(copy)), JSONMember("walCopy", .string(copy + ".wal")),
        JSONMember("verifyClean", .bool(verified.isClean)),
      ], code: verified.isClean ? .success : .failure)
  }

  /// What a read-only open says of the WAL: nil when it is intact.
  private struct Finding {
    var description: String
    var kept: Int?
    var lost: Int?
    var transactions: ClosedRange<UInt64>?
    var foreign = false

    var keeps: String {
      kept.map { $0 == 0 ? "no WAL frames" : "\(RepairRun.count($0, "WAL frame")): the commits before the damage" }
        ?? "none of the WAL"
    }
    var givesUp: String {
      guard let lost, lost > 0 else {
        return foreign ? "nothing of this database (the stray WAL is not replayed)" : "what the damaged WAL holds"
      }
      let ids =
        transactions.map {
          $0.lowerBound == $0.upperBound
            ? " (transaction \($0.lowerBound))" : " (transactions \($0.lowerBound)...\($0.upperBound))"
        } ?? ""
      return RepairRun.count(lost, "committed transaction") + ids
    }
    var lines: [(String, String)] { [("damage", description), ("keeps", keeps), ("gives up", givesUp)] }
    var json: [JSONMember] {
      [
        JSONMember("damage", .string(description)),
        JSONMember("keptFrames", kept.map { RepairRun.json($0) } ?? .null),
        JSONMember("lostTransactions", lost.map { RepairRun.json($0) } ?? .null),
        JSONMember("firstLostTransaction", transactions.map { RepairRun.json($0.lowerBound) } ?? .null),
        JSONMember("lastLostTransaction", transactions.map { RepairRun.json($0.upperBound) } ?? .null),
      ]
    }
  }

  private static func lookForDamage(_ run: RepairRun) throws(ToolExit) -> Finding? {
    var options = OpenOptions.readOnly
    options.lockTimeout = run.lockTimeout
    options.logger = run.logger
    do {
      let database = try Database.open(run.path, options: options, storage: run.storage)
      defer { try? database.close() }
      guard let damage = database.walDamage else { return nil }
      var finding = Finding(
        description: damage.description, kept: damage.keptFrames, lost: damage.lostCommits, transactions: damage.lostTransactions)
      if case .foreign = damage.kind {
        finding.kept = nil
        finding.foreign = true
      }
      return finding
    } catch let error as SombraError
      where error.code == .corruption && error.path == run.path + ".wal" && error.message.hasPrefix(Pager.youngDamagedWAL)
    {
      // A young database: everything is in the damaged WAL.
      return Finding(description: error.message, kept: 0)
    } catch {
      throw run.context.exit(for: error, tool: tool)
    }
  }

  private static func report(_ run: RepairRun, headline: String, lines: [(String, String)], json: [JSONMember], code: ExitCode)
    -> ExitCode
  {
    if run.output.format == .json {
      run.context.writeJSON(
        [JSONMember("command", "recover"), JSONMember("path", .string(run.path)), JSONMember("dryRun", .bool(false))] + json)
      return code
    }
    run.context.standardOutput.write(headline + "\n" + RepairRun.lines(lines))
    return code
  }
}
