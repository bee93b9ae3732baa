/// The declaration of a command: what it accepts and how its help reads.
///
/// One declaration drives both parsing (``ArgumentParser``) and the help
/// text (``HelpFormatter``), so the two cannot drift apart.
///
/// A command may have subcommands. Its own positionals come first on the
/// command line, then the subcommand name, as in
/// `sombra-inspect graph.sombra info`. Options of every command on the path
/// are accepted anywhere after the tool name.
public struct CommandSpec: Sendable {
  /// The name typed on the command line (the tool name for the root).
  public var name: String
  /// One or two sentences saying what the command does.
  public var overview: String
  /// A hand-written usage line (without `usage: `) replacing the generated one.
  public var usage: String?
  /// Positional arguments, in order.
  public var positionals: [PositionalSpec]
  /// Options; `--help`/`-h` is implicit and must not be declared.
  public var options: [OptionSpec]
  /// Subcommands; empty for a leaf command.
  public var subcommands: [CommandSpec]
  /// The subcommand used when none is given; `nil` makes one mandatory.
  public var defaultSubcommand: String?
  /// What `--version` prints after the tool name, as in
  /// `sombra-verify 0.4.0 (format 3.1, commit 1a2b3c4, Swift 6.3.1)`;
  /// `nil`: the tool has no `--version`. Read from the root command only.
  public var version: String?

  /// Declares a command.
  public init(
    name: String,
    overview: String,
    usage: String? = nil,
    positionals: [PositionalSpec] = [],
    options: [OptionSpec] = [],
    subcommands: [CommandSpec] = [],
    defaultSubcommand: String? = nil,
    version: String? = nil
  ) {
    self.name = name
    self.overview = overview
    self.usage = usage
    self.positionals = positionals
    self.options = options
    self.subcommands = subcommands
    self.defaultSubcommand = defaultSubcommand
    self.version = version
  }

  /// The subcommand called `name`, if declared.
  public func subcommand(named name: String) -> CommandSpec? {
    subcommands.first { $0.name == name }
  }

  /// The commands from this one down along `path`; `path[0]` names this
  /// command. Unknown names end the walk early.
  public func chain(along path: [String]) -> [CommandSpec] {
    var chain = [self]
    for name in path.dropFirst() {
      guard let next = chain[chain.count - 1].subcommand(named: name) else { break }
      chain.append(next)
    }
    return chain
  }
}

/// A positional argument of a command.
public struct PositionalSpec: Sendable {
  /// The name shown as `<name>` in usage and help; also the lookup key.
  public var name: String
  /// What the argument is.
  public var help: String
  /// Whether parsing fails when the argument is missing.
  public var isRequired: Bool
  /// Whether it collects every remaining positional (only the last one may).
  public var isRepeating: Bool

  /// Declares a positional argument.
  public init(_ name: String, help: String, isRequired: Bool = true, isRepeating: Bool = false) {
    self.name = name
    self.help = help
    self.isRequired = isRequired
    self.isRepeating = isRepeating
  }

  /// The form shown in usage lines: `<db>`, `[<db>]`, `<file> ...`.
  var usageForm: String {
    let base = "<\(name)>" + (isRepeating ? " ..." : "")
    return isRequired ? base : "[\(base)]"
  }
}
