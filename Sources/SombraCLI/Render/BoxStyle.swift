/// The characters used to draw boxes and tables, and the ellipsis used to
/// show cut text.
public struct BoxStyle: Sendable, Equatable {
  /// `─` or `-`.
  public var horizontal: Character
  /// `│` or `|`.
  public var vertical: Character
  /// `┌` or `+`.
  public var topLeft: Character
  /// `┐` or `+`.
  public var topRight: Character
  /// `└` or `+`.
  public var bottomLeft: Character
  /// `┘` or `+`.
  public var bottomRight: Character
  /// `├` or `+`.
  public var leftTee: Character
  /// `┤` or `+`.
  public var rightTee: Character
  /// `┬` or `+`.
  public var downTee: Character
  /// `┴` or `+`.
  public var upTee: Character
  /// `┼` or `+`.
  public var cross: Character
  /// Whether the style is pure ASCII (cut text ends in `...`, not `…`).
  public var isASCII: Bool

  /// Unicode box drawing: `┌─┬─┐ │ ├─┼─┤ └─┴─┘`.
  public static let unicode = BoxStyle(
    horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐",
    bottomLeft: "└", bottomRight: "┘", leftTee: "├", rightTee: "┤",
    downTee: "┬", upTee: "┴", cross: "┼", isASCII: false
  )

  /// ASCII fallback: `+-+ | +-+`.
  public static let ascii = BoxStyle(
    horizontal: "-", vertical: "|", topLeft: "+", topRight: "+",
    bottomLeft: "+", bottomRight: "+", leftTee: "+", rightTee: "+",
    downTee: "+", upTee: "+", cross: "+", isASCII: true
  )

  /// `text` cut to `width` columns with this style's ellipsis.
  func truncate(_ text: String, toWidth width: Int) -> String {
    TerminalText.truncate(text, toWidth: width, ascii: isASCII)
  }

  /// A horizontal rule: `left`, then segments of `horizontal` of the given
  /// widths joined by `joint`, then `right`.
  func rule(_ left: Character, _ widths: [Int], _ joint: Character, _ right: Character) -> String {
    var line = String(left)
    for (index, width) in widths.enumerated() {
      if index > 0 { line.append(joint) }
      line += String(repeating: horizontal, count: max(width, 0))
    }
    line.append(right)
    return line
  }
}
