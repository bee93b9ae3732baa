import SombraFuzzSupport

/// libFuzzer's entry: hands the input to ``FuzzEntry/wal(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if let defect = FuzzEntry.wal(Array(UnsafeBufferPointer(start: data, count: size))) {
    fatalError(defect)  // libFuzzer saves the input that led here
  }
  return 0
}
