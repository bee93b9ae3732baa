import SombraCore
import SombraTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `--version` of every real executable: one line on stdout, exit 0.
@Suite struct VersionTests {
  static let tools = ["sombra", "sombra-inspect", "sombra-verify", "sombra-repair", "sombra-bench"]

  /// The package folder, found from this file's path (Tests/SombraToolsTests/).
  static let packageFolder: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  /// `git rev-parse --short HEAD` of the package, or nil when the package is
  /// not a git checkout (then the build cannot know its commit either).
  static func checkoutCommit() throws -> String? {
    guard access(packageFolder + "/.git", F_OK) == 0 else { return nil }
    try #require(access("/usr/bin/git", X_OK) == 0, "the package is a git checkout, but /usr/bin/git is missing")
    let git = try InspectBinary.run("/usr/bin/git", ["-C", packageFolder, "rev-parse", "--short", "HEAD"])
    try #require(git.status == 0, "git rev-parse failed: \(git.err)")
    return String(git.out.dropLast())
  }

  @Test(arguments: tools)
  func versionIsOneLineWithReleaseFormatCommitAndCompiler(tool: String) throws {
    let result = try ToolBinary.run(tool, ["--version"])
    #expect(result.status == 0, "\(result.err)")
    #expect(result.err == "")
    let line = try #require(
      result.out.wholeMatch(
        of: #/(\S+) (\d+\.\d+\.\d+) \(format (\d+\.\d+), commit ([0-9a-f]{4,40}|unknown), Swift (\d+(?:\.\d+)*|unknown)\)\n/#),
      "unexpected version line: \(result.out)")
    #expect(line.1 == tool)
    #expect(line.2 == SombraVersion.release)
    #expect(line.3 == "\(DatabaseHeader.currentMajor).\(DatabaseHeader.currentMinor)")
    #expect(String(line.4) == (try Self.checkoutCommit() ?? "unknown"))
    #expect(line.5 != "unknown", "swiftc --version was readable when the tool was built")
  }

  /// `--version` wins over what else is on the line, as `--help` does, and
  /// touches no file.
  @Test(arguments: [
    ("sombra-inspect", ["missing.sombra", "info", "--version"]),
    ("sombra-repair", ["missing.sombra", "vacuum", "--version", "--bogus"]),
    ("sombra-verify", ["--version", "missing.sombra"]),
    ("sombra", ["missing.sombra", "--version"]),
  ])
  func versionWinsOverTheRestOfTheLine(tool: String, arguments: [String]) throws {
    let dir = try ScratchDirectory(prefix: "sombra-version")
    let result = try ToolBinary.run(tool, arguments.map { $0.hasSuffix(".sombra") ? dir.file($0) : $0 })
    #expect(result.status == 0, "\(result.err)")
    #expect(result.out.hasPrefix(tool + " " + SombraVersion.release + " (format "), "\(result.out)")
    #expect(access(dir.file("missing.sombra"), F_OK) != 0, "no database was created")
  }

  /// Each tool's help lists the option.
  @Test(arguments: tools)
  func helpListsVersion(tool: String) throws {
    let result = try ToolBinary.run(tool, ["--help"])
    #expect(result.status == 0)
    #expect(result.out.contains("\n  --version "), "\(result.out)")
  }
}
