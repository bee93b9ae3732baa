import Logging
import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The tools' logging: `--log-level LEVEL` (or `SOMBRA_LOG_LEVEL`) and
/// `--log-format text|json`. Without either level nothing is logged. Events of
/// the engine go through ``ToolLogHandler``, one line each on stderr:
///
/// ```
/// 2026-01-02T03:04:05.678Z warning sombra: slow operation duration_ms=120.000 operation=commit
/// {"ts":"2026-01-02T03:04:05.678Z","level":"warning","label":"sombra","message":"slow operation","metadata":{"operation":"commit"}}
/// ```
public struct ToolLogging: Sendable {
  /// `--log-level` and `--log-format`, for a tool's root command.
  public static let specs: [OptionSpec] = [
    .option(
      "log-level", valueName: "level", type: .choice(Logger.Level.allCases.map(\.rawValue)),
      help: "Log the engine's events at this level and above to stderr (default: $SOMBRA_LOG_LEVEL, else none)."),
    .option(
      "log-format", valueName: "format", type: .choice(["text", "json"]), defaultValue: "text",
      help: "Log lines as text or as JSON objects (one per line)."),
  ]

  /// A logger that drops everything (the tools' default).
  public static let silent = Logger(label: "sombra", factory: { _ in SwiftLogNoOpLogHandler() })

  /// The level asked for, nil for no logging.
  public var level: Logger.Level?
  /// JSON lines instead of text.
  public var json: Bool

  /// The choice of the command line (`--log-level` wins over `SOMBRA_LOG_LEVEL`;
  /// an unknown value of the variable is ignored).
  public init(_ parsed: ParsedArguments, environment: [String: String]) {
    level = (parsed.value("log-level") ?? environment["SOMBRA_LOG_LEVEL"]).flatMap { Logger.Level(rawValue: $0.lowercased()) }
    json = parsed.value("log-format") == "json"
  }

  /// A logger writing to `output`, or a no-op logger when no level was asked for.
  public func logger(to output: any TextOutput, clock: @escaping @Sendable () -> String = ToolLogHandler.utcTimestamp) -> Logger {
    guard let level else { return Self.silent }
    let sink = UncheckedOutput(output: output)
    var logger = Logger(
      label: "sombra", factory: { label in ToolLogHandler(label: label, json: json, clock: clock) { sink.output.write($0) } })
    logger.logLevel = level
    return logger
  }
}

/// A text output shared with the log handler (the tools are single-threaded
/// except for the engine's own callers, and `TextOutput` writes are whole lines).
private struct UncheckedOutput: @unchecked Sendable {
  let output: any TextOutput
}

/// A swift-log handler writing one line per event: `TIME LEVEL LABEL: MESSAGE
/// key=value ...` (metadata sorted by key, control characters escaped) or a
/// JSON object per line.
public struct ToolLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info
  let label: String
  let json: Bool
  let clock: @Sendable () -> String
  let write: @Sendable (String) -> Void

  /// A handler for `label` writing lines through `write`.
  public init(label: String, json: Bool, clock: @escaping @Sendable () -> String, write: @escaping @Sendable (String) -> Void) {
    self.label = label
    self.json = json
    self.clock = clock
    self.write = write
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var all = metadata
    for (k, v) in event.metadata ?? [:] { all[k] = v }
    let keys = all.keys.sorted()
    if json {
      var fields = ["\"ts\":" + quote(clock()), "\"level\":" + quote(event.level.rawValue), "\"label\":" + quote(label)]
      fields.append("\"message\":" + quote("\(event.message)"))
      fields.append("\"metadata\":{" + keys.map { quote($0) + ":" + quote("\(all[$0] ?? "")") }.joined(separator: ",") + "}")
      write("{" + fields.joined(separator: ",") + "}\n")
    } else {
      var line = "\(clock()) \(event.level.rawValue) \(label): \(event.message)"
      for k in keys { line += " \(k)=\(all[k].map { "\($0)" } ?? "")" }
      write(TerminalText.escapingControlCharacters(line) + "\n")
    }
  }

  /// A JSON string literal.
  func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// Now in UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
  public static let utcTimestamp: @Sendable () -> String = {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var seconds = now.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let millis = now.tv_nsec / 1_000_000
    let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
    return
      "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
  }
}
