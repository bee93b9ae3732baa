/// A box around lines of text, with an optional title in the top border
/// and rules between sections:
///
/// ```
/// ┌─ graph.sombra ───────┐
/// │ format     2.0       │
/// ├──────────────────────┤
/// │ nodes      1,024     │
/// └──────────────────────┘
/// ```
public struct Box: Sendable {
  /// The title set into the top border.
  public var title: String?
  /// Groups of lines, separated by a horizontal rule.
  public var sections: [[String]]

  /// A box of `sections` under an optional `title`.
  public init(title: String? = nil, sections: [[String]]) {
    self.title = title
    self.sections = sections
  }

  /// The box drawn in `style`, as narrow as its content allows but at
  /// most `maxWidth` columns (lines and title are cut with an ellipsis to
  /// fit); each line ends in a newline.
  public func render(style: BoxStyle, maxWidth: Int) -> String {
    let escapedTitle = title.map(TerminalText.escapingControlCharacters)
    let escaped = sections.map { $0.map(TerminalText.escapingControlCharacters) }
    let contentWidth = escaped.joined().map { TerminalText.width(of: $0) }.max() ?? 0
    let titleWidth = escapedTitle.map { TerminalText.width(of: $0) + 2 } ?? 0
    let inner = max(min(max(contentWidth, titleWidth), maxWidth - 4), 1)
    let horizontal = String(style.horizontal)

    var output = String(style.topLeft)
    if let escapedTitle {
      let shown = style.truncate(escapedTitle, toWidth: inner - 2)
      output += horizontal + " " + shown + " "
      output += String(repeating: style.horizontal, count: max(inner - 1 - TerminalText.width(of: shown), 0))
    } else {
      output += String(repeating: style.horizontal, count: inner + 2)
    }
    output += String(style.topRight) + "\n"
    for (index, section) in escaped.enumerated() {
      if index > 0 {
        output += style.rule(style.leftTee, [inner + 2], style.cross, style.rightTee) + "\n"
      }
      for line in section {
        let shown = TerminalText.pad(style.truncate(line, toWidth: inner), toWidth: inner)
        output += String(style.vertical) + " " + shown + " " + String(style.vertical) + "\n"
      }
    }
    output += style.rule(style.bottomLeft, [inner + 2], style.upTee, style.bottomRight) + "\n"
    return output
  }
}
