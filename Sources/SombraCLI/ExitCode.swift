/// The exit statuses shared by every Sombra tool (DESIGN.md §6).
///
/// The same table is printed in the EXIT STATUS section of every `--help`
/// and in the man pages, so scripts can rely on it.
public enum ExitCode: Int32, Sendable, CaseIterable {
  /// The operation completed, or a check found nothing wrong.
  case success = 0
  /// Problems (corruption) were found, or the operation failed.
  case failure = 1
  /// The command line was wrong.
  case usage = 2
  /// A file could not be opened or read: missing, I/O error, not a Sombra
  /// file, or an unsupported format version.
  case cannotOpen = 3
  /// The database is locked by another process.
  case busy = 4
  /// The operation was interrupted (SIGINT).
  case interrupted = 130

  /// The one-line meaning printed in the EXIT STATUS section of help.
  public var meaning: String {
    switch self {
    case .success: "Success, or no problems found."
    case .failure: "Problems found, or the operation failed."
    case .usage: "Usage error."
    case .cannotOpen: "Cannot open or read the file."
    case .busy: "Busy: locked by another process."
    case .interrupted: "Interrupted."
    }
  }
}
