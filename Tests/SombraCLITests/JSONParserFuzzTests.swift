import SombraCLI
import Testing

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var mixed = state
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }
}

@Suite("JSON parser on garbage")
struct JSONParserFuzzTests {
  static let fragments: [[UInt8]] =
    [
      "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud83d", "\\u0041", "0", "-", "1e", ".", "9999999999999999999999",
      "1e400", "true", "fals", "null", " ", "\n", "\"key\"", "é", "🙂",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x00], [0x1F], [0xED, 0xA0, 0x80]]

  static let sample = Array(
    #"{"type":"node","id":"1","labels":["Person"],"properties":{"n":[1,2.5,-3e2,true,null,"\u00e9"]}}"#.utf8)

  /// Parses `bytes`; a value must survive a write/parse round trip.
  func check(_ bytes: [UInt8]) {
    guard let value = try? JSONParser.parse(bytes: bytes) else { return }
    let text = JSONWriter.compact.string(from: value)
    #expect((try? JSONParser.parse(text)) == value, "round trip of \(text)")
  }

  @Test func randomTokenSoupNeverTrapsAndParsedValuesRoundTrip() {
    var random = SeededGenerator(state: 0x5EED_0001)
    for _ in 0..<3_000 {
      var bytes: [UInt8] = []
      for _ in 0..<Int.random(in: 0...40, using: &random) {
        bytes += Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &random)]
      }
      check(bytes)
    }
  }

  @Test func randomBytesNeverTrap() {
    var random = SeededGenerator(state: 0x5EED_0002)
    for _ in 0..<3_000 {
      let bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
      check(bytes)
    }
  }

  @Test func mutationsOfAValidDocumentNeverTrap() {
    var random = SeededGenerator(state: 0x5EED_0003)
    #expect(throws: Never.self) { try JSONParser.parse(bytes: Self.sample) }
    for _ in 0..<5_000 {
      var bytes = Self.sample
      for _ in 0..<Int.random(in: 1...4, using: &random) {
        let index = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
        case 1: bytes.remove(at: index)
        default: bytes.insert(contentsOf: Self.fragments[index % Self.fragments.count], at: index)
        }
        if bytes.isEmpty { break }
      }
      check(bytes)
    }
  }
}
