import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The few file operations the generator needs beyond the engine: whole-file
/// reads and writes (to damage bytes at computed offsets), removal and
/// directories. Every failure throws a `SombraError` naming the file.
package enum FixtureFiles {
  /// The whole file, or nil when it does not exist.
  package static func read(_ path: String) throws -> [UInt8]? {
    guard let file = fopen(path, "rb") else {
      if errno == ENOENT { return nil }
      throw SombraError.io("fopen", errno: errno, path: path)
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n > 0 { bytes += buffer[0..<n] }
      if n < buffer.count { break }
    }
    guard ferror(file) == 0 else { throw SombraError.io("fread", errno: errno, path: path) }
    return bytes
  }

  /// Replaces the file's contents with `bytes` (creating it).
  package static func write(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = fopen(path, "wb") else { throw SombraError.io("fopen", errno: errno, path: path) }
    let written = fwrite(bytes, 1, bytes.count, file)
    let closed = fclose(file)
    guard written == bytes.count, closed == 0 else { throw SombraError.io("fwrite", errno: errno, path: path) }
  }

  /// Removes a file; a missing one is fine.
  package static func remove(_ path: String) throws {
    guard unlink(path) == 0 || errno == ENOENT else { throw SombraError.io("unlink", errno: errno, path: path) }
  }

  /// Creates a directory; an existing one is fine.
  package static func makeDirectory(_ path: String) throws {
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw SombraError.io("mkdir", errno: errno, path: path) }
  }

  /// Copies a file's bytes (nothing when the source does not exist, after
  /// removing the target so no stale copy stays).
  package static func copy(_ source: String, to target: String) throws {
    try remove(target)
    if let bytes = try read(source) { try write(target, bytes) }
  }
}
