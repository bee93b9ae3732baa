/// An option of a command: a flag (`--quiet`) or one taking a value
/// (`--max-errors 10`).
public struct OptionSpec: Sendable {
  /// The long name without dashes; also the lookup key in
  /// ``ParsedArguments``.
  public var long: String
  /// The optional one-letter short name, without the dash.
  public var short: Character?
  /// What the option does.
  public var help: String
  /// The value it takes; `nil` for a flag.
  public var value: ValueSpec?

  /// Declares an option; prefer ``flag(_:short:help:)`` and
  /// ``option(_:short:valueName:type:defaultValue:isRepeating:help:)``.
  public init(long: String, short: Character? = nil, help: String, value: ValueSpec? = nil) {
    self.long = long
    self.short = short
    self.help = help
    self.value = value
  }

  /// A flag: present or absent, never followed by a value.
  public static func flag(_ long: String, short: Character? = nil, help: String) -> OptionSpec {
    OptionSpec(long: long, short: short, help: help)
  }

  /// An option taking a value. A repeating option collects every value
  /// given; otherwise the last one wins.
  public static func option(
    _ long: String,
    short: Character? = nil,
    valueName: String,
    type: ValueType = .string,
    defaultValue: String? = nil,
    isRepeating: Bool = false,
    help: String
  ) -> OptionSpec {
    let value = ValueSpec(name: valueName, type: type, defaultValue: defaultValue, isRepeating: isRepeating)
    return OptionSpec(long: long, short: short, help: help, value: value)
  }

  /// `--long`, the name used in messages.
  var displayName: String { "--" + long }
}

/// The value an option takes.
public struct ValueSpec: Sendable {
  /// The name shown as `<name>` in help.
  public var name: String
  /// How the value is checked.
  public var type: ValueType
  /// The value used when the option is absent; shown in help.
  public var defaultValue: String?
  /// Whether every occurrence is kept (otherwise the last wins).
  public var isRepeating: Bool

  /// Describes an option value.
  public init(name: String, type: ValueType = .string, defaultValue: String? = nil, isRepeating: Bool = false) {
    self.name = name
    self.type = type
    self.defaultValue = defaultValue
    self.isRepeating = isRepeating
  }
}

/// The type an option value is checked against while parsing.
public enum ValueType: Sendable, Equatable {
  /// Any string, including the empty one.
  case string
  /// A decimal integer within the range.
  case integer(ClosedRange<Int>)
  /// One of the listed words, exactly.
  case choice([String])

  /// Any integer that fits `Int`.
  public static let anyInteger = ValueType.integer(Int.min...Int.max)

  /// Whether `raw` is acceptable.
  public func accepts(_ raw: String) -> Bool {
    switch self {
    case .string: true
    case .integer(let range): Int(raw).map(range.contains) ?? false
    case .choice(let words): words.contains(raw)
    }
  }

  /// What an acceptable value looks like, for error messages.
  public var expectation: String {
    switch self {
    case .string:
      "expected a string"
    case .integer(let range) where range == Int.min...Int.max:
      "expected an integer"
    case .integer(let range) where range.upperBound == Int.max:
      "expected an integer of at least \(range.lowerBound)"
    case .integer(let range):
      "expected an integer from \(range.lowerBound) to \(range.upperBound)"
    case .choice(let words):
      "expected one of " + words.map { "'\($0)'" }.joined(separator: ", ")
    }
  }
}
