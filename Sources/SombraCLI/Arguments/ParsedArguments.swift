/// The result of parsing a command line: the command chosen and the values
/// given, already validated against the declarations.
///
/// Options are looked up by long name and positionals by declared name.
/// Options not given but declared with a default report the default.
public struct ParsedArguments: Sendable, Equatable {
  /// Command names from the tool down to the chosen subcommand.
  public internal(set) var commandPath: [String]
  var optionValues: [String: [String]] = [:]
  var flagCounts: [String: Int] = [:]
  var explicitOptions: Set<String> = []
  var positionalValues: [String: [String]] = [:]

  init(commandPath: [String]) {
    self.commandPath = commandPath
  }

  /// The chosen subcommand's name, or `nil` for the tool itself.
  public var subcommand: String? {
    commandPath.count > 1 ? commandPath.last : nil
  }

  /// Whether the flag `--long` was given.
  public func flag(_ long: String) -> Bool {
    flagCount(long) > 0
  }

  /// How many times the flag `--long` was given (`-vvv` counts 3).
  public func flagCount(_ long: String) -> Int {
    flagCounts[long] ?? 0
  }

  /// Whether `--long` appeared on the command line (defaults do not count).
  public func wasGiven(_ long: String) -> Bool {
    explicitOptions.contains(long)
  }

  /// The value of `--long` (the last one given, else its default).
  public func value(_ long: String) -> String? {
    optionValues[long]?.last
  }

  /// Every value of a repeating `--long`, in command-line order.
  public func values(_ long: String) -> [String] {
    optionValues[long] ?? []
  }

  /// The value of an integer option. Parsing has validated it, so this is
  /// `nil` only when the option is absent and has no default.
  public func integer(_ long: String) -> Int? {
    value(long).flatMap { Int($0) }
  }

  /// The positional called `name`, if given.
  public func positional(_ name: String) -> String? {
    positionalValues[name]?.first
  }

  /// Every value of a repeating positional.
  public func positionals(_ name: String) -> [String] {
    positionalValues[name] ?? []
  }
}
