/// How a cell's text sits in its column.
public enum ColumnAlignment: Sendable, Equatable {
  /// Flush left (text).
  case left
  /// Flush right (numbers).
  case right
  /// Right when every non-empty cell of the column is a number, else left.
  case automatic
}

extension TerminalText {
  /// `text` padded with spaces to `width` columns on the side the
  /// alignment asks for; text already as wide is returned unchanged.
  public static func pad(_ text: String, toWidth width: Int, alignment: ColumnAlignment = .left) -> String {
    let missing = width - self.width(of: text)
    guard missing > 0 else { return text }
    let spaces = String(repeating: " ", count: missing)
    return alignment == .right ? spaces + text : text + spaces
  }

  /// `text` broken into lines of at most `width` columns at spaces.
  /// Runs of spaces collapse; a word wider than `width` is split between
  /// characters. Empty text gives one empty line.
  public static func wrap(_ text: String, width: Int) -> [String] {
    let limit = max(width, 1)
    var lines: [String] = []
    var line = ""
    var lineWidth = 0
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      var piece = String(word)
      var pieceWidth = self.width(of: piece)
      if lineWidth > 0, lineWidth + 1 + pieceWidth <= limit {
        line += " " + piece
        lineWidth += 1 + pieceWidth
        continue
      }
      if lineWidth > 0 {
        lines.append(line)
        (line, lineWidth) = ("", 0)
      }
      while pieceWidth > limit {
        let (head, headWidth) = prefix(of: piece, fitting: limit)
        lines.append(head)
        piece = String(piece.dropFirst(head.count))
        pieceWidth -= headWidth
      }
      (line, lineWidth) = (piece, pieceWidth)
    }
    if lineWidth > 0 || lines.isEmpty { lines.append(line) }
    return lines
  }

  /// The longest prefix of `text` at most `width` columns wide, always at
  /// least one character so callers make progress.
  static func prefix(of text: String, fitting width: Int) -> (String, Int) {
    var result = ""
    var used = 0
    for character in text {
      let characterWidth = self.width(of: character)
      if used + characterWidth > width, !result.isEmpty { break }
      result.append(character)
      used += characterWidth
    }
    return (result, used)
  }

  /// Whether `text` reads as a number for automatic right alignment:
  /// an optional sign, digits with optional `,` or `_` separators, an
  /// optional fraction, and an optional trailing `%`.
  public static func looksNumeric(_ text: String) -> Bool {
    var bytes = Substring(text).utf8[...]
    if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
    if bytes.last == UInt8(ascii: "%") { bytes = bytes.dropLast() }
    guard let first = bytes.first, isDigit(first), let last = bytes.last, isDigit(last) else { return false }
    var seenPoint = false
    for byte in bytes where !isDigit(byte) {
      switch byte {
      case UInt8(ascii: ",") where !seenPoint, UInt8(ascii: "_") where !seenPoint: continue
      case UInt8(ascii: ".") where !seenPoint: seenPoint = true
      default: return false
      }
    }
    return true
  }

  static func isDigit(_ byte: UInt8) -> Bool {
    (48...57).contains(byte)
  }
}
