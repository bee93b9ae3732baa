import Logging
import SombraCLI
import SombraCore

/// `sombra-inspect DB COMMAND`: what is inside a database, without changing a
/// byte of it or of its WAL (a read-only open, and the WAL read raw).
///
/// Commands: `info`, `header`, `stats`, `pages`, `page N`, `wal`, `health`; each one a
/// file `Inspect+NAME.swift` with a text and a JSON (schema 1) rendering.
/// Every command reads inside one read transaction (``InspectSession``), so
/// it describes one committed state even next to a live writer.
public enum SombraInspect {
  /// The tool's name, in messages.
  public static let tool = "sombra-inspect"

  /// The declaration that drives parsing and `--help` (and the man page).
  public static let spec = CommandSpec(
    name: tool,
    overview: "Show what is inside a Sombra database and its write-ahead log, without changing either.",
    positionals: [PositionalSpec("database", help: "The database file (its WAL is the file beside it ending in .wal).")],
    options: OutputOptions.specs + ToolLogging.specs,
    subcommands: [
      CommandSpec(
        name: "info",
        overview: "Summary: sizes, format, page and graph counts, labels, edge types, WAL and shutdown state."),
      CommandSpec(name: "header", overview: "Every field of the header page with its offset, raw bytes and meaning."),
      CommandSpec(
        name: "stats",
        overview: "Pages by type and by tree, fill factors, bytes per tree and free space, for planning a vacuum."),
      CommandSpec(
        name: "pages",
        overview: "One line per page: number, type, owning tree, entries and fill.",
        options: [
          .option("from", valueName: "n", type: .integer(0...Int(UInt32.max)), help: "First page to list (default 0)."),
          .option("to", valueName: "m", type: .integer(0...Int(UInt32.max)), help: "Last page to list (default the last page)."),
        ]),
      CommandSpec(
        name: "page",
        overview: "The decoded contents of one page.",
        positionals: [PositionalSpec("number", help: "The page number (0 is the header page).")],
        options: [.flag("hex", help: "Add a hex dump of the whole page.")]),
      CommandSpec(
        name: "wal",
        overview: "The WAL header, every frame with its validity, and what a checkpoint would copy."),
      CommandSpec(
        name: "health",
        overview:
          "Health checks for monitoring probes: WAL size, corruption seen, checkpoint age, free disk space. Exit 0 healthy, 1 degraded or unhealthy."
      ),
    ])

  /// Runs the tool with `arguments` (without the program name); returns the
  /// exit status.
  public static func main(_ arguments: [String], context: ToolContext) -> ExitCode {
    let commandLine = ToolCommandLine(spec)
    return commandLine.run(arguments, context: context) { parsed in
      let output = OutputOptions(parsed)
      let path = parsed.positional("database") ?? ""
      let logger = ToolLogging(parsed, environment: context.environment).logger(to: context.standardError)
      let withSession = { (path: String, context: ToolContext, body: (InspectSession) throws -> ExitCode) throws -> ExitCode in
        try Self.withSession(path, context, logger: logger, body)
      }
      switch parsed.subcommand {
      case "info":
        return try withSession(path, context) { try info($0, output, context) }
      case "header":
        return try withSession(path, context) { try header($0, output, context) }
      case "stats":
        return try withSession(path, context) { try stats($0, output, context) }
      case "pages":
        let range = (from: parsed.integer("from"), to: parsed.integer("to"))
        return try withSession(path, context) { try pages($0, from: range.from, to: range.to, output, context) }
      case "page":
        let raw = parsed.positional("number") ?? ""
        guard let number = UInt32(raw) else {
          throw commandLine.usageError(
            "invalid page number '\(raw)': expected a whole number from 0 to \(UInt32.max)",
            commandPath: [tool, "page"], context: context)
        }
        return try withSession(path, context) { try page($0, number: number, hex: parsed.flag("hex"), output, context) }
      case "wal":
        return try withSession(path, context) { try wal($0, output, context) }
      case "health":
        return try withSession(path, context) { try health($0, output, context) }
      default:
        throw commandLine.usageError("missing subcommand", commandPath: [tool], context: context)
      }
    }
  }

  /// Opens the session, runs `body` and always closes it again.
  static func withSession(
    _ path: String, _ context: ToolContext, logger: Logger = ToolLogging.silent, _ body: (InspectSession) throws -> ExitCode
  ) throws -> ExitCode {
    let session = try InspectSession(path: path, context: context, logger: logger)
    defer { session.close() }
    return try body(session)
  }
}
