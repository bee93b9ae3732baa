/// Parses a command line against a ``CommandSpec``.
///
/// Accepted syntax: `--long`, `--long=value`, `--long value`, `-s`,
/// `-s value`, bundled short flags `-abc` (only the last may take a value),
/// `--` ending options, options before or after positionals, and `-` or a
/// negative number as a positional. A value-taking option takes the next
/// token as its value unless that token looks like an option; write
/// `--name=-x` for a value starting with a dash. A non-repeating option given
/// twice keeps the last value.
///
/// `--help` or `-h` anywhere before `--` asks for help, even when the rest of
/// the line has mistakes; the help is for the deepest subcommand named.
/// `--version` anywhere before `--` asks for the version line in the same way
/// when the tool declares one (``CommandSpec/version``); help wins over it.
public struct ArgumentParser: Sendable {
  /// The tool's declaration.
  public let root: CommandSpec

  /// A parser for the tool declared by `root`.
  public init(_ root: CommandSpec) {
    self.root = root
  }

  /// Parses `arguments` (without the program name).
  public func parse(_ arguments: [String]) throws(UsageError) -> ParseOutcome {
    let options = arguments.prefix { $0 != "--" }
    let helpAnywhere = options.contains { $0 == "--help" || $0 == "-h" }
    let versionAnywhere = root.version != nil && options.contains("--version")
    var session = ParseSession(root: root, helpRequested: helpAnywhere)
    do throws(UsageError) {
      try session.consume(arguments)
      if session.helpRequested { return .help(commandPath: session.path) }
      if versionAnywhere { return .version }
      return .run(try session.finish())
    } catch {
      if session.helpRequested { return .help(commandPath: session.path) }
      if versionAnywhere { return .version }
      throw error
    }
  }
}

/// The mutable state of one parse.
struct ParseSession {
  var chain: [CommandSpec]
  var helpRequested: Bool
  var result: ParsedArguments
  /// The next positional slot of the innermost command.
  var positionalIndex = 0

  init(root: CommandSpec, helpRequested: Bool) {
    chain = [root]
    self.helpRequested = helpRequested
    result = ParsedArguments(commandPath: [root.name])
  }

  var path: [String] { chain.map(\.name) }
  var current: CommandSpec { chain[chain.count - 1] }

  func error(_ message: String) -> UsageError {
    UsageError(message, commandPath: path)
  }

  mutating func consume(_ arguments: [String]) throws(UsageError) {
    var index = 0
    var optionsEnded = false
    while index < arguments.count {
      let token = arguments[index]
      index += 1
      if optionsEnded {
        try addPositional(token, mayBeSubcommand: false)
      } else if token == "--" {
        optionsEnded = true
      } else if token == "--help" || token == "-h" {
        helpRequested = true
      } else if token == "--version", chain[0].version != nil {
        continue
      } else if token.hasPrefix("--") {
        try longOption(token, arguments, &index)
      } else if token.hasPrefix("-"), token.count > 1, !Self.isNegativeNumber(token) {
        try shortOptions(token, arguments, &index)
      } else {
        try addPositional(token, mayBeSubcommand: true)
      }
    }
  }

  /// Checks what must be present, picks default subcommands and fills in
  /// default values.
  mutating func finish() throws(UsageError) -> ParsedArguments {
    while true {
      for positional in current.positionals where positional.isRequired {
        if result.positionals(positional.name).isEmpty {
          throw error("missing required argument '<\(positional.name)>'")
        }
      }
      guard !current.subcommands.isEmpty else { break }
      guard let name = current.defaultSubcommand, let next = current.subcommand(named: name) else {
        let names = current.subcommands.map { "'\($0.name)'" }.joined(separator: ", ")
        throw error("missing subcommand; expected one of \(names)")
      }
      descend(into: next)
    }
    for command in chain {
      for option in command.options {
        if let value = option.value, let fallback = value.defaultValue, result.optionValues[option.long] == nil {
          result.optionValues[option.long] = [fallback]
        }
      }
    }
    return result
  }

  // MARK: Tokens

