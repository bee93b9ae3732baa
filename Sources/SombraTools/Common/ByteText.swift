/// Bytes as text for reports: compact hex, shortened hex, and the classic
/// 16-bytes-a-line hex dump.
public enum ByteText {
  static let digits = Array("0123456789abcdef".utf8)

  /// `bytes` as lowercase hex without separators: `47525048`.
  public static func hex(_ bytes: some Collection<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The first `limit` bytes as hex, with `…` (or `...`) when there are more.
  public static func shortHex(_ bytes: [UInt8], limit: Int = 8, ascii: Bool = false) -> String {
    guard bytes.count > limit else { return hex(bytes) }
    return hex(bytes.prefix(max(limit, 0))) + (ascii ? "..." : "…")
  }

  /// A fixed-width integer as `0x` and its hex digits, zero padded.
  public static func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, T.bitWidth / 4 - text.count)) + text
  }

  /// A hex dump in the style of `hexdump -C`: offset, 16 bytes in hex, the
  /// printable ASCII; a run of lines equal to the one before is shown once as
  /// `*`. Ends with the total length; each line ends in a newline.
  public static func dump(_ bytes: [UInt8]) -> String {
    var output = ""
    var previous: ArraySlice<UInt8>?
    var skipping = false
    var offset = 0
    while offset < bytes.count {
      let line = bytes[offset..<min(offset + 16, bytes.count)]
      if let previous, line.count == 16, previous.elementsEqual(line) {
        if !skipping { output += "*\n" }
        skipping = true
      } else {
        skipping = false
        var text = offsetText(offset) + "  "
        for i in 0..<16 {
          if i == 8 { text += " " }
          text += i < line.count ? hex([line[line.startIndex + i]]) + " " : "   "
        }
        text += " |" + String(decoding: line.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self) + "|"
        output += text + "\n"
      }
      previous = line
      offset += 16
    }
    return output + offsetText(bytes.count) + "\n"
  }

  static func offsetText(_ offset: Int) -> String {
    let text = String(offset, radix: 16)
    return String(repeating: "0", count: max(0, 8 - text.count)) + text
  }

  /// A percentage with one decimal: `37.5%`; `-` when the whole is zero.
  public static func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "-" }
    let tenths = (part * 1000 + whole / 2) / whole
    return "\(tenths / 10).\(tenths % 10)%"
  }

  /// A fraction rounded to 4 decimals, for JSON (`0.375`).
  public static func ratio(_ part: Int, of whole: Int) -> Double {
    guard whole > 0 else { return 0 }
    return (Double(part) / Double(whole) * 10_000).rounded() / 10_000
  }
}
