import SombraCLI

/// The output options every reporting command takes (DESIGN.md §6):
/// `--format text|json`, `--json` as its shorthand, and `--ascii`. Declare
/// ``specs`` on the tool's root command and read them back with
/// ``init(_:)``; then render through ``ToolContext/write(_:)`` and friends.
///
/// JSON output is one pretty-printed document whose first member is
/// `"schema": 1`; field names are stable (lowerCamelCase) and only ever added.
public struct OutputOptions: Sendable, Equatable {
  /// Text for people, or one JSON document for programs.
  public enum Format: String, Sendable, CaseIterable {
    case text, json
  }

  /// The JSON schema version written as `"schema"`.
  public static let schemaVersion: Int64 = 1

  public var format: Format
  /// Box drawing in ASCII even on a UTF-8 terminal.
  public var ascii: Bool

  /// `--format`, `--json`, `--ascii`.
  public static let specs: [OptionSpec] = [
    .option(
      "format", valueName: "format", type: .choice(Format.allCases.map(\.rawValue)), defaultValue: "text",
      help: "Output format."),
    .flag("json", help: "Write JSON (the same as --format json)."),
    .flag("ascii", help: "Draw tables and boxes with ASCII characters only."),
  ]

  /// Text, Unicode where the terminal allows.
  public init(format: Format = .text, ascii: Bool = false) {
    self.format = format
    self.ascii = ascii
  }

  /// The options given on a command line that declared ``specs``.
  public init(_ parsed: ParsedArguments) {
    let json = parsed.flag("json") || parsed.value("format") == Format.json.rawValue
    self.init(format: json ? .json : .text, ascii: parsed.flag("ascii"))
  }
}

extension ToolContext {
  /// The box style for text output: Unicode on a UTF-8 terminal, ASCII
  /// otherwise or with `--ascii`.
  public func boxStyle(_ options: OutputOptions) -> BoxStyle {
    var terminal = terminal
    terminal.forcesASCII = terminal.forcesASCII || options.ascii
    return terminal.boxStyle
  }

  /// The columns text output may use.
  public var width: Int { terminal.width }

  /// Writes one JSON document `{"schema": 1, members...}` to stdout.
  public func writeJSON(_ members: [JSONMember]) {
    JSONWriter.pretty.write(Self.jsonDocument(members), to: standardOutput)
  }

  /// The document ``writeJSON(_:)`` writes.
  public static func jsonDocument(_ members: [JSONMember]) -> JSONValue {
    .object([JSONMember("schema", .integer(OutputOptions.schemaVersion))] + members)
  }
}