  mutating func longOption(_ token: String, _ arguments: [String], _ index: inout Int) throws(UsageError) {
    let body = token.dropFirst(2)
    let name: String
    var inlineValue: String?
    if let equals = body.firstIndex(of: "=") {
      name = String(body[..<equals])
      inlineValue = String(body[body.index(after: equals)...])
    } else {
      name = String(body)
    }
    if name == "version", chain[0].version != nil, inlineValue != nil {
      throw error("option '--version' does not take a value")
    }
    guard let option = lookup({ $0.long == name }) else {
      let known = chain.flatMap { $0.options.map(\.long) } + ["help"] + (chain[0].version != nil ? ["version"] : [])
      var message = "unknown option '--\(name)'"
      if let guess = Suggestion.closest(to: name, among: known) {
        message += "; did you mean '--\(guess)'?"
      }
      throw error(message)
    }
    guard option.value != nil else {
      if inlineValue != nil { throw error("option '--\(name)' does not take a value") }
      record(flag: option)
      return
    }
    let value: String
    if let inlineValue {
      value = inlineValue
    } else {
      value = try takeValue(for: "--\(name)", arguments, &index)
    }
    try record(option, value: value, spelled: "--\(name)")
  }

  mutating func shortOptions(_ token: String, _ arguments: [String], _ index: inout Int) throws(UsageError) {
    let letters = Array(token.dropFirst())
    for (position, letter) in letters.enumerated() {
      guard let option = lookup({ $0.short == letter }) else {
        if letter == "h" {
          helpRequested = true
          continue
        }
        let context = letters.count > 1 ? " in '\(token)'" : ""
        throw error("unknown option '-\(letter)'\(context)")
      }
      guard option.value != nil else {
        record(flag: option)
        continue
      }
      guard position == letters.count - 1 else {
        throw error("option '-\(letter)' takes a value and must come last in '\(token)'")
      }
      let value = try takeValue(for: "-\(letter)", arguments, &index)
      try record(option, value: value, spelled: "-\(letter)")
    }
  }

  mutating func addPositional(_ token: String, mayBeSubcommand: Bool) throws(UsageError) {
    let command = current
    if mayBeSubcommand, let next = command.subcommand(named: token) {
      let requiredFilled = command.positionals.allSatisfy {
        !$0.isRequired || !result.positionals($0.name).isEmpty
      }
      if requiredFilled || helpRequested {
        descend(into: next)
        return
      }
    }
    if positionalIndex < command.positionals.count {
      let positional = command.positionals[positionalIndex]
      result.positionalValues[positional.name, default: []].append(token)
      if !positional.isRepeating { positionalIndex += 1 }
      return
    }
    if mayBeSubcommand, !command.subcommands.isEmpty {
      var message = "unknown subcommand '\(token)'"
      if let guess = Suggestion.closest(to: token, among: command.subcommands.map(\.name)) {
        message += "; did you mean '\(guess)'?"
      }
      throw error(message)
    }
    throw error("unexpected argument '\(token)'")
  }

  // MARK: Helpers

  mutating func descend(into command: CommandSpec) {
    chain.append(command)
    result.commandPath.append(command.name)
    positionalIndex = 0
  }

  /// The innermost declaration matching, so a subcommand may shadow a
  /// parent option.
  func lookup(_ matches: (OptionSpec) -> Bool) -> OptionSpec? {
    for command in chain.reversed() {
      if let option = command.options.first(where: matches) { return option }
    }
    return nil
  }

  func takeValue(for spelled: String, _ arguments: [String], _ index: inout Int) throws(UsageError) -> String {
    guard index < arguments.count else { throw error("missing value for '\(spelled)'") }
    let next = arguments[index]
    if next.hasPrefix("-"), next != "-", !Self.isNegativeNumber(next) {
      throw error("missing value for '\(spelled)'")
    }
    index += 1
    return next
  }

  mutating func record(flag option: OptionSpec) {
    result.flagCounts[option.long, default: 0] += 1
    result.explicitOptions.insert(option.long)
  }

  mutating func record(_ option: OptionSpec, value: String, spelled: String) throws(UsageError) {
    guard let spec = option.value else { return }
    guard spec.type.accepts(value) else {
      throw error("invalid value '\(value)' for '\(spelled)': \(spec.type.expectation)")
    }
    if spec.isRepeating {
      result.optionValues[option.long, default: []].append(value)
    } else {
      result.optionValues[option.long] = [value]
    }
    result.explicitOptions.insert(option.long)
  }

  /// `-5`, `-0.25`: a value or positional, not a cluster of short options.
  static func isNegativeNumber(_ token: String) -> Bool {
    let rest = token.utf8.dropFirst()
    guard token.utf8.first == UInt8(ascii: "-"), let first = rest.first, (48...57).contains(first) else {
      return false
    }
    return rest.allSatisfy { (48...57).contains($0) || $0 == UInt8(ascii: ".") }
  }
}
