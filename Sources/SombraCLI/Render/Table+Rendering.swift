/// Table layout.
///
/// A table with n columns of content widths w1…wn is `3n + 1 + Σw` columns
/// wide (`│ ` before each cell, ` ` after, a closing `│`). When that exceeds
/// the maximum width, the widest columns shrink first: the content widths
/// are capped at the largest level L ≥ 1 that fits, and any columns left
/// over go one column each to the leftmost capped columns. Cells wider than
/// their column end in an ellipsis. A table that cannot fit even with every
/// column one wide is drawn that way regardless.
extension Table {
  /// The table drawn in `style`, at most `maxWidth` columns wide when
  /// possible; each line ends in a newline. No columns gives only the
  /// footer; no rows gives the header alone.
  public func render(style: BoxStyle, maxWidth: Int) -> String {
    var output = ""
    if !columns.isEmpty {
      let headers = columns.map { TerminalText.escapingControlCharacters($0.header) }
      let cells = rows.map { row in
        columns.indices.map { index in
          index < row.count ? TerminalText.escapingControlCharacters(row[index]) : ""
        }
      }
      let alignments = resolvedAlignments(cells)
      var widths = headers.map { max(TerminalText.width(of: $0), 1) }
      for row in cells {
        for (index, cell) in row.enumerated() {
          widths[index] = max(widths[index], TerminalText.width(of: cell))
        }
      }
      widths = Self.fit(widths, into: maxWidth - (3 * columns.count + 1))

      let segments = widths.map { $0 + 2 }
      output += style.rule(style.topLeft, segments, style.downTee, style.topRight) + "\n"
      output += Self.line(headers, widths, alignments, style) + "\n"
      if !cells.isEmpty {
        output += style.rule(style.leftTee, segments, style.cross, style.rightTee) + "\n"
      }
      for row in cells {
        output += Self.line(row, widths, alignments, style) + "\n"
      }
      output += style.rule(style.bottomLeft, segments, style.upTee, style.bottomRight) + "\n"
    }
    if let footer {
      output += footer + "\n"
    }
    return output
  }

  /// Left or right per column, deciding ``ColumnAlignment/automatic``
  /// from the cells: right when at least one is non-empty and every
  /// non-empty one is numeric.
  func resolvedAlignments(_ cells: [[String]]) -> [ColumnAlignment] {
    columns.indices.map { index in
      switch columns[index].alignment {
      case .left, .right:
        return columns[index].alignment
      case .automatic:
        let values = cells.map { $0[index] }.filter { !$0.isEmpty }
        let numeric = !values.isEmpty && values.allSatisfy(TerminalText.looksNumeric)
        return numeric ? .right : .left
      }
    }
  }

  /// Content widths shrunk so they sum to at most `budget`, widest first.
  static func fit(_ widths: [Int], into budget: Int) -> [Int] {
    guard widths.reduce(0, +) > budget else { return widths }
    func total(cappedAt level: Int) -> Int {
      widths.reduce(0) { $0 + min($1, level) }
    }
    // The largest level whose capped total fits; 1 if none does.
    var low = 1
    var high = widths.max() ?? 1
    while low < high {
      let middle = (low + high + 1) / 2
      if total(cappedAt: middle) <= budget { low = middle } else { high = middle - 1 }
    }
    var fitted = widths.map { min($0, low) }
    var spare = budget - total(cappedAt: low)
    for index in fitted.indices where spare > 0 && widths[index] > low {
      fitted[index] += 1
      spare -= 1
    }
    return fitted
  }

  static func line(_ cells: [String], _ widths: [Int], _ alignments: [ColumnAlignment], _ style: BoxStyle) -> String {
    var line = String(style.vertical)
    for (index, cell) in cells.enumerated() {
      let fitted = style.truncate(cell, toWidth: widths[index])
      line += " " + TerminalText.pad(fitted, toWidth: widths[index], alignment: alignments[index]) + " "
      line.append(style.vertical)
    }
    return line
  }
}
