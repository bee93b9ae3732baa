import SombraCLI
import Testing

@Suite("Boxes")
struct BoxTests {
  let box = Box(title: "graph.sombra", sections: [["format  2.0"], ["nodes   1,024", "edges   9"]])

  @Test func aTitledBoxSeparatesSectionsWithRules() {
    #expect(
      box.render(style: .unicode, maxWidth: 80) == """
        ┌─ graph.sombra ─┐
        │ format  2.0    │
        ├────────────────┤
        │ nodes   1,024  │
        │ edges   9      │
        └────────────────┘

        """)
  }

  @Test func anASCIIBoxUsesPlusMinusAndBar() {
    #expect(
      box.render(style: .ascii, maxWidth: 80) == """
        +- graph.sombra -+
        | format  2.0    |
        +----------------+
        | nodes   1,024  |
        | edges   9      |
        +----------------+

        """)
  }

  @Test func aBoxWiderThanTheLimitCutsItsTitleAndLines() {
    #expect(
      box.render(style: .unicode, maxWidth: 12) == """
        ┌─ graph… ─┐
        │ format … │
        ├──────────┤
        │ nodes  … │
        │ edges  … │
        └──────────┘

        """)
  }

  @Test func anUntitledBoxIsAsWideAsItsWidestLine() {
    #expect(
      Box(sections: [["東京", "ab"]]).render(style: .unicode, maxWidth: 80) == """
        ┌──────┐
        │ 東京 │
        │ ab   │
        └──────┘

        """)
  }
}
