import SombraCLI
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
  let report: JSONValue = [
    "schema": 1,
    "ok": false,
    "ratio": 0.25,
    "path": "graph.sombra",
    "problems": [["code": "PAGE_CHECKSUM", "page": 7]],
    "empty": [],
    "none": nil,
    "meta": [:],
  ]

  @Test func compactOutputHasNoWhitespaceAndKeepsKeyOrder() {
    #expect(
      JSONWriter.compact.string(from: report) == """
        {"schema":1,"ok":false,"ratio":0.25,"path":"graph.sombra",\
        "problems":[{"code":"PAGE_CHECKSUM","page":7}],"empty":[],"none":null,"meta":{}}
        """)
  }

  @Test func prettyOutputIndentsOneItemPerLine() {
    #expect(
      JSONWriter.pretty.string(from: report) == """
        {
          "schema": 1,
          "ok": false,
          "ratio": 0.25,
          "path": "graph.sombra",
          "problems": [
            {
              "code": "PAGE_CHECKSUM",
              "page": 7
            }
          ],
          "empty": [],
          "none": null,
          "meta": {}
        }
        """)
  }

  @Test func stringsEscapeQuotesBackslashesAndControlCharactersButKeepUnicode() {
    let value = JSONValue.string("say \"hi\"\\ \n\r\t\u{0}\u{1B}\u{7F} é 東京 🙂")
    #expect(
      JSONWriter.compact.string(from: value)
        == #""say \"hi\"\\ \n\r\t\u0000\u001b\u007f é 東京 🙂""#)
  }

  @Test func doublesUseTheShortestRoundTripForm() {
    let numbers: JSONValue = [0.1, 1e20, -0.0, .double(.leastNonzeroMagnitude), 1.5, 123456789.125]
    #expect(JSONWriter.compact.string(from: numbers) == "[0.1,1e+20,-0.0,5e-324,1.5,123456789.125]")
  }

  @Test func nonFiniteDoublesAreWrittenAsNull() {
    let numbers = JSONValue.array([.double(.nan), .double(.infinity), .double(-.infinity)])
    #expect(JSONWriter.compact.string(from: numbers) == "[null,null,null]")
  }

  @Test func integersCoverTheWholeInt64Range() {
    let numbers = JSONValue.array([.integer(.min), .integer(.max), 0, -1])
    #expect(JSONWriter.compact.string(from: numbers) == "[-9223372036854775808,9223372036854775807,0,-1]")
  }

  @Test func writeAppendsOneNewlinePerDocument() {
    let output = MemoryOutput()
    JSONWriter.compact.write(["type": "node", "id": "1"], to: output)
    JSONWriter.compact.write(true, to: output)
    #expect(output.text == "{\"type\":\"node\",\"id\":\"1\"}\ntrue\n")
  }

  @Test func aCustomIndentIsHonoured() {
    #expect(JSONWriter(indent: 4).string(from: [1]) == "[\n    1\n]")
  }
}
