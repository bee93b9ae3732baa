import SombraCLI
import Testing

@Suite("Argument parser")
struct ArgumentParserTests {
  func run(_ spec: CommandSpec, _ arguments: [String]) throws -> ParsedArguments {
    let outcome = try ArgumentParser(spec).parse(arguments)
    guard case .run(let parsed) = outcome else {
      Issue.record("expected arguments, got \(outcome)")
      return try #require(nil as ParsedArguments?)
    }
    return parsed
  }

  func message(_ spec: CommandSpec, _ arguments: [String]) -> String? {
    do {
      _ = try ArgumentParser(spec).parse(arguments)
      return nil
    } catch {
      return error.message
    }
  }

  @Test func longShortAndInlineValuesAreAllAccepted() throws {
    let parsed = try run(Fixtures.verify, ["--max-errors", "5", "db", "-f", "json", "--label=Person"])
    #expect(parsed.positional("database") == "db")
    #expect(parsed.integer("max-errors") == 5)
    #expect(parsed.value("format") == "json")
    #expect(parsed.value("label") == "Person")
    #expect(parsed.commandPath == ["sombra-verify"])
  }

  @Test func absentOptionsReportTheirDefaultsButNotAsGiven() throws {
    let parsed = try run(Fixtures.verify, ["db"])
    #expect(parsed.value("format") == "text")
    #expect(parsed.integer("max-errors") == 100)
    #expect(parsed.wasGiven("format") == false)
    #expect(parsed.value("label") == nil)
    #expect(parsed.flag("quiet") == false)
  }

  @Test func bundledShortFlagsSetEachFlagAndTheLastMayTakeAValue() throws {
    let parsed = try run(Fixtures.verify, ["-qvm", "7", "db"])
    #expect(parsed.flag("quiet"))
    #expect(parsed.flag("verbose"))
    #expect(parsed.integer("max-errors") == 7)
  }

  @Test func aValueTakingShortOptionInTheMiddleOfABundleIsAnError() {
    #expect(message(Fixtures.verify, ["-mq", "db"]) == "option '-m' takes a value and must come last in '-mq'")
  }

  @Test func repeatedFlagsAreCounted() throws {
    let parsed = try run(Fixtures.verify, ["-vv", "--verbose", "db"])
    #expect(parsed.flagCount("verbose") == 3)
  }

  @Test func repeatingOptionsCollectEveryValueInOrder() throws {
    let parsed = try run(Fixtures.verify, ["--skip", "edges", "db", "--skip=labels"])
    #expect(parsed.values("skip") == ["edges", "labels"])
  }

  @Test func aNonRepeatingOptionGivenTwiceKeepsTheLastValue() throws {
    let parsed = try run(Fixtures.verify, ["--label", "A", "--label", "B", "db"])
    #expect(parsed.values("label") == ["B"])
  }

  @Test func anEmptyInlineValueIsAnEmptyStringForStringOptions() throws {
    let parsed = try run(Fixtures.verify, ["--label=", "db"])
    #expect(parsed.value("label") == "")
  }

