/// A table of text cells, rendered with ``render(style:maxWidth:)``:
///
/// ```
/// ┌────┬───────┬────────┐
/// │ id │ label │ degree │
/// ├────┼───────┼────────┤
/// │  1 │ Alice │      3 │
/// └────┴───────┴────────┘
/// 1 row
/// ```
///
/// Cells are data: control characters in them are escaped before measuring.
/// Rows shorter than the header are padded with empty cells; extra cells are
/// ignored.
public struct Table: Sendable {
  /// A column: its header and how its cells align.
  public struct Column: Sendable, Equatable {
    /// The header text.
    public var header: String
    /// The alignment; ``ColumnAlignment/automatic`` right-aligns numbers.
    public var alignment: ColumnAlignment

    /// A column titled `header`.
    public init(_ header: String, alignment: ColumnAlignment = .automatic) {
      self.header = header
      self.alignment = alignment
    }
  }

  /// The columns, left to right.
  public var columns: [Column]
  /// The rows of cells.
  public var rows: [[String]]
  /// A line printed under the table, such as `3 rows`.
  public var footer: String?

  /// A table with explicit column declarations.
  public init(columns: [Column], rows: [[String]] = [], footer: String? = nil) {
    self.columns = columns
    self.rows = rows
    self.footer = footer
  }

  /// A table whose columns all align automatically.
  public init(headers: [String], rows: [[String]] = [], footer: String? = nil) {
    self.init(columns: headers.map { Column($0) }, rows: rows, footer: footer)
  }

  /// Appends a row.
  public mutating func append(_ row: [String]) {
    rows.append(row)
  }
}
