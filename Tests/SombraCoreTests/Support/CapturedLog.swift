import Logging
import Synchronization

/// A swift-log handler for tests: keeps every event (level, message, metadata)
/// in a shared list instead of printing it.
final class CapturedLog: Sendable {
  struct Event: Sendable {
    let level: Logger.Level
    let message: String
    let metadata: [String: String]
  }

  private let events = Mutex<[Event]>([])

  /// A logger at `level` whose events land here.
  func logger(level: Logger.Level = .trace) -> Logger {
    var logger = Logger(label: "test", factory: { _ in Handler(log: self) })
    logger.logLevel = level
    return logger
  }

  var all: [Event] { events.withLock { $0 } }

  func messages(at level: Logger.Level? = nil) -> [String] {
    all.filter { level == nil || $0.level == level }.map(\.message)
  }

  func first(_ message: String) -> Event? { all.first { $0.message == message } }

  fileprivate func append(_ event: Event) { events.withLock { $0.append(event) } }

  struct Handler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      var all: [String: String] = [:]
      for (k, v) in metadata { all[k] = "\(v)" }
      for (k, v) in event.metadata ?? [:] { all[k] = "\(v)" }
      log.append(Event(level: event.level, message: "\(event.message)", metadata: all))
    }
  }
}
