import SombraCLI
import SombraTestSupport
import Testing

@testable import SombraTools

/// Seeded random command lines: every one is parsed and run against a real
/// database; each must end in a result or an error, never a crash.
@Suite struct ShellFuzzTests {
  /// SplitMix64: a small, seedable generator.
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let vocabulary = [
    "node", "nodes", "edge", "edges", "neighbors", "hops", "bfs", "path", "labels", "types", "keys", "count", "create",
    "set", "unset", "label", "delete", "index", "indexes", "begin", "commit", "rollback", "WHERE", "AND", "LIMIT", "detach",
    "out", "in", "both", "drop", ":", ":Person", ":KNOWS", "{", "}", "[", "]", "(", ")", ",", "=", "!=", "<", "<=", ">",
    ">=", "-", "->", "+", "-[", "]->", "name", "born", "1", "2", "3", "0", "-1", "42", "4.2", "1e400", "9223372036854775808",
    "\"Ada\"", "\"", "'x'", "`L`", "true", "false", "null", "bytes(\"AA==\")", "bytes(\"!\")", "\\u", "\"\\u12\"", "é",
    "漢字", "\u{0}", "\t", ".mode", ".timer", ".width", ".limit", ".help", "json", "line", "table", "on", "999999999999",
  ]

  @Test(arguments: [1, 2, 3, 4]) func randomLinesNeverCrash(seed: UInt64) throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let (context, _, _) = ToolContext.capturing(["COLUMNS": "80", "NO_COLOR": "1"])
    let session = try ShellSession(path: scratch.file("f.sombra"), readOnly: false, context: context)
    defer { session.close() }
    var random = SplitMix(state: seed)
    _ = try? session.run("create node :Person {name: \"Ada\", born: 1815}")
    _ = try? session.run("create node :Person {name: \"Bob\"}")
    _ = try? session.run("create edge 1 -[:KNOWS]-> 2")
    var succeeded = 0
    for _ in 0..<1500 {
      var words: [String] = []
      for _ in 0..<Int.random(in: 1...9, using: &random) {
        if Int.random(in: 0..<10, using: &random) == 0 {
          words.append(
            String(
              (0..<Int.random(in: 1...4, using: &random)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random)))
              }))
        } else {
          words.append(Self.vocabulary.randomElement(using: &random) ?? "node")
        }
      }
      let line = words.joined(separator: Bool.random(using: &random) ? " " : "")
      if line.hasPrefix(".") && !line.hasPrefix(".mode") && !line.hasPrefix(".timer") && !line.hasPrefix(".help")
        && !line.hasPrefix(".width") && !line.hasPrefix(".limit")
      {
        _ = try? ShellParser.parse(line)
        continue
      }
      do {
        try session.run(line)
        succeeded += 1
      } catch is ShellError {
      } catch {
        // Engine errors (not found, invalid argument) are fine too.
      }
    }
    #expect(succeeded > 0)
  }
}
