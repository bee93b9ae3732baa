extension TerminalText {
  /// `text` with control characters made visible, so data cannot move the
  /// cursor, clear the screen or break a table row.
  ///
  /// `\n`, `\r`, `\t` become those two-character escapes; every other C0
  /// control, DEL, C1 control, the line/paragraph separators U+2028/U+2029
  /// and the bidi embedding/override/isolate controls become `\u{1B}`-style
  /// escapes (uppercase hex, at least two digits). Backslashes are left
  /// alone, so escaping is idempotent.
  public static func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      guard needsEscape(scalar) else {
        result.unicodeScalars.append(scalar)
        continue
      }
      switch scalar {
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default:
        let hex = String(scalar.value, radix: 16, uppercase: true)
        result += "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
      }
    }
    return result
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }

  /// `text` cut to at most `width` columns, ending in `…` (or `...` when
  /// `ascii`) when something was cut. Never splits a grapheme cluster; a
  /// wide character that does not fit is dropped whole, so the result may
  /// be one column narrower than `width`. When `width` is smaller than the
  /// ellipsis, the result is as much of the ellipsis as fits.
  public static func truncate(_ text: String, toWidth width: Int, ascii: Bool = false) -> String {
    guard width > 0 else { return "" }
    if self.width(of: text) <= width { return text }
    let ellipsis = ascii ? "..." : "…"
    let ellipsisWidth = ascii ? 3 : 1
    guard width > ellipsisWidth else { return String(ellipsis.prefix(width)) }
    let budget = width - ellipsisWidth
    var used = 0
    var result = ""
    for character in text {
      let characterWidth = self.width(of: character)
      if used + characterWidth > budget { break }
      used += characterWidth
      result.append(character)
    }
    return result + ellipsis
  }
}
