import Glibc
import SombraCore

/// Tab completion for the interactive shell: what may replace the word being
/// typed, given the line before it.
///
/// 1. First word: commands and meta-commands.
/// 2. After `.open`, `.import`, `.export`: file names (directories end in `/`).
/// 3. After `.help`: command names; after `.mode`: the modes; `.timer`: on/off.
/// 4. Right after `:`: edge types in `edges`, `neighbors` and `create edge`,
///    labels elsewhere (from the catalog).
/// 5. Elsewhere: keywords and property keys (from the catalog).
extension ShellSession {
  static let completionKeywords = [
    "node", "edge", "out", "in", "both", "detach", "WHERE", "AND", "LIMIT", "create", "drop", "true", "false", "null",
  ]

  /// Candidates for `word`, which starts after `before` on the line.
  public func completions(before: String, word: String) -> [String] {
    let words = before.split(whereSeparator: \.isWhitespace).map(String.init)
    let candidates: [String]
    if let first = words.first, ShellMetaCommands.takingFiles.contains(first.lowercased()) {
      return Self.fileCompletions(word)
    } else if words.isEmpty && !before.hasSuffix(":") {
      candidates = ShellParser.commandWords + ShellMetaCommands.names
    } else if words.first == ".help" {
      candidates = ShellHelp.all.map(\.name)
    } else if words.first == ".mode" {
      candidates = ShellRenderer.Mode.allCases.map(\.rawValue)
    } else if words.first == ".timer" {
      candidates = ["on", "off"]
    } else if before.hasSuffix(":") || word.contains(":") {
      // libedit may or may not break words at ':'; complete the part after it.
      let head = word.lastIndex(of: ":").map { String(word[...$0]) } ?? ""
      let tail = String(word.dropFirst(head.count))
      let wantsTypes =
        ["edges", "neighbors"].contains(words.first ?? "") || (words.first == "create" && words.dropFirst().first == "edge")
      let names = catalog { tx in wantsTypes ? try tx.edgeTypes().map(\.name) : try tx.labels().map(\.name) }
      return names.filter { $0.hasPrefix(tail) }.map { head + $0 }.sorted()
    } else {
      candidates = Self.completionKeywords + catalog { try $0.propertyKeys() }
    }
    return candidates.filter { $0.hasPrefix(word) }.sorted()
  }

  /// Names from the catalog; none when it cannot be read.
  func catalog(_ body: (Transaction) throws -> [String]) -> [String] {
    (try? reading(body)) ?? []
  }

  /// Files and directories whose path starts with `word`.
  static func fileCompletions(_ word: String) -> [String] {
    let directory: String
    let prefix: String
    if let slash = word.lastIndex(of: "/") {
      directory = String(word[...slash])
      prefix = String(word[word.index(after: slash)...])
    } else {
      directory = ""
      prefix = word
    }
    guard let handle = opendir(directory.isEmpty ? "." : directory) else { return [] }
    defer { closedir(handle) }
    var results: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name != ".", name != "..", name.hasPrefix(prefix), !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
      let path = directory + name
      var info = stat()
      let isDirectory = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
      results.append(path + (isDirectory ? "/" : ""))
    }
    return results.sorted()
  }
}

/// Where the shell keeps its history: `$SOMBRA_HISTORY`, else
/// `$XDG_STATE_HOME/sombra/history`, else `~/.local/state/sombra/history`.
/// The file is libedit's format (not readline's), hence its own name.
public enum ShellHistory {
  /// The history path from the environment (`lookup` reads a variable); nil
  /// when neither a variable nor `HOME` says where.
  public static func path(_ lookup: (String) -> String?) -> String? {
    if let explicit = lookup("SOMBRA_HISTORY"), !explicit.isEmpty { return explicit }
    if let state = lookup("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/sombra/history" }
    if let home = lookup("HOME"), !home.isEmpty { return home + "/.local/state/sombra/history" }
    return nil
  }

  /// Creates the parent directories (0700) and the file (0600) when missing,
  /// and sets the file's mode to 0600; returns whether the file is usable.
  @discardableResult
  public static func prepare(_ path: String) -> Bool {
    var parents: [String] = []
    var current = path
    while let slash = current.lastIndex(of: "/"), slash != current.startIndex {
      current = String(current[..<slash])
      parents.append(current)
    }
    for directory in parents.reversed() { mkdir(directory, 0o700) }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    fchmod(fd, 0o600)
    close(fd)
    return true
  }
}
