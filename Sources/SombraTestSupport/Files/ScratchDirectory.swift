import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A fresh directory `/tmp/PREFIX-XXXXXX` (`mkdtemp`) for a test on real
/// files, removed with everything below it when the object goes: a test that
/// holds it in a local keeps it to the end of its scope.
///
/// The prefix keeps the path's length fixed per suite, so exact outputs that
/// show a path keep their layout.
package final class ScratchDirectory: Sendable {
  package let path: String

  package init(prefix: String = "sombra-test") throws {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
    }
    guard made else { throw SombraError.io("mkdtemp", errno: errno, path: "/tmp") }
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit { Self.remove(path) }

  /// The path of `name` inside the directory.
  package func file(_ name: String) -> String { path + "/" + name }

  /// The names in the directory, sorted, without `.` and `..` (empty when it
  /// cannot be read).
  package func entries() -> [String] { Self.names(in: path) ?? [] }

  /// The text of the file `name`, or nil when there is none.
  package func read(_ name: String) -> String? {
    fileBytes(file(name)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Writes `text` as the file `name`, replacing what was there.
  package func write(_ name: String, _ text: String) {
    writeFile(file(name), Array(text.utf8))
  }

  /// Removes `path`: a file or a link (never what it points to), or a
  /// directory with everything below it.
  private static func remove(_ path: String) {
    if unlink(path) == 0 { return }  // on Linux, unlink never removes a directory
    for name in names(in: path) ?? [] { remove(path + "/" + name) }
    rmdir(path)
  }

  /// The names in the directory `path`, sorted, without `.` and `..`; nil
  /// when it is not a directory that can be read.
  private static func names(in path: String) -> [String]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }
}

/// The bytes of the file at `path`, or nil when it does not exist or cannot
/// be read.
package func fileBytes(_ path: String) -> [UInt8]? {
  guard let file = fopen(path, "rb") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return ferror(file) == 0 ? bytes : nil
}

/// Writes `bytes` as the file at `path`, replacing what was there (a failed
/// write shows in what the test reads back).
package func writeFile(_ path: String, _ bytes: [UInt8]) {
  guard let file = fopen(path, "wb") else { return }
  _ = fwrite(bytes, 1, bytes.count, file)
  fclose(file)
}
