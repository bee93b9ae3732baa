import SombraCLI
import Testing

@Suite("Tables")
struct TableTests {
  let people = Table(
    headers: ["id", "name", "degree"],
    rows: [["1", "Alice", "3"], ["22", "東京タワー", "1,024"], ["3", "🙂 Bob", ""]],
    footer: "3 rows"
  )

  @Test func aUnicodeTableRightAlignsNumericColumnsAndMeasuresWideCells() {
    #expect(
      people.render(style: .unicode, maxWidth: 80) == """
        ┌────┬────────────┬────────┐
        │ id │ name       │ degree │
        ├────┼────────────┼────────┤
        │  1 │ Alice      │      3 │
        │ 22 │ 東京タワー │  1,024 │
        │  3 │ 🙂 Bob     │        │
        └────┴────────────┴────────┘
        3 rows

        """)
  }

  @Test func anASCIITableUsesPlusMinusAndBar() {
    #expect(
      people.render(style: .ascii, maxWidth: 80) == """
        +----+------------+--------+
        | id | name       | degree |
        +----+------------+--------+
        |  1 | Alice      |      3 |
        | 22 | 東京タワー |  1,024 |
        |  3 | 🙂 Bob     |        |
        +----+------------+--------+
        3 rows

        """)
  }

  @Test func aNarrowWidthShrinksTheWidestColumnsAndTruncatesCells() {
    #expect(
      people.render(style: .unicode, maxWidth: 22) == """
        ┌────┬───────┬───────┐
        │ id │ name  │ degr… │
        ├────┼───────┼───────┤
        │  1 │ Alice │     3 │
        │ 22 │ 東京… │ 1,024 │
        │  3 │ 🙂 B… │       │
        └────┴───────┴───────┘
        3 rows

        """)
    #expect(
      people.render(style: .ascii, maxWidth: 22) == """
        +----+-------+-------+
        | id | name  | de... |
        +----+-------+-------+
        |  1 | Alice |     3 |
        | 22 | 東... | 1,024 |
        |  3 | 🙂... |       |
        +----+-------+-------+
        3 rows

        """)
  }

  @Test func aWideCharacterAtTheCutIsDroppedWholeAndThePaddingFillsTheColumn() {
    let table = Table(headers: ["k"], rows: [["東京タワー"]])
    #expect(
      table.render(style: .unicode, maxWidth: 8) == """
        ┌──────┐
        │ k    │
        ├──────┤
        │ 東…  │
        └──────┘

        """)
  }

  @Test func extraWidthGoesToTheLeftmostShrunkColumn() {
    let table = Table(headers: ["aaaaaa", "bbbbbb"], rows: [])
    #expect(
      table.render(style: .ascii, maxWidth: 16) == """
        +-------+------+
        | aa... | b... |
        +-------+------+

        """)
  }

  @Test func anEmptyTableShowsOnlyItsHeader() {
    let table = Table(headers: ["id", "name"], footer: "0 rows")
    #expect(
      table.render(style: .unicode, maxWidth: 80) == """
        ┌────┬──────┐
        │ id │ name │
        └────┴──────┘
        0 rows

        """)
  }

  @Test func aTableWithoutColumnsRendersOnlyItsFooter() {
    #expect(Table(headers: []).render(style: .unicode, maxWidth: 80) == "")
    #expect(Table(headers: [], footer: "nothing").render(style: .unicode, maxWidth: 80) == "nothing\n")
  }

  @Test func aSingleColumnTableAndShortRowsAreHandled() {
    let table = Table(columns: [.init("n", alignment: .left), .init("label")], rows: [["10"], ["7", "x", "ignored"]])
    #expect(
      table.render(style: .unicode, maxWidth: 80) == """
        ┌────┬───────┐
        │ n  │ label │
        ├────┼───────┤
        │ 10 │       │
        │ 7  │ x     │
        └────┴───────┘

        """)
  }

  @Test func controlCharactersInCellsAreEscapedBeforeMeasuring() {
    let table = Table(headers: ["value"], rows: [["a\nb\u{1B}"]])
    #expect(
      table.render(style: .ascii, maxWidth: 80) == """
        +------------+
        | value      |
        +------------+
        | a\\nb\\u{1B} |
        +------------+

        """)
  }

  @Test func aWidthTooSmallForAnyContentKeepsOneColumnPerCell() {
    let table = Table(headers: ["abc", "def"], rows: [["1", "2"]])
    #expect(
      table.render(style: .unicode, maxWidth: 3) == """
        ┌───┬───┐
        │ … │ … │
        ├───┼───┤
        │ 1 │ 2 │
        └───┴───┘

        """)
  }
}
