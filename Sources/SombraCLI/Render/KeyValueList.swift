/// Labelled values, one per line, values aligned in a column:
///
/// ```
/// Database
///   path       /srv/graph.sombra
///   page size  8192
/// ```
///
/// Keys and values are escaped; a value too long for the width wraps at
/// spaces (or between characters) with continuation lines indented to the
/// value column.
public struct KeyValueList: Sendable {
  /// An optional heading line; pairs are indented two columns under it.
  public var title: String?
  /// The pairs, in display order.
  public var pairs: [(key: String, value: String)]

  /// A list of `pairs` under an optional `title`.
  public init(title: String? = nil, pairs: [(key: String, value: String)] = []) {
    self.title = title
    self.pairs = pairs
  }

  /// Appends a pair.
  public mutating func append(_ key: String, _ value: String) {
    pairs.append((key, value))
  }

  /// The lines, without newlines, fitted to `width` columns.
  public func lines(width: Int) -> [String] {
    var lines: [String] = []
    if let title { lines.append(TerminalText.escapingControlCharacters(title)) }
    let indent = title == nil ? "" : "  "
    let keys = pairs.map { TerminalText.escapingControlCharacters($0.key) }
    let keyWidth = keys.map { TerminalText.width(of: $0) }.max() ?? 0
    let valueColumn = indent.count + keyWidth + 2
    let valueWidth = max(width - valueColumn, 10)
    for (key, pair) in zip(keys, pairs) {
      let value = TerminalText.escapingControlCharacters(pair.value)
      let wrapped = TerminalText.wrap(value, width: valueWidth)
      for (index, piece) in wrapped.enumerated() {
        let label =
          index == 0 ? indent + TerminalText.pad(key, toWidth: keyWidth) : String(repeating: " ", count: valueColumn - 2)
        lines.append(piece.isEmpty ? indent + key : label + "  " + piece)
      }
    }
    return lines
  }

  /// The lines joined, each ending in a newline.
  public func render(width: Int) -> String {
    lines(width: width).map { $0 + "\n" }.joined()
  }
}
