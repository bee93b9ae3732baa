/// Copying a file through the storage layer (backups).
extension StorageSystem {
  /// Copies `source` into a new file `target` (created exclusively: a copy never
  /// overwrites anything), fsyncs it and its directory. A partial copy is
  /// removed when anything fails.
  package func copy(_ source: String, to target: String) throws {
    let input = try open(source, .readOnly)
    defer { input.close() }
    let output = try open(target, .createNew)
    var done = false
    defer {
      output.close()
      if !done { _ = try? remove(target) }
    }
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buffer.deallocate() }
    var offset: UInt64 = 0
    while true {
      let n = try input.read(into: buffer, at: offset)
      if n == 0 { break }
      try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: offset)
      offset += UInt64(n)
    }
    try output.sync()
    try syncDirectory(of: target)
    done = true
  }
}

extension StorageSystem {
  /// Whether two files hold the same bytes (false when either cannot be read).
  package func identical(_ a: String, _ b: String) -> Bool {
    guard let first = try? open(a, .readOnly) else { return false }
    defer { first.close() }
    guard let second = try? open(b, .readOnly) else { return false }
    defer { second.close() }
    guard let size = try? first.size(), (try? second.size()) == size else { return false }
    let chunk = 1 << 20
    var left = [UInt8](repeating: 0, count: chunk)
    var right = [UInt8](repeating: 0, count: chunk)
    var offset: UInt64 = 0
    while offset < size {
      let n = (try? left.withUnsafeMutableBytes { try first.read(into: $0, at: offset) }) ?? -1
      let m = (try? right.withUnsafeMutableBytes { try second.read(into: $0, at: offset) }) ?? -2
      guard n == m, n > 0, left[0..<n] == right[0..<m] else { return false }
      offset += UInt64(n)
    }
    return true
  }
}
