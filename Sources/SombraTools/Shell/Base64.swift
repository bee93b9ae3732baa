/// Standard base64 (RFC 4648 §4, with `=` padding), for bytes values in the
/// shell (`bytes("AAEC")`) and in JSON Lines exports (`{"$base64": "AAEC"}`).
enum Base64 {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// The base64 text of `bytes`.
  static func encode(_ bytes: [UInt8]) -> String {
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
      let b0 = bytes[index]
      let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
      let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
      output.append(alphabet[Int(b0 >> 2)])
      output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
      output.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
      output.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
      index += 3
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// The bytes of base64 `text`, or nil when it is not valid base64 (wrong
  /// length, characters outside the alphabet, misplaced padding).
  static func decode(_ text: String) -> [UInt8]? {
    let characters = Array(text.utf8)
    guard characters.count % 4 == 0 else { return nil }
    var output: [UInt8] = []
    output.reserveCapacity(characters.count / 4 * 3)
    var index = 0
    while index < characters.count {
      let isLast = index + 4 == characters.count
      var values: [UInt8] = []
      var padding = 0
      for offset in 0..<4 {
        let character = characters[index + offset]
        if character == UInt8(ascii: "=") {
          guard isLast, offset >= 2 else { return nil }
          padding += 1
          values.append(0)
        } else {
          guard padding == 0, let value = sextet(character) else { return nil }
          values.append(value)
        }
      }
      output.append(values[0] << 2 | values[1] >> 4)
      if padding < 2 { output.append((values[1] & 0x0F) << 4 | values[2] >> 2) }
      if padding < 1 { output.append((values[2] & 0x03) << 6 | values[3]) }
      index += 4
    }
    return output
  }

  static func sextet(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"): 62
    case UInt8(ascii: "/"): 63
    default: nil
    }
  }
}
