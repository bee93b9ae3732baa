// The build facts SombraCore reports in `SombraVersion` (every tool's
// `--version`): the commit the package was built from and the Swift compiler
// that built it. A build command writes them into BuildInfo.swift in the
// plugin's work folder, and SwiftPM compiles that file into the target.
//
// 1. The command is /bin/sh running the script below. Its inputs are the git
//    files that change whenever HEAD moves (`HEAD` and its reflog `logs/HEAD`,
//    in the worktree's own git folder) and the compiler, so it runs again after
//    a commit, checkout or reset, and not otherwise. (A prebuild command would
//    run only when SwiftPM plans the build anew, which a commit does not cause.)
// 2. The commit is `git rev-parse --short HEAD` of the package folder, asked
//    only when the folder has its own `.git` (a clone, a worktree, or SwiftPM's
//    checkout of a dependency); anything else (a source archive, a folder
//    vendored into another repository, no git installed) writes `nil`, which
//    reads as `commit unknown`, and never fails the build.
// 3. The compiler is the version `swiftc --version` prints, or `nil`.
// 4. The file is replaced only when its text changes, so a build after a
//    checkout that leaves the commit as it was recompiles and relinks nothing.
//
// Inputs are listed only when they exist at planning time: SwiftPM fails a
// build whose command lost an input, and a git folder always keeps `HEAD` and,
// with reflogs on (git's default outside bare repositories), `logs/HEAD`.
import Foundation
import PackagePlugin

@main
struct SombraBuildInfo: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
    let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
    let package = context.package.directoryURL
    // The toolchain's compiler; without it the file says `nil` for the version.
    let swiftc = try? context.tool(named: "swiftc").url
    return [
      .buildCommand(
        displayName: "Recording the commit and compiler of \(target.name)",
        executable: URL(filePath: "/bin/sh"),
        arguments: [
          "-c", Self.script, "sombra-build-info",
          package.path(percentEncoded: false),
          output.path(percentEncoded: false),
          swiftc?.path(percentEncoded: false) ?? "",
        ],
        inputFiles: Self.headFiles(of: package) + (swiftc.map { [$0] } ?? []),
        outputFiles: [output])
    ]
  }

  /// `HEAD` and `logs/HEAD` of the package's git folder, those that exist:
  /// `.git` itself, or the folder a `.git` file names (`gitdir: PATH`, as in a
  /// worktree or submodule). Empty without `.git`.
  static func headFiles(of package: URL) -> [URL] {
    let dotGit = package.appending(path: ".git")
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dotGit.path(percentEncoded: false), isDirectory: &isFolder) else {
      return []
    }
    var gitFolder = dotGit
    if !isFolder.boolValue {
      guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return [] }
      let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
      gitFolder = path.hasPrefix("/") ? URL(filePath: path) : package.appending(path: path)
    }
    return [gitFolder.appending(path: "HEAD"), gitFolder.appending(path: "logs/HEAD")].filter {
      FileManager.default.fileExists(atPath: $0.path(percentEncoded: false))
    }
  }

  /// `sh -c SCRIPT NAME PACKAGE_DIR OUTPUT_FILE SWIFTC`. Each value is checked
  /// before it is written into Swift source: hex digits for the commit, digits
  /// and dots for the compiler version.
  static let script = #"""
    set -u
    package=$1 file=$2 swiftc=$3
    unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_COMMON_DIR
    git=/usr/bin/git
    [ -x "$git" ] || git=$(command -v git 2>/dev/null) || git=
    commit=nil
    if [ -n "$git" ] && [ -e "$package/.git" ]; then
      hash=$("$git" -C "$package" rev-parse --short HEAD 2>/dev/null) || hash=
      case $hash in
        '' | *[!0-9a-f]*) ;;
        *) commit="\"$hash\"" ;;
      esac
    fi
    compiler=nil
    if [ -n "$swiftc" ] && [ -x "$swiftc" ]; then
      version=$("$swiftc" --version 2>/dev/null | sed -n '1s/.*Swift version \([0-9][0-9.]*\).*/\1/p') || version=
      case $version in
        '' | *[!0-9.]*) ;;
        *) compiler="\"$version\"" ;;
      esac
    fi
    mkdir -p "$(dirname "$file")" || exit 1
    next=$file.next
    {
      echo '// Written by the SombraBuildInfo plugin; not in git.'
      echo 'enum BuildInfo {'
      echo "  static let commit: String? = $commit"
      echo "  static let compiler: String? = $compiler"
      echo '}'
    } >"$next" || exit 1
    if cmp -s "$next" "$file"; then
      rm -f "$next"
    else
      mv -f "$next" "$file"
    fi
    """#
}
