/// Where a tool reads lines from (confirmation answers, scripts). Injected
/// so tests can supply the answers.
public protocol TextInput: AnyObject {
  /// The next line without its line terminator, or `nil` at end of input.
  /// Throws when the line is longer than the input's limit (see
  /// ``LineReader``) or cannot be read.
  func readLine() throws(LineReadError) -> String?
}

/// Lines from the process's standard input (descriptor 0), at most
/// ``LineReader/defaultMaximumLineBytes`` bytes each. Bytes that are not UTF-8
/// become U+FFFD.
public final class StandardInput: TextInput {
  private let reader: LineReader

  public init(maximumLineBytes: Int = LineReader.defaultMaximumLineBytes) {
    reader = LineReader(descriptor: 0, maximumLineBytes: maximumLineBytes)
  }

  public func readLine() throws(LineReadError) -> String? {
    try reader.nextLine().map { String(decoding: $0, as: UTF8.self) }
  }
}

/// Lines supplied up front, for tests.
public final class MemoryInput: TextInput {
  private var lines: [String]
  private var next = 0

  /// Input that yields `lines` in order, then end of input.
  public init(lines: [String]) {
    self.lines = lines
  }

  public func readLine() -> String? {
    guard next < lines.count else { return nil }
    defer { next += 1 }
    return lines[next]
  }
}
