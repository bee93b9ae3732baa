import SombraCLI
import SombraCore

/// `sombra-repair DB COMMAND`: maintenance and repair, safe by default.
///
/// Commands: `checkpoint`, `vacuum`, `rebuild-indexes`, `recover`, `salvage --output NEW`;
/// each one a file `Repair+NAME.swift`. Every command follows the same steps
/// (`RepairRun`), in this order:
/// 1. Parse; a bad `--lock-timeout` or a missing `--output` is a usage error (2).
/// 2. Look at the database read-only (or, for salvage, only check that the
///    file exists): a missing or unreadable file exits 3 before anything else.
/// 3. `--dry-run`: print the plan, change nothing, exit 0.
/// 4. Confirmation: `--yes` proceeds; on a terminal the operator is asked;
///    otherwise the command refuses (exit 2) and says to pass `--yes`.
/// 5. Open exclusively (the writer lock, waiting up to `--lock-timeout`; busy
///    exits 4), back up unless `--no-backup` (checkpoint and salvage change
///    nothing that needs one), do the work, verify, print the summary (`--json`:
///    one schema 1 document). Progress goes to stderr only when it is a terminal.
public enum SombraRepair {
  /// The tool's name, in messages.
  public static let tool = "sombra-repair"

  /// The declaration that drives parsing and `--help` (and the man page).
  public static let spec = CommandSpec(
    name: tool,
    overview:
      "Maintain and repair a Sombra database: checkpoint its WAL, vacuum it, rebuild its indexes, recover from a damaged WAL, or salvage what is readable into a new file.",
    positionals: [PositionalSpec("database", help: "The database file (its WAL is the file beside it ending in .wal).")],
    options: [
      .flag("dry-run", help: "Print the plan and change nothing."),
      .flag("yes", short: "y", help: "Proceed without asking (required when standard input is not a terminal)."),
      .flag("no-backup", help: "Do not keep a timestamped backup (DATABASE.backup-YYYYMMDD-HHMMSS) of the database."),
      .option(
        "lock-timeout", valueName: "seconds", defaultValue: "0",
        help: "How long to wait for another process to release the database."),
    ] + OutputOptions.specs + ToolLogging.specs,
    subcommands: [
      CommandSpec(
        name: "checkpoint",
        overview:
          "Copy the WAL's committed frames into the database file and reset the WAL; shows WAL frames and bytes before and after.",
        options: [
          .option(
            "mode", valueName: "mode", type: .choice(CheckpointMode.allCases.map(\.rawValue)), defaultValue: "truncate",
            help:
              "passive: copy what readers allow without waiting; full: wait for readers and reset the WAL; truncate: as full, then cut the WAL file to zero bytes."
          )
        ]),
      CommandSpec(
        name: "vacuum",
        overview:
          "Rewrite the live data compactly into a new file beside the database, verify it, then atomically replace the database with it."
      ),
      CommandSpec(
        name: "rebuild-indexes",
        overview: "Rebuild adjacency, the label index, the property indexes and the counts from the node and edge records."),
      CommandSpec(
        name: "recover",
        overview:
          "Say what to do when the WAL is damaged or belongs to another database (the read-write open refuses it); with --accept-loss, keep a copy of the WAL beside the database and give up the commits the damage cut off.",
        options: [
          .flag(
            "accept-loss",
            help:
              "Copy DATABASE and DATABASE.wal to DATABASE.damaged-YYYYMMDD-HHMMSS(.wal), then open the database keeping the commits before the damage (none of a stray WAL's) and give up the rest."
          )
        ]),
      CommandSpec(
        name: "salvage",
        overview:
          "Read everything still readable from a damaged database into a new database and report exactly what was lost; never writes the source.",
        options: [.option("output", short: "o", valueName: "new", help: "The new database to write (must not exist).")]),
    ])

  /// Runs the tool with `arguments` (without the program name); returns the
  /// exit status.
  public static func main(_ arguments: [String], context: ToolContext) -> ExitCode {
    run(arguments, context: context, timestamp: localTimestamp)
  }

  /// As `main`, with the clock for backup names injected (tests).
  package static func run(_ arguments: [String], context: ToolContext, timestamp: @escaping () -> String) -> ExitCode {
    let commandLine = ToolCommandLine(spec)
    return commandLine.run(arguments, context: context) { parsed in
      guard let command = parsed.subcommand else {
        throw commandLine.usageError("missing subcommand", commandPath: [tool], context: context)
      }
      let raw = parsed.value("lock-timeout") ?? "0"
      guard let lockTimeout = Double(raw), lockTimeout >= 0, lockTimeout.isFinite else {
        throw commandLine.usageError(
          "invalid value '\(raw)' for '--lock-timeout <seconds>': expected a number of seconds, 0 or more",
          commandPath: [tool, command], context: context)
      }
      let run = RepairRun(
        path: parsed.positional("database") ?? "", command: command, output: OutputOptions(parsed), context: context,
        dryRun: parsed.flag("dry-run"), yes: parsed.flag("yes"), backup: !parsed.flag("no-backup"), lockTimeout: lockTimeout,
        timestamp: timestamp,
        logger: ToolLogging(parsed, environment: context.environment).logger(to: context.standardError))
      switch command {
      case "checkpoint":
        let mode = parsed.value("mode").flatMap(CheckpointMode.init(rawValue:)) ?? .truncate
        return try checkpoint(run, mode: mode)
      case "vacuum":
        return try vacuum(run)
      case "rebuild-indexes":
        return try rebuildIndexes(run)
      case "recover":
        return try recover(run, acceptLoss: parsed.flag("accept-loss"))
      case "salvage":
        guard let output = parsed.value("output"), !output.isEmpty else {
          throw commandLine.usageError(
            "missing '--output <new>': salvage writes what it recovers into a new database", commandPath: [tool, "salvage"],
            context: context)
        }
        return try salvage(run, output: output)
      default:
        throw commandLine.usageError("unknown subcommand '\(command)'", commandPath: [tool], context: context)
      }
    }
  }
}
