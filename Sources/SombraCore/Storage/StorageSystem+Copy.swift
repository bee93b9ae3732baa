/// Copying and comparing files through the storage layer: repair's backups,
/// and the copy of a damaged database and its WAL that recover keeps before it
/// gives anything up (`identical` then checks the copies byte for byte).
///
/// Copy order, so that a copy that exists under its name is whole after any
/// crash (a file system may keep a new name and lose its unsynced contents):
/// 1. Create `TARGET.partial` exclusively (a stale one from a crashed copy is
///    removed first: only a copy to TARGET writes it).
/// 2. Stream the source into it, 1 MiB at a time; fdatasync it.
/// 3. Check that TARGET does not exist (a copy never overwrites), rename the
///    partial file to TARGET, and fsync the directory.
/// A crash before step 3 leaves at most a `.partial` file; a failure removes it.
extension StorageSystem {
  package func copy(_ source: String, to target: String) throws {
    if exists(target) {
      throw SombraError.invalidArgument("\(target) already exists; a copy never overwrites a file")
    }
    let input = try open(source, .readOnly)
    defer { input.close() }
    let partial = target + ".partial"
    try remove(partial)
    let output = try open(partial, .createNew)
    var done = false
    defer {
      output.close()
      if !done { _ = try? remove(partial) }
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
    if exists(target) {
      throw SombraError.invalidArgument("\(target) already exists; a copy never overwrites a file")
    }
    try rename(partial, over: target)
    done = true
    try syncDirectory(of: target)
  }

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
