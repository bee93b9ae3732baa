import Glibc
import SombraFuzzSupport

/// libFuzzer's entry: hands the input to ``FuzzEntry/page(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if let defect = FuzzEntry.page(Array(UnsafeBufferPointer(start: data, count: size))) {
    // A fuzz target reports a defect by ending the process: libFuzzer then
    // saves the input that led here. Only a defect found by the checks in
    // FuzzEntry gets here; bad input alone never does.
    let line = Array("fuzz defect: \(defect)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
  }
  return 0
}
