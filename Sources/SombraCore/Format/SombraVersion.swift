/// Which Sombra this is: the release, the file format it writes, and the
/// commit and Swift compiler it was built from.
///
/// The release numbers here are the one source of the version: the creator
/// version every new database file records (`DatabaseHeader.creatorVersion`)
/// and every tool's `--version` line come from them. The commit and compiler
/// are recorded at build time by the package's SombraBuildInfo plugin; they are
/// `nil` when the build could not tell (a source archive without git metadata).
///
/// ```swift
/// logger.info("using Sombra \(SombraVersion.description)")
/// // using Sombra 0.4.0 (format 3.1, commit 1a2b3c4, Swift 6.3.1)
/// ```
public enum SombraVersion {
  /// The release's major number.
  public static let major = 0
  /// The release's minor number.
  public static let minor = 4
  /// The release's patch number.
  public static let patch = 0

  /// The release, `major.minor.patch`.
  public static var release: String { "\(major).\(minor).\(patch)" }

  /// The file format this build writes, `major.minor`.
  public static var format: String { "\(DatabaseHeader.currentMajor).\(DatabaseHeader.currentMinor)" }

  /// The abbreviated commit the build was made from, or `nil` when the package
  /// was built without its git metadata.
  public static var commit: String? { BuildInfo.commit }

  /// The version of the Swift compiler that built this code, or `nil` when
  /// the build could not ask it.
  public static var compiler: String? { BuildInfo.compiler }

  /// `0.4.0 (format 3.1, commit 1a2b3c4, Swift 6.3.1)`; an unknown commit or
  /// compiler reads `unknown`.
  public static var description: String {
    "\(release) (format \(format), commit \(commit ?? "unknown"), Swift \(compiler ?? "unknown"))"
  }
}
