#if canImport(Glibc)
  import Glibc
#endif

/// Every error SombraCore throws.
///
/// `code` is stable and meant to be matched on (tools map it to exit codes:
/// `io` and the open failures are 3, `locked` and `busy` are 4, the rest 1).
/// `description` says what happened and, where there is one, what to do.
public struct SombraError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A stable error code: a name whose `rawValue` never changes (JSON output,
  /// logs and documentation carry it).
  ///
  /// Codes are an open set, not an enum: a later release may add one, so a
  /// `switch` over `error.code` ends in `default:`. Match a code with `==`, with
  /// a `case` in a `switch`, or against the error itself:
  ///
  /// ```swift
  /// switch error.code {
  /// case .locked, .busy: retryLater()
  /// case .poisoned: reopen()
  /// default: throw error
  /// }
  ///
  /// do { try db.checkpoint(.truncate) }
  /// catch SombraError.Code.busy { /* readers are active; try later */ }
  /// ```
  public struct Code: RawRepresentable, Sendable, Hashable, CaseIterable, ExpressibleByStringLiteral,
    CustomStringConvertible
  {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// A system call failed (see `syscall` and `errno`).
    public static let io: Code = "io"
    /// Bytes on disk are not what was written: checksum, structure or geometry
    /// (see `page` and `offset`).
    public static let corruption: Code = "corruption"
    /// The file is not a Sombra database.
    public static let notASombraFile: Code = "notASombraFile"
    /// A Sombra file of a format this build cannot open as asked.
    public static let unsupportedVersion: Code = "unsupportedVersion"
    /// A Sombra 0.x file (format 1.x); readable through the legacy reader only.
    public static let legacyFormat: Code = "legacyFormat"
    /// Another process (or handle) holds the lock.
    public static let locked: Code = "locked"
    /// An earlier write or sync failed; reopen the database. `cause` is that
    /// failure.
    public static let poisoned: Code = "poisoned"
    /// An operational limit was reached (database size, transaction size, ...).
    public static let limitExceeded: Code = "limitExceeded"
    /// The caller passed something invalid.
    public static let invalidArgument: Code = "invalidArgument"
    /// A page, node, edge or file that does not exist.
    public static let notFound: Code = "notFound"
    /// The handle is closed, read-only, or a transaction is in the wrong state.
    public static let misuse: Code = "misuse"
    /// A passive operation could not proceed because readers are active.
    public static let busy: Code = "busy"
    /// The write transaction was open longer than `OpenOptions.transactionTimeout`
    /// and was rolled back.
    public static let timeout: Code = "timeout"

    /// The codes this build throws, in the order above. A later release may
    /// add codes, so code that switches over them still needs `default:`.
    public static let allCases: [Code] = [
      io, corruption, notASombraFile, unsupportedVersion, legacyFormat, locked, poisoned, limitExceeded,
      invalidArgument, notFound, misuse, busy, timeout,
    ]

    /// True when `error` is a `SombraError` with this code: `catch
    /// SombraError.Code.locked`, or `case SombraError.Code.busy` in a `switch`
    /// over an error.
    public static func ~= (code: Code, error: any Error) -> Bool {
      (error as? SombraError)?.code == code
    }
  }

  public let code: Code
  public let message: String
  /// The file the error concerns, when there is one.
  public var path: String?
  /// The page number, for corruption and page-level errors.
  public var page: UInt32?
  /// Where the damage is, in bytes, when known: within `page` when that is set;
  /// otherwise within the file at `path` (a WAL frame or header, a truncated
  /// file); with neither, within the record or value the message names.
  public var offset: UInt64?
  /// The system call that failed, for `io`.
  public var syscall: String?
  /// The errno of the failed system call, for `io`.
  public var errno: Int32?
  /// The earlier error this one follows from: for `poisoned`, the failed write
  /// or sync that poisoned the handle, with its system call, errno and path.
  public var cause: SombraError? {
    get { boxedCause?.error }
    set { boxedCause = newValue.map(Boxed.error) }
  }
  private var boxedCause: Boxed?

  public init(
    _ code: Code, _ message: String, path: String? = nil, page: UInt32? = nil,
    offset: UInt64? = nil, syscall: String? = nil, errno: Int32? = nil, cause: SombraError? = nil
  ) {
    self.code = code
    self.message = message
    self.path = path
    self.page = page
    self.offset = offset
    self.syscall = syscall
    self.errno = errno
    self.boxedCause = cause.map(Boxed.error)
  }

  /// Holds `cause`: a struct cannot store a value of its own type inline.
  private indirect enum Boxed: Sendable, Equatable {
    case error(SombraError)

    var error: SombraError {
      switch self {
      case .error(let error): error
      }
    }
  }

  public var description: String {
    var text = message
    if let path { text += " [\(path)]" }
    if let page {
      text += " (page \(page)" + (offset.map { ", offset \($0)" } ?? "") + ")"
    } else if let offset {
      text += " (offset \(offset))"
    }
    if let syscall, let errno { text += ": \(syscall): \(Self.errnoText(errno)) (errno \(errno))" }
    return text
  }

  /// The C library's text for an errno value.
  package static func errnoText(_ value: Int32) -> String {
    guard let text = strerror(value) else { return "error \(value)" }
    return String(cString: text)
  }

  // MARK: Constructors used across the engine.

  package static func corruption(_ message: String, page: UInt32? = nil, offset: UInt64? = nil, path: String? = nil)
    -> SombraError
  {
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
