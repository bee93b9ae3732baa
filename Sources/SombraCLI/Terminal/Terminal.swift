import Glibc

/// What the terminal around a tool can do, decided once at start-up from
/// the environment and the standard descriptors (DESIGN.md §6).
///
/// - Width: the window width (`TIOCGWINSZ`) when stdout is a terminal, else
///   `COLUMNS` when it is a positive integer, else 80.
/// - UTF-8: the first non-empty of `LC_ALL`, `LC_CTYPE`, `LANG` names UTF-8
///   (`UTF-8` or `utf8`, any case). Unset, `C` and `POSIX` are not UTF-8.
/// - Box drawing and `…` when stdout is a terminal, the locale is UTF-8 and
///   `--ascii` was not given; ASCII otherwise, so piped output stays plain for
///   scripts.
/// - Colour only when stdout is a terminal, `NO_COLOR` is unset or empty, and
///   `TERM` is not `dumb`.
public struct Terminal: Sendable, Equatable {
  /// Whether standard input is a terminal (scripts are not).
  public var standardInputIsTerminal: Bool
  /// Whether standard output is a terminal.
  public var standardOutputIsTerminal: Bool
  /// Whether standard error is a terminal (progress lines need one).
  public var standardErrorIsTerminal: Bool
  /// Columns available for output; at least 1.
  public var width: Int
  /// Whether the locale's character encoding is UTF-8.
  public var isUTF8: Bool
  /// Whether ANSI colour may be used on standard output.
  public var usesColor: Bool
  /// Whether `--ascii` forced ASCII rendering.
  public var forcesASCII: Bool

  /// The environment variables the decision reads.
  public static let variables = ["COLUMNS", "LC_ALL", "LC_CTYPE", "LANG", "NO_COLOR", "TERM"]

  /// Capabilities from explicit facts; `windowWidth` is what `TIOCGWINSZ`
  /// reported for stdout, if anything.
  public init(
    environment: [String: String],
    standardInputIsTerminal: Bool,
    standardOutputIsTerminal: Bool,
    standardErrorIsTerminal: Bool,
    windowWidth: Int? = nil,
    forcesASCII: Bool = false
  ) {
    self.standardInputIsTerminal = standardInputIsTerminal
    self.standardOutputIsTerminal = standardOutputIsTerminal
    self.standardErrorIsTerminal = standardErrorIsTerminal
    self.forcesASCII = forcesASCII
    let fromWindow = standardOutputIsTerminal ? windowWidth.flatMap(Self.plausibleWidth) : nil
    let fromColumns = environment["COLUMNS"].flatMap { Int($0) }.flatMap(Self.plausibleWidth)
    width = fromWindow ?? fromColumns ?? 80
    isUTF8 = Self.localeIsUTF8(environment)
    let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
    usesColor = standardOutputIsTerminal && !noColor && environment["TERM"] != "dumb"
  }

  /// Capabilities of the running process: `isatty` on the three standard
  /// descriptors and `TIOCGWINSZ` on stdout, with the given environment
  /// (usually ``processEnvironment()``).
  public static func detect(environment: [String: String], forcesASCII: Bool = false) -> Terminal {
    Terminal(
      environment: environment,
      standardInputIsTerminal: isatty(0) == 1,
      standardOutputIsTerminal: isatty(1) == 1,
      standardErrorIsTerminal: isatty(2) == 1,
      windowWidth: windowWidth(of: 1),
      forcesASCII: forcesASCII
    )
  }

  /// The process's values of ``variables`` (unset ones are absent).
  public static func processEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    for name in variables {
      if let value = getenv(name) {
        environment[name] = String(cString: value)
      }
    }
    return environment
  }

  /// Whether box-drawing characters and `…` may be used: on a UTF-8 terminal,
  /// unless `--ascii` (DESIGN.md §6); piped output stays ASCII for scripts.
  public var usesUnicode: Bool { isUTF8 && standardOutputIsTerminal && !forcesASCII }

  /// The box style matching ``usesUnicode``.
  public var boxStyle: BoxStyle { usesUnicode ? .unicode : .ascii }

  /// `text` wrapped in the ANSI codes for `style` when colour is on.
  public func styled(_ text: String, _ style: TextStyle) -> String {
    usesColor ? "\u{1B}[\(style.rawValue)m" + text + "\u{1B}[0m" : text
  }

  /// The column count of the terminal on `descriptor`, if it is one.
  public static func windowWidth(of descriptor: Int32) -> Int? {
    var size = winsize()
    guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 else { return nil }
    return plausibleWidth(Int(size.ws_col))
  }

  static func plausibleWidth(_ width: Int) -> Int? {
    (1...10_000).contains(width) ? width : nil
  }

  static func localeIsUTF8(_ environment: [String: String]) -> Bool {
    let names = ["LC_ALL", "LC_CTYPE", "LANG"]
    guard let locale = names.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) else {
      return false
    }
    let normalized = locale.lowercased()
    return normalized.contains("utf-8") || normalized.contains("utf8")
  }
}

/// ANSI text styles for ``Terminal/styled(_:_:)``.
public enum TextStyle: String, Sendable {
  /// Bold.
  case bold = "1"
  /// Dim.
  case dim = "2"
  /// Red foreground, for errors.
  case red = "31"
  /// Green foreground, for success.
  case green = "32"
  /// Yellow foreground, for warnings.
  case yellow = "33"
}
