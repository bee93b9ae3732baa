import Glibc

/// Where a tool writes text. Tools take their streams as parameters so tests
/// can capture exact output with ``MemoryOutput``.
public protocol TextOutput: AnyObject {
  /// Writes `text` as is (no newline added).
  func write(_ text: String)
}

extension TextOutput {
  /// Writes `text` followed by a newline.
  public func writeLine(_ text: String = "") {
    write(text + "\n")
  }
}

/// Text written straight to a file descriptor with `write(2)`, unbuffered.
///
/// Each call loops until every byte is written and retries on `EINTR`.
/// Other errors (a closed pipe, a full disk) end the call silently: output
/// is best effort and the tool's exit status reports the real outcome.
public final class FileDescriptorOutput: TextOutput, Sendable {
  /// The descriptor written to; not owned (never closed).
  public let fileDescriptor: Int32

  /// The process's standard output (descriptor 1).
  public static let standardOutput = FileDescriptorOutput(fileDescriptor: 1)
  /// The process's standard error (descriptor 2).
  public static let standardError = FileDescriptorOutput(fileDescriptor: 2)

  /// Output to `fileDescriptor`, which the caller keeps open.
  public init(fileDescriptor: Int32) {
    self.fileDescriptor = fileDescriptor
  }

  public func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      guard let base = bytes.baseAddress else { return }
      var offset = 0
      while offset < bytes.count {
        let written = Glibc.write(fileDescriptor, base + offset, bytes.count - offset)
        if written > 0 {
          offset += written
        } else if written < 0, errno == EINTR {
          continue
        } else {
          return
        }
      }
    }
  }
}

/// Text collected in memory, for tests and for rendering into a string.
public final class MemoryOutput: TextOutput {
  /// Everything written so far.
  public private(set) var text = ""

  /// An empty buffer.
  public init() {}

  public func write(_ text: String) {
    self.text += text
  }
}
