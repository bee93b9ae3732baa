import Logging
import SombraCore

/// The observability settings of a bench run (`--metrics`, `--log-level`), to
/// measure what metrics and logging cost (set once, before any database opens).
enum BenchObservability {
  nonisolated(unsafe) static var metrics = true
  nonisolated(unsafe) static var logLevel: String?

  /// A logger at `level` whose handler formats every event it gets and drops it.
  static func logger(_ level: String) -> Logger {
    var logger = Logger(label: "sombra", factory: { _ in DroppingHandler() })
    logger.logLevel = Logger.Level(rawValue: level) ?? .info
    return logger
  }

  struct DroppingHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
      let line = "\(event.level) \(event.message) \(event.metadata ?? [:])"
      if line.isEmpty { print(line) }  // never true: keeps the formatting from being optimized away
    }
  }
}
