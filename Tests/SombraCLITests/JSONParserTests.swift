import SombraCLI
import Testing

@Suite("JSON parser")
struct JSONParserTests {
  func error(_ text: String) -> String? {
    do {
      _ = try JSONParser.parse(text)
      return nil
    } catch {
      return error.description
    }
  }

  @Test func everyKindOfValueIsParsedWithMembersInOrder() throws {
    let value = try JSONParser.parse(#" {"b": [1, -2.5e3, true, false, null], "a": "x\u00e9\ud83d\ude42\n"} "#)
    #expect(
      value
        == .object([
          JSONMember("b", [1, -2500.0, true, false, nil]),
          JSONMember("a", "xé🙂\n"),
        ]))
    #expect(value["a"]?.stringValue == "xé🙂\n")
    #expect(value["b"]?[1]?.doubleValue == -2500)
    #expect(value["missing"] == nil)
  }

  @Test func anAPOCNodeLineParses() throws {
    let line = #"{"type":"node","id":"1","labels":["Person"],"properties":{"name":"Ada","born":1815}}"#
    let node = try JSONParser.parse(line)
    #expect(node["labels"]?[0]?.stringValue == "Person")
    #expect(node["properties"]?["born"]?.integerValue == 1815)
    #expect(JSONWriter.compact.string(from: node) == line)
  }

  @Test func duplicateKeysAreKeptAndLookupReturnsTheLast() throws {
    let value = try JSONParser.parse(#"{"k":1,"k":2}"#)
    #expect(value == .object([JSONMember("k", 1), JSONMember("k", 2)]))
    #expect(value["k"] == 2)
  }

  @Test func integersBeyondInt64BecomeDoublesAndOverflowingDoublesAreErrors() throws {
    #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
    #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
    #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808.0))
    #expect(try JSONParser.parse("1.0") == .double(1))
    #expect(error("[1e400]") == "line 1, column 2: number 1e400 is out of range")
    #expect(error("-1e999") == "line 1, column 1: number -1e999 is out of range")
  }

  @Test func malformedNumbersAreRejected() {
    #expect(error("01") == "line 1, column 2: leading zeros are not allowed in numbers")
    #expect(error("-") == "line 1, column 2: expected a digit, found end of input")
    #expect(error("1.") == "line 1, column 3: expected a digit after '.', found end of input")
    #expect(error("1e+") == "line 1, column 4: expected a digit in exponent, found end of input")
    #expect(error("+1") == "line 1, column 1: expected a value, found '+'")
    #expect(error(".5") == "line 1, column 1: expected a value, found '.'")
    #expect(error("NaN") == "line 1, column 1: expected a value, found 'N'")
  }

  @Test func errorsGiveLineAndColumnCountedInCharacters() {
    #expect(error("{\n  \"é\": 1,\n  \"b\" 2\n}") == "line 3, column 7: expected ':' after object key, found '2'")
    #expect(error("[1, 2,]") == "line 1, column 7: expected a value, found ']'")
    #expect(error("[1 2]") == "line 1, column 4: expected ',' or ']' in array, found '2'")
    #expect(error("{\"a\":1 \"b\":2}") == "line 1, column 8: expected ',' or '}' in object, found '\"'")
    #expect(error("{1:2}") == "line 1, column 2: expected a string key in object, found '1'")
    #expect(error("tru") == "line 1, column 1: invalid literal; expected 'true'")
    #expect(error("") == "line 1, column 1: expected a value, found end of input")
    #expect(error("[") == "line 1, column 2: expected a value, found end of input")
    #expect(error("1 2") == "line 1, column 3: unexpected '2' after the JSON value")
  }

  @Test func stringErrorsAreReported() {
    #expect(error("\"abc") == "line 1, column 1: unterminated string")
    #expect(error("\"a\u{1}b\"") == "line 1, column 3: control character in string must be escaped")
    #expect(error(#""\x""#) == #"line 1, column 3: invalid escape '\x' in string"#)
    #expect(error("\"\\\u{7}\"") == "line 1, column 3: invalid escape byte 0x07 in string")
    #expect(error(#""\u12G4""#) == "line 1, column 6: expected four hex digits after \\u, found 'G'")
    #expect(error(#""\ud83d""#) == "line 1, column 2: unpaired surrogate in \\u escape")
    #expect(error(#""\ude42""#) == "line 1, column 2: unpaired surrogate in \\u escape")
    #expect(error(#""\ud83d\u0041""#) == "line 1, column 2: unpaired surrogate in \\u escape")
  }

  @Test func invalidUTF8IsRejectedInsideAndOutsideStrings() {
    #expect(throws: JSONParseError(message: "invalid UTF-8 in string", line: 1, column: 1, offset: 0)) {
      try JSONParser.parse(bytes: [0x22, 0xC3, 0x28, 0x22])
    }
    #expect(throws: JSONParseError(message: "expected a value, found byte 0xFF", line: 1, column: 1, offset: 0)) {
      try JSONParser.parse(bytes: [0xFF])
    }
  }

  @Test func aByteOrderMarkIsSkipped() throws {
    #expect(try JSONParser.parse(bytes: [0xEF, 0xBB, 0xBF, 0x31]) == 1)
  }

  @Test func nestingIsCappedAtFiveHundredTwelveLevels() throws {
    let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
    #expect(throws: Never.self) { try JSONParser.parse(deepest) }
    #expect(error(String(repeating: "[", count: 513)) == "line 1, column 513: nesting deeper than 512 levels")
    #expect(error(String(repeating: "{\"a\":", count: 100_000)) != nil)
  }
}
