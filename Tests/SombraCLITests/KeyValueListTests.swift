import SombraCLI
import Testing

@Suite("Key/value lists")
struct KeyValueListTests {
  @Test func valuesAlignInAColumnAfterTheLongestKey() {
    var list = KeyValueList(title: "Database")
    list.append("path", "/srv/graph.sombra")
    list.append("page size", "8192")
    #expect(
      list.render(width: 80) == """
        Database
          path       /srv/graph.sombra
          page size  8192

        """)
  }

  @Test func withoutATitleKeysStartAtTheLeftEdge() {
    let list = KeyValueList(pairs: [("a", "1"), ("名前", "東京")])
    #expect(list.render(width: 80) == "a     1\n名前  東京\n")
  }

  @Test func longValuesWrapUnderTheValueColumnAndEmptyValuesLeaveNoTrailingSpace() {
    var list = KeyValueList(title: "Database")
    list.append("note", "a long value that should wrap across several lines")
    list.append("empty", "")
    #expect(
      list.render(width: 30) == """
        Database
          note   a long value that
                 should wrap across
                 several lines
          empty

        """)
  }

  @Test func keysAndValuesAreEscaped() {
    let list = KeyValueList(pairs: [("k\t", "v\n")])
    #expect(list.lines(width: 80) == ["k\\t  v\\n"])
  }

  @Test func anEmptyListRendersNothing() {
    #expect(KeyValueList().render(width: 80) == "")
  }
}
