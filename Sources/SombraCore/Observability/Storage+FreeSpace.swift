#if canImport(Glibc)
  import Glibc
#endif

/// Free space on a database's file system, for `Database.health()`.
extension POSIXStorageSystem {
  package func availableBytes(at path: String) throws -> UInt64 {
    var info = statvfs()
    let rc = path.withCString { statvfs($0, &info) }
    guard rc == 0 else { throw SombraError.io("statvfs", errno: errno, path: path) }
    let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
    return overflow ? UInt64.max : bytes
  }
}

extension SimulatedDisk {
  /// A simulated disk reports 1 TiB free (tests of low space set the threshold).
  package func availableBytes(at path: String) throws -> UInt64 { 1 << 40 }
}

extension StorageSystem {
  /// Storage that cannot tell its free space (test doubles) says so.
  package func availableBytes(at path: String) throws -> UInt64 {
    throw SombraError(.notFound, "this storage cannot measure free space", path: path)
  }
}
