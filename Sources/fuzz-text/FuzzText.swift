import SombraFuzzSupport

/// libFuzzer's entry: hands the input to ``FuzzEntry/text(_:)``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if let defect = FuzzEntry.text(Array(UnsafeBufferPointer(start: data, count: size))) {
    fatalError(defect)  // libFuzzer saves the input that led here
  }
  return 0
}
