import SombraCLI
import SombraCore

/// `sombra-repair DB checkpoint [--mode passive|full|truncate]`.
///
/// ```
/// checkpointed /data/graph.sombra (mode truncate)
///   WAL before  2 frames, 66080 bytes
///   WAL after   0 frames, 0 bytes
/// ```
/// "Before" is the WAL as found on disk before the exclusive open (whose own
/// recovery may already copy frames); "after" is the WAL on disk once the
/// handle is closed. Closing a read-write handle checkpoints and truncates when
/// no reader in another process prevents it, so only readers keep frames.
/// Ctrl-C (exit 130) is honoured after the confirmation; a checkpoint that has
/// started runs to its end and is reported.
extension SombraRepair {
  static func checkpoint(_ run: RepairRun, mode: CheckpointMode) throws -> ExitCode {
    let facts = try run.look()
    if run.dryRun {
      return run.plan([
        "take the database exclusively (the writer lock)",
        "copy the WAL's \(RepairRun.count(facts.wal.frames, "committed frame")) (\(facts.wal.bytes) bytes) into the database file, mode \(mode.rawValue)",
        mode == .passive
          ? "reset the WAL if no reader in another process holds it"
          : "reset the WAL\(mode == .truncate ? " and cut it to zero bytes" : "")",
      ])
    }
    try run.confirm("Checkpoint \(run.path) (mode \(mode.rawValue))?")
    try run.checkInterrupted()
    let before = run.walState(pageSize: facts.pageSize)
    let database = try run.openExclusive()
    let result: CheckpointResult
    do {
      result = try database.checkpoint(mode)
      try database.close()
    } catch {
      try? database.close()
      throw error
    }
    let after = run.walState(pageSize: facts.pageSize)
    if result.busy {
      run.warn(
        "readers in another process held the database; frames they may still read stay in the WAL (retry, or use --mode full with --lock-timeout)"
      )
    }
    if run.output.format == .json {
      run.context.writeJSON([
        JSONMember("command", "checkpoint"),
        JSONMember("path", .string(run.path)),
        JSONMember("dryRun", .bool(false)),
        JSONMember("mode", .string(mode.rawValue)),
        JSONMember("walFramesBefore", RepairRun.json(before.frames)),
        JSONMember("walBytesBefore", RepairRun.json(before.bytes)),
        JSONMember("walFramesAfter", RepairRun.json(after.frames)),
        JSONMember("walBytesAfter", RepairRun.json(after.bytes)),
        JSONMember("busy", .bool(result.busy)),
      ])
      return .success
    }
    run.context.standardOutput.write(
      "checkpointed \(TerminalText.escapingControlCharacters(run.path)) (mode \(mode.rawValue))\n"
        + RepairRun.lines([
          ("WAL before", "\(RepairRun.count(before.frames, "frame")), \(before.bytes) bytes"),
          ("WAL after", "\(RepairRun.count(after.frames, "frame")), \(after.bytes) bytes"),
        ]))
    return .success
  }
}
