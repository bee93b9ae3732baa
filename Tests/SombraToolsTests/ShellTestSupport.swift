import Glibc
import SombraCLI
import SombraCore
import SombraTools

/// A temporary directory for shell tests, removed with everything in it.
final class ShellScratch {
  let path: String

  init() throws {
    var template = Array("/tmp/sombra-shell-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let base = buffer.baseAddress else { return false }
      return mkdtemp(base) != nil
    }
    guard made else { throw SombraError(.io, "mkdtemp failed") }
    path = String(cString: template)
  }

  deinit { Self.remove(path) }

  static func remove(_ path: String) {
    if let handle = opendir(path) {
      while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        if unlink(child) != 0 { remove(child) }
      }
      closedir(handle)
    }
    rmdir(path)
  }

  func file(_ name: String) -> String { path + "/" + name }

  func read(_ name: String) -> String? {
    guard let file = fopen(file(name), "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n <= 0 { break }
      bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  func write(_ name: String, _ text: String) {
    guard let file = fopen(file(name), "wb") else { return }
    _ = fwrite(text, 1, text.utf8.count, file)
    fclose(file)
  }
}

/// One in-process run of `sombra` in script mode (stdin not a terminal).
struct ShellRun {
  var status: ExitCode
  var standardOutput: String
  var standardError: String

  static let environment = ["COLUMNS": "80", "NO_COLOR": "1"]

  /// Runs `sombra ARGUMENTS` with `script` (one command per line) on stdin.
  static func run(_ arguments: [String], script: String = "") -> ShellRun {
    var lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let (context, out, err) = ToolContext.capturing(environment, input: lines)
    let status = SombraShell.main(arguments, context: context)
    return ShellRun(status: status, standardOutput: out.text, standardError: err.text)
  }
}
