import Glibc

/// Lines from a file descriptor with a bound on memory: a line may hold at most
/// `maximumLineBytes` bytes, so no input (a file with a 10 GB line, `/dev/zero`)
/// can make the reader grow without limit.
///
/// Invariants:
/// 1. Memory is one 64 KiB read buffer plus the line being assembled, which
///    never exceeds `maximumLineBytes`.
/// 2. A line ends at `\n`; a `\r` just before it is dropped too. The last line
///    of the input needs no `\n`.
/// 3. A line over the limit throws ``LineReadError/tooLong(line:limit:)``; the
///    next call goes on after the end of that line (its bytes are read and
///    dropped, never stored).
/// 4. `read(2)` interrupted by a signal is retried; any other failure throws
///    ``LineReadError/io(line:errno:)``.
public final class LineReader {
  /// The limit every tool documents for one line of a script or an import
  /// file: 16 MiB.
  public static let defaultMaximumLineBytes = 16 << 20

  public let maximumLineBytes: Int
  /// The number of the line the last call returned (or failed on); 1-based.
  public private(set) var lineNumber = 0
  /// Bytes taken from the descriptor so far (for progress).
  public private(set) var bytesRead: UInt64 = 0

  private let descriptor: Int32
  private var buffer: [UInt8]
  private var start = 0
  private var end = 0
  private var atEnd = false
  private var skippingLongLine = false

  /// Reads `descriptor`, which the caller owns and closes.
  public init(descriptor: Int32, maximumLineBytes: Int = LineReader.defaultMaximumLineBytes) {
    self.descriptor = descriptor
    self.maximumLineBytes = max(1, maximumLineBytes)
    buffer = [UInt8](repeating: 0, count: 1 << 16)
  }

  /// The next line without its terminator, or `nil` at the end of input.
  public func nextLine() throws(LineReadError) -> [UInt8]? {
    var line: [UInt8] = []
    var sawBytes = false
    while true {
      if start == end {
        if atEnd { break }
        try refill()
        continue
      }
      let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n"))
      let stop = newline ?? end
      if skippingLongLine {
        start = newline.map { $0 + 1 } ?? end
        if newline != nil { skippingLongLine = false }
        continue
      }
      sawBytes = true
      guard line.count + (stop - start) <= maximumLineBytes else {
        lineNumber += 1
        start = newline.map { $0 + 1 } ?? end
        skippingLongLine = newline == nil
        throw .tooLong(line: lineNumber, limit: maximumLineBytes)
      }
      line += buffer[start..<stop]
      start = stop
      if newline != nil {
        start += 1
        return finish(line)
      }
    }
    skippingLongLine = false
    return sawBytes ? finish(line) : nil
  }

  private func finish(_ line: [UInt8]) -> [UInt8] {
    var line = line
    if line.last == UInt8(ascii: "\r") { line.removeLast() }
    lineNumber += 1
    return line
  }

  private func refill() throws(LineReadError) {
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count > 0 {
        start = 0
        end = count
        bytesRead += UInt64(count)
        return
      }
      if count == 0 {
        atEnd = true
        return
      }
      if errno == EINTR { continue }
      throw .io(line: lineNumber + 1, errno: errno)
    }
  }
}

/// Why ``LineReader/nextLine()`` could not return a line.
public enum LineReadError: Error, Equatable, Sendable {
  /// Line `line` is longer than `limit` bytes.
  case tooLong(line: Int, limit: Int)
  /// `read(2)` failed with `errno` while reading line `line`.
  case io(line: Int, errno: Int32)

  /// The line the error concerns.
  public var line: Int {
    switch self {
    case .tooLong(let line, _), .io(let line, _): line
    }
  }

  /// What went wrong, without the line number: "the line is longer than 16 MiB
  /// (16777216 bytes), the limit for one line".
  public var message: String {
    switch self {
    case .tooLong(_, let limit):
      "the line is longer than \(Self.size(limit)), the limit for one line"
    case .io(_, let code):
      "cannot read: \(String(cString: strerror(code)))"
    }
  }

  static func size(_ bytes: Int) -> String {
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB (\(bytes) bytes)" }
    if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB (\(bytes) bytes)" }
    return "\(bytes) bytes"
  }
}
