import SombraCore
import Testing

@testable import SombraTools

/// The command language: tokens with columns, literals, carets and suggestions.
@Suite struct ShellParserTests {
  func error(_ line: String) -> ShellError? {
    do {
      _ = try ShellParser.parse(line)
      return nil
    } catch {
      return error
    }
  }

  @Test func commandsParseIntoTheirTrees() throws {
    #expect(
      try ShellParser.parse("nodes :Person WHERE born >= 1800 and name = \"Ada\" LIMIT 3")
        == .nodes(
          label: "Person",
          conditions: [
            .init(key: "born", predicate: .greaterOrEqual(.int(1800))), .init(key: "name", predicate: .equals(.string("Ada"))),
          ],
          limit: 3))
    #expect(
      try ShellParser.parse("create edge 1 -[:KNOWS {since: 2020, w: -1.5e2}]-> 2")
        == .createEdge(
          from: 1, to: 2, type: "KNOWS", properties: ["since": .int(2020), "w": .double(-150)]))
    #expect(
      try ShellParser.parse("create node :A:`Two words` {\"k k\": [1, \"x\", null, true]}")
        == .createNode(
          labels: ["A", "Two words"], properties: ["k k": .list([.int(1), .string("x"), .null, .bool(true)])]))
    #expect(try ShellParser.parse("label node 3 +A -B") == .relabel(3, add: ["A"], remove: ["B"]))
    #expect(try ShellParser.parse("edges 4 in :CITES") == .edges(4, .incoming, type: "CITES"))
    #expect(try ShellParser.parse("index drop (name)") == .dropIndex(label: nil, key: "name"))
    #expect(try ShellParser.parse("  -- a comment") == .nothing)
    #expect(try ShellParser.parse(".import 'my file.jsonl'") == .meta(".import", ["my file.jsonl"]))
    #expect(try ShellParser.parse("set node 1 s=\"a\\n\\u00e9\"") == .set(.node(1), ["s": .string("a\né")]))
  }

  @Test func errorsPointAtTheColumn() {
    let missing = error("nodes :Person WHERE born <")
    #expect(missing?.message == "expected a value, found the end of the line")
    #expect(
      missing?.caretLines(line: "nodes :Person WHERE born <") == [
        "  nodes :Person WHERE born <", "                            ^",
      ])
    #expect(error("create node {name: Ada}")?.column == 20)
    #expect(error("node 0")?.message == "ids start at 1, not 0")
    #expect(error("create edge 1 -[:K]- 2")?.column == 20)
    #expect(error("node 1 2")?.message == "unexpected '2' after the end of the command")
    #expect(error("set node 1 x=\"open")?.message == "unterminated string (add a closing \")")
    #expect(error("label edge 1 +A")?.message.hasPrefix("an edge has exactly one type") == true)
  }

  @Test func unknownCommandsSuggestTheClosest() {
    #expect(error("lables")?.message == "unknown command 'lables'; did you mean 'labels'?")
    #expect(error("neighbours 1")?.message == "unknown command 'neighbours'; did you mean 'neighbors'?")
    #expect(error("xyzzy")?.message == "unknown command 'xyzzy'")
    #expect(error(".mod json")?.message == "unknown meta-command '.mod'; did you mean '.mode'? (.help lists them)")
    #expect(error("create nod :A")?.message == "expected 'node' or 'edge', found 'nod'; did you mean 'node'?")
  }

  @Test func base64RoundTrips() {
    for length in 0..<40 {
      let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
    #expect(Base64.decode("AAE") == nil)
    #expect(Base64.decode("A=AA") == nil)
    #expect(Base64.decode("AA*=") == nil)
  }
}
