import SombraFuzzSupport

/// libFuzzer's entry: hands the input to ``FuzzEntry/page(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if let defect = FuzzEntry.page(Array(UnsafeBufferPointer(start: data, count: size))) {
    fatalError(defect)  // libFuzzer saves the input that led here
  }
  return 0
}
