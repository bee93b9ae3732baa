/// Help, usage lines and usage-error reports generated from a
/// ``CommandSpec``, in the style of swift-argument-parser:
///
/// ```
/// OVERVIEW: Check a Sombra database for corruption.
///
/// USAGE: sombra-verify [<options>] <database>
///
/// ARGUMENTS:
///   <database>          The database file.
///
/// OPTIONS:
///   -q, --quiet         Print nothing on success.
///   -h, --help          Show help information.
///
/// EXIT STATUS:
///   0    Success, or no problems found.
///   ...
/// ```
///
/// Labels sit two columns in; descriptions start two columns after the
/// longest label (labels longer than 30 columns put their description on
/// the next line) and wrap to the width. When fewer than 20 columns would be
/// left for descriptions, every description goes under its label, indented
/// six columns.
public struct HelpFormatter: Sendable {
  /// The tool's declaration.
  public let root: CommandSpec

  /// A formatter for the tool declared by `root`.
  public init(root: CommandSpec) {
    self.root = root
  }

  /// The full help for the command at `commandPath` (tool name first),
  /// wrapped to `width` columns; ends in a newline.
  public func help(for commandPath: [String], width: Int) -> String {
    let chain = root.chain(along: commandPath)
    let command = chain[chain.count - 1]
    var sections: [String] = []
    sections.append(TerminalText.wrap("OVERVIEW: " + command.overview, width: width).joined(separator: "\n"))
    sections.append("USAGE: " + usageLine(for: commandPath))

    var rows: [[(String, String)]] = []
    let arguments = command.positionals.map { ($0.usageForm.trimmingBrackets, $0.help) }
    let inherited = chain.dropLast().reversed().flatMap(\.options)
    let options =
      (command.options + inherited).map { ($0.helpLabel, $0.helpDescription) }
      + (root.version != nil ? [("--version", "Show the version.")] : [])
      + [("-h, --help", "Show help information.")]
    let subcommands = command.subcommands.map { sub in
      (sub.name, sub.overview + (sub.name == command.defaultSubcommand ? " (default)" : ""))
    }
    rows = [arguments, options, subcommands]
    let column = 2 + min(rows.joined().map { TerminalText.width(of: $0.0) }.max() ?? 0, 30) + 2
    for (title, entries) in zip(["ARGUMENTS:", "OPTIONS:", "SUBCOMMANDS:"], rows) where !entries.isEmpty {
      sections.append(([title] + Self.twoColumns(entries, column: column, width: width)).joined(separator: "\n"))
    }
    let codes = ExitCode.allCases.map { (String($0.rawValue), $0.meaning) }
    sections.append((["EXIT STATUS:"] + Self.twoColumns(codes, column: 7, width: width)).joined(separator: "\n"))
    return sections.joined(separator: "\n\n") + "\n"
  }

  /// `TOOL VERSION`, the one line `--version` prints (without its newline);
  /// `nil` when the tool declares no version.
  public var versionLine: String? {
    root.version.map { root.name + " " + $0 }
  }

  /// The usage line (without `usage: `) of the command at `commandPath`:
  /// the declared one, or the path with each parent's positionals, then
  /// `[<options>]`, the command's positionals and `<subcommand>`.
  public func usageLine(for commandPath: [String]) -> String {
    let chain = root.chain(along: commandPath)
    let command = chain[chain.count - 1]
    if let usage = command.usage { return usage }
    var words: [String] = []
    for parent in chain.dropLast() {
      words.append(parent.name)
      words += parent.positionals.map(\.usageForm)
    }
    words.append(command.name)
    if chain.contains(where: { !$0.options.isEmpty }) { words.append("[<options>]") }
    words += command.positionals.map(\.usageForm)
    if !command.subcommands.isEmpty {
      words.append(command.defaultSubcommand == nil ? "<subcommand>" : "[<subcommand>]")
    }
    return words.joined(separator: " ")
  }

  /// Writes the three-line report of `error` (`error: …`, `usage: …`,
  /// `see 'TOOL [SUBCOMMAND] --help'`) to `output`, usually standard
  /// error, and returns ``ExitCode/usage``.
  @discardableResult
  public func report(_ error: UsageError, to output: any TextOutput) -> ExitCode {
    let chain = root.chain(along: error.commandPath)
    output.writeLine("error: " + TerminalText.escapingControlCharacters(error.message))
    output.writeLine("usage: " + usageLine(for: error.commandPath))
    output.writeLine("see '" + chain.map(\.name).joined(separator: " ") + " --help'")
    return .usage
  }

  /// Label/description rows, descriptions starting at `column`.
  static func twoColumns(_ entries: [(String, String)], column: Int, width: Int) -> [String] {
    let stacked = width - column < 20
    let descriptionColumn = stacked ? 6 : column
    let indent = String(repeating: " ", count: descriptionColumn)
    var lines: [String] = []
    for (label, description) in entries {
      let wrapped = TerminalText.wrap(description, width: width - descriptionColumn)
      let labelWidth = 2 + TerminalText.width(of: label)
      if stacked || labelWidth + 2 > descriptionColumn {
        lines.append("  " + label)
        lines += wrapped.map { indent + $0 }
      } else {
        lines.append("  " + TerminalText.pad(label, toWidth: descriptionColumn - 2) + wrapped[0])
        lines += wrapped.dropFirst().map { indent + $0 }
      }
    }
    return lines
  }
}

extension OptionSpec {
  /// `-q, --quiet` or `--max-errors <n>`.
  var helpLabel: String {
    var label = short.map { "-\($0), " } ?? ""
    label += displayName
    if let value { label += " <\(value.name)>" }
    return label
  }

  /// The help text with its choices, default and repetition noted.
  var helpDescription: String {
    var notes: [String] = []
    if case .choice(let words)? = value?.type { notes.append("values: " + words.joined(separator: ", ")) }
    if let fallback = value?.defaultValue { notes.append("default: " + fallback) }
    if value?.isRepeating == true { notes.append("repeatable") }
    return notes.isEmpty ? help : help + " (" + notes.joined(separator: "; ") + ")"
  }
}

extension String {
  /// `[<db>]` → `<db>`: the ARGUMENTS section lists names without the
  /// optional brackets.
  fileprivate var trimmingBrackets: String {
    hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
  }
}
