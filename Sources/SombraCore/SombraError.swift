#if canImport(Glibc)
  import Glibc
#endif

/// Every error SombraCore throws.
///
/// `code` is stable and meant to be matched on (tools map it to exit codes:
/// `io` and the open failures are 3, `locked` is 4, the rest 1). `description`
/// says what happened and, where there is one, what to do.
public struct SombraError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Stable error codes.
  public enum Code: String, Sendable, Equatable, CaseIterable {
    /// A system call failed (see `syscall` and `errno`).
    case io
    /// Bytes on disk are not what was written: checksum, structure or geometry.
    case corruption
    /// The file is not a Sombra database.
    case notASombraFile
    /// A Sombra file of a format this build cannot open as asked.
    case unsupportedVersion
    /// A Sombra 0.x file (format 1.x); readable through the legacy reader only.
    case legacyFormat
    /// Another process (or handle) holds the lock.
    case locked
    /// An earlier write or sync failed; reopen the database.
    case poisoned
    /// An operational limit was reached (database size, transaction size, ...).
    case limitExceeded
    /// The caller passed something invalid.
    case invalidArgument
    /// A page, node, edge or file that does not exist.
    case notFound
    /// The handle is closed, read-only, or a transaction is in the wrong state.
    case misuse
    /// A passive operation could not proceed because readers are active.
    case busy
    /// The write transaction was open longer than `OpenOptions.transactionTimeout`
    /// and was rolled back.
    case timeout
  }

  public let code: Code
  public let message: String
  /// The file the error concerns, when there is one.
  public var path: String?
  /// The page number, for corruption and page-level errors.
  public var page: UInt32?
  /// The byte offset within the file or page, when known.
  public var offset: UInt64?
  /// The system call that failed, for `io`.
  public var syscall: String?
  /// The errno of the failed system call, for `io`.
  public var errno: Int32?

  public init(
    _ code: Code, _ message: String, path: String? = nil, page: UInt32? = nil,
    offset: UInt64? = nil, syscall: String? = nil, errno: Int32? = nil
  ) {
    self.code = code
    self.message = message
    self.path = path
    self.page = page
    self.offset = offset
    self.syscall = syscall
    self.errno = errno
  }

  public var description: String {
    var text = message
    if let path { text += " [\(path)]" }
    if let page { text += " (page \(page)" + (offset.map { ", offset \($0)" } ?? "") + ")" }
    else if let offset { text += " (offset \(offset))" }
    if let syscall, let errno { text += ": \(syscall): \(Self.errnoText(errno)) (errno \(errno))" }
    return text
  }

  /// The C library's text for an errno value.
  package static func errnoText(_ value: Int32) -> String {
    guard let text = strerror(value) else { return "error \(value)" }
    return String(cString: text)
  }

  // MARK: Constructors used across the engine.

  package static func corruption(_ message: String, page: UInt32? = nil, offset: UInt64? = nil, path: String? = nil) -> SombraError {
    SombraError(.corruption, message, path: path, page: page, offset: offset)
  }

  package static func invalidArgument(_ message: String) -> SombraError {
    SombraError(.invalidArgument, message)
  }

  package static func misuse(_ message: String) -> SombraError {
    SombraError(.misuse, message)
  }

  package static func io(_ syscall: String, errno: Int32, path: String?, offset: UInt64? = nil) -> SombraError {
    let what: String
    switch errno {
    case ENOSPC: what = "the disk is full"
    case EDQUOT: what = "the disk quota is exhausted"
    case EIO: what = "the device reported an I/O error"
    case EACCES, EPERM: what = "permission denied"
    case ENOENT: what = "no such file"
    case EROFS: what = "the file system is read-only"
    default: what = "\(syscall) failed"
    }
    return SombraError(.io, what, path: path, offset: offset, syscall: syscall, errno: errno)
  }
}
