import Glibc
import SombraCore

/// A `mkdtemp` directory under /tmp, removed with everything in it when the
/// test ends. The prefix keeps the path's length fixed per suite, so exact
/// outputs that show a path keep their layout.
final class ScratchDirectory {
  let path: String

  init(prefix: String = "sombra-inspect") throws {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let base = buffer.baseAddress else { return false }
      return mkdtemp(base) != nil
    }
    guard made else { throw SombraError(.io, "mkdtemp failed") }
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit { Self.remove(path) }

  /// Removes `path` and, for a directory, everything below it.
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

  /// The names in the directory, sorted.
  func entries() -> [String] {
    guard let handle = opendir(path) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// A file's text, or nil when it does not exist.
  func read(_ name: String) -> String? {
    fileBytes(file(name)).map { String(decoding: $0, as: UTF8.self) }
  }

  func write(_ name: String, _ text: String) {
    writeFile(file(name), Array(text.utf8))
  }
}

/// Reads a whole file (nil when it does not exist).
func fileBytes(_ path: String) -> [UInt8]? {
  guard let file = fopen(path, "rb") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return bytes
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
  guard let file = fopen(path, "wb") else { return }
  _ = fwrite(bytes, 1, bytes.count, file)
  fclose(file)
}
