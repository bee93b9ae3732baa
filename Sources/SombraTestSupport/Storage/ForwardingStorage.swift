import SombraCore

/// Storage that wraps other storage and changes one or two of its calls: a
/// conformer names what it wraps (`base`, `file`) and implements only the
/// calls it changes; these extensions forward the rest. Tests use it to hold
/// or observe a sync or a read, of the real file system or of a simulated
/// disk, and it keeps every wrapper complete when the protocols grow.
package protocol ForwardingStorageSystem: StorageSystem {
  var base: any StorageSystem { get }
}

extension ForwardingStorageSystem {
  package func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile { try base.open(path, mode) }
  package func exists(_ path: String) -> Bool { base.exists(path) }
  package func size(of path: String) -> UInt64? { base.size(of: path) }
  package func rename(_ source: String, over target: String) throws { try base.rename(source, over: target) }
  package func link(_ existing: String, as newPath: String) throws { try base.link(existing, as: newPath) }
  @discardableResult
  package func remove(_ path: String) throws -> Bool { try base.remove(path) }
  package func syncDirectory(of path: String) throws { try base.syncDirectory(of: path) }
  package func availableBytes(at path: String) throws -> UInt64 { try base.availableBytes(at: path) }
  package func identity(of path: String) -> FileIdentity? { base.identity(of: path) }
}

/// A file that forwards every call to `file` except those the conformer implements.
package protocol ForwardingStorageFile: StorageFile {
  var file: any StorageFile { get }
}

extension ForwardingStorageFile {
  package var path: String { file.path }
  package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
    try file.read(into: buffer, at: offset)
  }
  package func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws { try file.write(bytes, at: offset) }
  package func sync() throws { try file.sync() }
  package func size() throws -> UInt64 { try file.size() }
  package func truncate(to size: UInt64) throws { try file.truncate(to: size) }
  package func lock(_ range: LockRange, _ mode: LockMode, wait: Bool) throws -> Bool { try file.lock(range, mode, wait: wait) }
  package func unlock(_ range: LockRange) throws { try file.unlock(range) }
  package func firstLock(in range: LockRange) throws -> (start: UInt64, mode: LockMode)? { try file.firstLock(in: range) }
  package func close() { file.close() }
  package func identity() throws -> FileIdentity { try file.identity() }
}
