import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// W0: 4 KiB pwrite + fdatasync latency in the benchmark directory, so durable
/// commit numbers can be read against this disk.
func measureFsync(directory: String, count: Int = 1000) throws -> Latencies {
  let path = directory + "/fsync-probe.tmp"
  let file = try POSIXStorageSystem().open(path, .readWriteCreate)
  defer {
    file.close()
    unlink(path)
  }
  let page = [UInt8](repeating: 0xA5, count: 4096)
  try page.withUnsafeBytes { try file.write($0, at: 0) }
  try file.sync()
  var lat = Latencies()
  for _ in 0..<count {
    let t = now()
    try page.withUnsafeBytes { try file.write($0, at: 0) }
    try file.sync()
    lat.add(now() - t)
  }
  return lat
}
