import SombraCLI

/// Renders a ``ShellResult`` in one of the three output modes.
///
/// - `table`: a table with a footer `(N rows)` or `(N rows, M shown)`; one
///   node or edge as a box of `key  value` lines; box drawing in Unicode on a
///   UTF-8 terminal, ASCII otherwise.
/// - `json`: one compact JSON object per row or record (JSON Lines); the
///   footer goes to stderr, and only when rows were left out.
/// - `line`: `column = value` lines, rows separated by a blank line.
struct ShellRenderer {
  /// The output modes of `.mode`.
  enum Mode: String, CaseIterable, Sendable {
    case table, json, line
  }

  var mode: Mode
  var style: BoxStyle
  var width: Int

  /// The text for stdout, and a note for stderr (json mode's footer).
  func render(_ result: ShellResult) -> (output: String, note: String?) {
    switch result {
    case .none: return ("", nil)
    case .message(let text):
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      return (lines.map { TerminalText.escapingControlCharacters(String($0)) + "\n" }.joined(), nil)
    case .value(let name, let cell):
      switch mode {
      case .table: return (cell.text + "\n", nil)
      case .json: return (JSONWriter.compact.string(from: .object([JSONMember(name, cell.json)])) + "\n", nil)
      case .line: return ("\(name) = \(cell.text)\n", nil)
      }
    case .table(let table): return render(table)
    case .record(let record): return (render(record), nil)
    }
  }

  func render(_ table: ShellTable) -> (output: String, note: String?) {
    switch mode {
    case .table:
      let rendered = Table(headers: table.columns, rows: table.rows.map { $0.map(\.text) })
        .render(style: style, maxWidth: width)
      return (rendered + table.footer + "\n", nil)
    case .json:
      let lines = table.rows.map { row in
        JSONWriter.compact.string(from: .object(zip(table.columns, row).map { JSONMember($0, $1.json) })) + "\n"
      }
      return (lines.joined(), table.rows.count < table.total ? table.footer : nil)
    case .line:
      let keyWidth = table.columns.map { TerminalText.width(of: $0) }.max() ?? 0
      let blocks = table.rows.map { row in
        zip(table.columns, row).map { column, cell in
          TerminalText.pad(column, toWidth: keyWidth, alignment: .right) + " = "
            + TerminalText.escapingControlCharacters(cell.text) + "\n"
        }.joined()
      }
      return (blocks.joined(separator: "\n") + (blocks.isEmpty ? "" : "\n") + table.footer + "\n", nil)
    }
  }

  func render(_ record: ShellRecord) -> String {
    let properties = record.properties.sorted { $0.key < $1.key }.map { ($0.key, ShellValues.literal($0.value)) }
    switch mode {
    case .json:
      return JSONWriter.compact.string(from: record.json) + "\n"
    case .line:
      let pairs = record.fields.map { ($0.0, $0.1.text) } + properties
      let keyWidth = pairs.map { TerminalText.width(of: $0.0) }.max() ?? 0
      return pairs.map { key, value in
        TerminalText.pad(TerminalText.escapingControlCharacters(key), toWidth: keyWidth, alignment: .right) + " = "
          + TerminalText.escapingControlCharacters(value) + "\n"
      }.joined()
    case .table:
      let inner = max(width - 4, 20)
      let keyWidth = (record.fields.map(\.0) + properties.map(\.0)).map { TerminalText.width(of: $0) }.max() ?? 0
      func lines(_ pairs: [(String, String)]) -> [String] {
        KeyValueList(pairs: pairs.map { (TerminalText.pad($0.0, toWidth: keyWidth), $0.1) }).lines(width: inner)
      }
      var sections = [lines(record.fields.map { ($0.0, $0.1.text) })]
      if !properties.isEmpty { sections.append(lines(properties)) }
      return Box(title: record.title, sections: sections).render(style: style, maxWidth: width)
    }
  }
}
