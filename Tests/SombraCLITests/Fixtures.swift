import SombraCLI

/// Command declarations shaped like the real tools, shared by the parser
/// and help tests.
enum Fixtures {
  static let verify = CommandSpec(
    name: "sombra-verify",
    overview: "Check a Sombra database for corruption.",
    positionals: [PositionalSpec("database", help: "The database file.")],
    options: [
      .flag("quiet", short: "q", help: "Print nothing on success; one summary line on failure."),
      .flag("verbose", short: "v", help: "Explain each check."),
      .flag("json", help: "Shorthand for --format json."),
      .option(
        "format", short: "f", valueName: "format", type: .choice(["text", "json"]), defaultValue: "text",
        help: "Output format."),
      .option(
        "max-errors", short: "m", valueName: "n", type: .integer(0...1_000_000), defaultValue: "100",
        help: "Stop after this many problems."),
      .option("skip", valueName: "check", isRepeating: true, help: "Skip a check."),
      .option("label", valueName: "name", help: "Only check nodes with this label."),
    ]
  )

  static let inspect = CommandSpec(
    name: "sombra-inspect",
    overview: "Show what is inside a Sombra database.",
    positionals: [PositionalSpec("database", help: "The database file.")],
    options: [.flag("json", help: "Write JSON.")],
    subcommands: [
      CommandSpec(name: "info", overview: "Show the header and counts."),
      CommandSpec(
        name: "pages",
        overview: "List pages.",
        positionals: [PositionalSpec("range", help: "Pages to list, as FIRST-LAST.", isRequired: false)],
        options: [.option("type", short: "t", valueName: "type", help: "Only pages of this type.")]
      ),
      CommandSpec(name: "check", overview: "Run the integrity checks."),
    ],
    defaultSubcommand: "info"
  )

  static let repair = CommandSpec(
    name: "sombra-repair",
    overview: "Repair a Sombra database.",
    positionals: [PositionalSpec("database", help: "The database file.")],
    subcommands: [
      CommandSpec(name: "vacuum", overview: "Rewrite the file compactly."),
      CommandSpec(name: "salvage", overview: "Copy out whatever is readable."),
    ]
  )

  static let copy = CommandSpec(
    name: "copy",
    overview: "Copy files.",
    positionals: [
      PositionalSpec("source", help: "Files to copy.", isRepeating: true)
    ]
  )
}