  @Test func anEmptyInlineValueIsInvalidForIntegerOptions() {
    #expect(
      message(Fixtures.verify, ["--max-errors=", "db"])
        == "invalid value '' for '--max-errors': expected an integer from 0 to 1000000")
  }

  @Test func theTerminatorMakesEverythingAfterItPositional() throws {
    let parsed = try run(Fixtures.verify, ["-q", "--", "--help"])
    #expect(parsed.positional("database") == "--help")
    #expect(parsed.flag("quiet"))
  }

  @Test func aSingleDashAndNegativeNumbersArePositionals() throws {
    #expect(try run(Fixtures.verify, ["-"]).positional("database") == "-")
    #expect(try run(Fixtures.verify, ["-12"]).positional("database") == "-12")
  }

  @Test func aRepeatingPositionalCollectsTheRest() throws {
    let parsed = try run(Fixtures.copy, ["a", "b", "c"])
    #expect(parsed.positionals("source") == ["a", "b", "c"])
  }

  @Test func anUnknownLongOptionSuggestsTheClosestName() {
    #expect(message(Fixtures.verify, ["--verbos", "db"]) == "unknown option '--verbos'; did you mean '--verbose'?")
    #expect(message(Fixtures.verify, ["--foramt", "json"]) == "unknown option '--foramt'; did you mean '--format'?")
  }

  @Test func anUnknownOptionFarFromEveryNameGetsNoSuggestion() {
    #expect(message(Fixtures.verify, ["--colour", "db"]) == "unknown option '--colour'")
  }

  @Test func anUnknownShortOptionIsNamedWithItsBundle() {
    #expect(message(Fixtures.verify, ["-x", "db"]) == "unknown option '-x'")
    #expect(message(Fixtures.verify, ["-qx", "db"]) == "unknown option '-x' in '-qx'")
  }

  @Test func aFlagGivenAValueIsAnError() {
    #expect(message(Fixtures.verify, ["--quiet=yes", "db"]) == "option '--quiet' does not take a value")
  }

  @Test func aMissingValueIsReportedAtTheEndOrBeforeAnotherOption() {
    #expect(message(Fixtures.verify, ["db", "--max-errors"]) == "missing value for '--max-errors'")
    #expect(message(Fixtures.verify, ["db", "-m", "--quiet"]) == "missing value for '-m'")
  }

  @Test func invalidValuesSayWhatWasExpected() {
    #expect(
      message(Fixtures.verify, ["--max-errors", "abc", "db"])
        == "invalid value 'abc' for '--max-errors': expected an integer from 0 to 1000000")
    #expect(
      message(Fixtures.verify, ["-m", "2000000", "db"])
        == "invalid value '2000000' for '-m': expected an integer from 0 to 1000000")
    #expect(
      message(Fixtures.verify, ["--format", "xml", "db"])
        == "invalid value 'xml' for '--format': expected one of 'text', 'json'")
  }

  @Test func missingAndExtraPositionalsAreErrors() {
    #expect(message(Fixtures.verify, ["-q"]) == "missing required argument '<database>'")
    #expect(message(Fixtures.verify, ["a", "b"]) == "unexpected argument 'b'")
  }

  @Test func subcommandsFollowTheParentPositionalsAndAcceptParentOptions() throws {
    let parsed = try run(Fixtures.inspect, ["graph.sombra", "pages", "3-9", "--json", "-t", "btree"])
    #expect(parsed.commandPath == ["sombra-inspect", "pages"])
    #expect(parsed.subcommand == "pages")
    #expect(parsed.positional("database") == "graph.sombra")
    #expect(parsed.positional("range") == "3-9")
    #expect(parsed.flag("json"))
    #expect(parsed.value("type") == "btree")
  }

  @Test func theDefaultSubcommandIsUsedWhenNoneIsGiven() throws {
    let parsed = try run(Fixtures.inspect, ["graph.sombra"])
    #expect(parsed.commandPath == ["sombra-inspect", "info"])
  }

  @Test func aDatabaseNamedLikeASubcommandIsStillTheDatabase() throws {
    let parsed = try run(Fixtures.inspect, ["info", "check"])
    #expect(parsed.positional("database") == "info")
    #expect(parsed.subcommand == "check")
  }

  @Test func anUnknownSubcommandSuggestsTheClosestOne() {
    #expect(message(Fixtures.inspect, ["db", "chek"]) == "unknown subcommand 'chek'; did you mean 'check'?")
    #expect(message(Fixtures.inspect, ["db", "zzz"]) == "unknown subcommand 'zzz'")
  }

  @Test func aMissingSubcommandWithoutDefaultListsTheChoices() {
    #expect(message(Fixtures.repair, ["db"]) == "missing subcommand; expected one of 'vacuum', 'salvage'")
  }

  @Test func subcommandOptionsAreUnknownToTheParent() throws {
    let error = try #require(throws: UsageError.self) {
      try ArgumentParser(Fixtures.inspect).parse(["db", "--type", "x", "pages"])
    }
    #expect(error.message == "unknown option '--type'")
    #expect(error.commandPath == ["sombra-inspect"])
  }

  @Test func helpAnywhereWinsEvenOverMistakes() throws {
    let parser = ArgumentParser(Fixtures.verify)
    #expect(try parser.parse(["--bogus", "-h"]) == .help(commandPath: ["sombra-verify"]))
    #expect(try parser.parse(["db", "--help", "extra", "more"]) == .help(commandPath: ["sombra-verify"]))
    #expect(try parser.parse(["-qh"]) == .help(commandPath: ["sombra-verify"]))
  }

  @Test func helpAfterASubcommandIsForThatSubcommandEvenWithoutTheDatabase() throws {
    let parser = ArgumentParser(Fixtures.inspect)
    #expect(try parser.parse(["pages", "--help"]) == .help(commandPath: ["sombra-inspect", "pages"]))
    #expect(try parser.parse(["db", "pages", "-h"]) == .help(commandPath: ["sombra-inspect", "pages"]))
  }

  @Test func versionAnywhereBeforeTheTerminatorWinsOverMistakesButNotOverHelp() throws {
    var spec = Fixtures.inspect
    spec.version = "1.2.3 (test)"
    let parser = ArgumentParser(spec)
    #expect(try parser.parse(["--version"]) == .version)
    #expect(try parser.parse(["db", "pages", "--version"]) == .version)
    #expect(try parser.parse(["--bogus", "--version", "extra"]) == .version)
    #expect(try parser.parse(["--version", "--help"]) == .help(commandPath: ["sombra-inspect"]))
    guard case .run(let parsed) = try parser.parse(["--", "--version"]) else {
      Issue.record("after --, --version is a positional")
      return
    }
    #expect(parsed.positional("database") == "--version")
    #expect(message(spec, ["--version=2"]) == "option '--version' does not take a value")
    #expect(message(spec, ["--verison"]) == "unknown option '--verison'; did you mean '--version'?")
  }

  @Test func aToolWithoutAVersionDoesNotKnowTheOption() {
    #expect(message(Fixtures.inspect, ["db", "--version"]) == "unknown option '--version'")
  }

  @Test func shortNamesAllowOneEditAndLongNamesTwo() {
    #expect(message(Fixtures.verify, ["--jsno", "db"]) == "unknown option '--jsno'; did you mean '--json'?")
    #expect(message(Fixtures.verify, ["--jn", "db"]) == "unknown option '--jn'")
    #expect(
      message(Fixtures.verify, ["--max-erors", "db"])
        == "unknown option '--max-erors'; did you mean '--max-errors'?")
    #expect(
      message(Fixtures.verify, ["--maxerror", "db"])
        == "unknown option '--maxerror'; did you mean '--max-errors'?")
  }
}
