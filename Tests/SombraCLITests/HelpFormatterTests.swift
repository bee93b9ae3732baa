import SombraCLI
import Testing

@Suite("Help and usage errors")
struct HelpFormatterTests {
  static let exitStatus = """
    EXIT STATUS:
      0    Success, or no problems found.
      1    Problems found, or the operation failed.
      2    Usage error.
      3    Cannot open or read the file.
      4    Busy: locked by another process.
      130  Interrupted.

    """

  @Test func helpListsArgumentsOptionsDefaultsAndExitStatusInAlignedColumns() {
    let help = HelpFormatter(root: Fixtures.verify).help(for: ["sombra-verify"], width: 80)
    #expect(
      help == """
        OVERVIEW: Check a Sombra database for corruption.

        USAGE: sombra-verify [<options>] <database>

        ARGUMENTS:
          <database>             The database file.

        OPTIONS:
          -q, --quiet            Print nothing on success; one summary line on failure.
          -v, --verbose          Explain each check.
          --json                 Shorthand for --format json.
          -f, --format <format>  Output format. (values: text, json; default: text)
          -m, --max-errors <n>   Stop after this many problems. (default: 100)
          --skip <check>         Skip a check. (repeatable)
          --label <name>         Only check nodes with this label.
          -h, --help             Show help information.


        """ + Self.exitStatus)
  }

  @Test func aToolWithAVersionListsItsOptionBeforeHelpAndPrintsOneLine() {
    var spec = Fixtures.inspect
    spec.version = "1.2.3 (format 9.9)"
    let formatter = HelpFormatter(root: spec)
    #expect(formatter.versionLine == "sombra-inspect 1.2.3 (format 9.9)")
    #expect(HelpFormatter(root: Fixtures.inspect).versionLine == nil)
    #expect(
      formatter.help(for: ["sombra-inspect"], width: 80).split(separator: "\n\n")[3] == """
        OPTIONS:
          --json      Write JSON.
          --version   Show the version.
          -h, --help  Show help information.
        """)
    #expect(
      formatter.help(for: ["sombra-inspect", "pages"], width: 80).split(separator: "\n\n")[3] == """
        OPTIONS:
          -t, --type <type>  Only pages of this type.
          --json             Write JSON.
          --version          Show the version.
          -h, --help         Show help information.
        """)
    #expect(!HelpFormatter(root: Fixtures.inspect).help(for: ["sombra-inspect"], width: 80).contains("--version"))
  }

  @Test func descriptionsWrapToTheGivenWidth() {
    let help = HelpFormatter(root: Fixtures.verify).help(for: ["sombra-verify"], width: 50)
    let options = help.split(separator: "\n\n", omittingEmptySubsequences: false)[3]
    #expect(
      options == """
        OPTIONS:
          -q, --quiet            Print nothing on success;
                                 one summary line on
                                 failure.
          -v, --verbose          Explain each check.
          --json                 Shorthand for --format
                                 json.
          -f, --format <format>  Output format. (values:
                                 text, json; default:
                                 text)
          -m, --max-errors <n>   Stop after this many
                                 problems. (default: 100)
          --skip <check>         Skip a check.
                                 (repeatable)
          --label <name>         Only check nodes with
                                 this label.
          -h, --help             Show help information.
        """)
    #expect(help.split(separator: "\n").allSatisfy { TerminalText.width(of: $0) <= 50 })
  }

  @Test func aNarrowWidthPutsDescriptionsUnderTheirLabels() {
    let help = HelpFormatter(root: Fixtures.verify).help(for: ["sombra-verify"], width: 30)
    let arguments = help.split(separator: "\n\n", omittingEmptySubsequences: false)[2]
    #expect(arguments == "ARGUMENTS:\n  <database>\n      The database file.")
  }

  @Test func helpOfAToolWithSubcommandsListsThemAndMarksTheDefault() {
    let help = HelpFormatter(root: Fixtures.inspect).help(for: ["sombra-inspect"], width: 80)
    #expect(
      help == """
        OVERVIEW: Show what is inside a Sombra database.

        USAGE: sombra-inspect [<options>] <database> [<subcommand>]

        ARGUMENTS:
          <database>  The database file.

        OPTIONS:
          --json      Write JSON.
          -h, --help  Show help information.

        SUBCOMMANDS:
          info        Show the header and counts. (default)
          pages       List pages.
          check       Run the integrity checks.


        """ + Self.exitStatus)
  }

  @Test func subcommandHelpShowsItsOwnOptionsThenInheritedOnes() {
    let help = HelpFormatter(root: Fixtures.inspect).help(for: ["sombra-inspect", "pages"], width: 80)
    #expect(
      help == """
        OVERVIEW: List pages.

        USAGE: sombra-inspect <database> pages [<options>] [<range>]

        ARGUMENTS:
          <range>            Pages to list, as FIRST-LAST.

        OPTIONS:
          -t, --type <type>  Only pages of this type.
          --json             Write JSON.
          -h, --help         Show help information.


        """ + Self.exitStatus)
  }

  @Test func aDeclaredUsageLineReplacesTheGeneratedOne() {
    var spec = Fixtures.copy
    spec.usage = "copy <source> ... <destination>"
    #expect(HelpFormatter(root: spec).usageLine(for: ["copy"]) == "copy <source> ... <destination>")
    #expect(HelpFormatter(root: Fixtures.copy).usageLine(for: ["copy"]) == "copy <source> ...")
    #expect(
      HelpFormatter(root: Fixtures.repair).usageLine(for: ["sombra-repair"])
        == "sombra-repair <database> <subcommand>")
  }

  @Test func aUsageErrorIsReportedInThreeLinesWithExitCodeTwo() throws {
    let error = try #require(throws: UsageError.self) {
      try ArgumentParser(Fixtures.verify).parse(["--verbos", "db"])
    }
    let stderr = MemoryOutput()
    let code = HelpFormatter(root: Fixtures.verify).report(error, to: stderr)
    #expect(code == .usage)
    #expect(code.rawValue == 2)
    #expect(
      stderr.text == """
        error: unknown option '--verbos'; did you mean '--verbose'?
        usage: sombra-verify [<options>] <database>
        see 'sombra-verify --help'

        """)
  }

  @Test func aUsageErrorInASubcommandPointsAtThatSubcommandsHelp() throws {
    let error = try #require(throws: UsageError.self) {
      try ArgumentParser(Fixtures.inspect).parse(["db", "pages", "1-2", "extra"])
    }
    let stderr = MemoryOutput()
    HelpFormatter(root: Fixtures.inspect).report(error, to: stderr)
    #expect(
      stderr.text == """
        error: unexpected argument 'extra'
        usage: sombra-inspect <database> pages [<options>] [<range>]
        see 'sombra-inspect pages --help'

        """)
  }

  @Test func controlCharactersInTheOffendingTokenAreEscaped() throws {
    let error = try #require(throws: UsageError.self) {
      try ArgumentParser(Fixtures.verify).parse(["a", "b\u{1B}[2J"])
    }
    let stderr = MemoryOutput()
    HelpFormatter(root: Fixtures.verify).report(error, to: stderr)
    #expect(stderr.text.hasPrefix("error: unexpected argument 'b\\u{1B}[2J'\n"))
  }

  @Test func exitCodesHaveTheDocumentedValues() {
    #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 130])
  }
}
