import SombraCLI
import SombraTestSupport
import SombraTools
import Testing

/// `.export` and `.import`: JSON Lines in the APOC format.
@Suite struct ShellInterchangeTests {
  static let graph = """
    create node :Person {name: "Ada", born: 1815, tags: ["math", "poetry"], raw: bytes("AAECAw=="), ratio: 0.5}
    create node :Person:Author {name: "Charles \\"Babbage\\"", alive: false, nothing: null}
    create node
    create edge 1 -[:KNOWS {since: 1833, w: 2.0}]-> 2
    create edge 2 -[:KNOWS]-> 1
    create edge 3 -[:SELF]-> 3

    """

  @Test func exportImportExportIsIdentical() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let first = ShellRun.run([scratch.file("a.sombra")], script: Self.graph + ".export \(scratch.file("a.jsonl"))\n")
    #expect(first.status == .success)
    #expect(first.standardOutput.hasSuffix("exported 3 nodes and 3 relationships to \(scratch.file("a.jsonl"))\n"))
    let second = ShellRun.run(
      [scratch.file("b.sombra")], script: ".import \(scratch.file("a.jsonl"))\n.export \(scratch.file("b.jsonl"))\n")
    #expect(second.status == .success)
    #expect(second.standardError == "")
    #expect(second.standardOutput.hasPrefix("imported 3 nodes and 3 relationships from "))
    let a = scratch.read("a.jsonl")
    #expect(a != nil && a == scratch.read("b.jsonl"))
    #expect(
      a?.split(separator: "\n").first
        == #"{"type":"node","id":"1","labels":["Person"],"properties":{"born":1815,"name":"Ada","ratio":0.5,"raw":{"$base64":"AAECAw=="},"tags":["math","poetry"]}}"#
    )
    #expect(
      a?.contains(
        #"{"type":"relationship","id":"1","label":"KNOWS","properties":{"since":1833,"w":2.0},"start":{"id":"1"},"end":{"id":"2"}}"#
      ) == true)
  }

  @Test func idsAreRemappedIntoANonEmptyDatabase() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    scratch.write(
      "g.jsonl",
      """
      {"type":"node","id":"a","labels":["P"],"properties":{"n":1}}
      {"type":"node","id":"b","labels":["P"],"properties":{"n":2}}

      {"type":"relationship","id":"x","label":"R","properties":{},"start":{"id":"b"},"end":{"id":"a"}}

      """)
    let run = ShellRun.run([scratch.file("g.sombra")], script: "create node :Q\n.import \(scratch.file("g.jsonl"))\nedge 1\n")
    #expect(run.status == .success)
    #expect(run.standardOutput.contains("| from  3  |\n| to    2  |"))
  }

  @Test func aMalformedLineNamesItsLineAndImportsNothingOfItsBatch() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    var lines = (1...1500).map { #"{"type":"node","id":"\#($0)","labels":["N"],"properties":{}}"# }
    lines[1199] = #"{"type":"relationship","id":"1","label":"R","properties":{},"start":{"id":"1"},"end":{"id":"9999"}}"#
    scratch.write("big.jsonl", lines.joined(separator: "\n") + "\n")
    let file = scratch.file("big.jsonl")
    let run = ShellRun.run(["--keep-going", scratch.file("g.sombra")], script: ".import \(file)\ncount\n")
    #expect(run.status == .failure)
    #expect(run.standardOutput == "1000\n")
    #expect(
      run.standardError
        == "line 1: error: \(file):1200: \"end\" names node id 9999, which no earlier line defines (nothing from line 1001 on was imported; kept 1000 nodes and 0 relationships from lines before 1001)\n"
    )
  }

  @Test func badJSONAndBadValuesAreReported() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    scratch.write("a.jsonl", "{\"type\":\"node\",\"id\":\"1\"}\n{\"type\":\"node\",\n")
    scratch.write("b.jsonl", "{\"type\":\"node\",\"id\":\"1\",\"properties\":{\"a\":[[1]]}}\n")
    scratch.write("c.jsonl", "{\"type\":\"edge\",\"id\":\"1\"}\n")
    let run = ShellRun.run(
      ["--keep-going", scratch.file("g.sombra")],
      script:
        ".import \(scratch.file("a.jsonl"))\n.import \(scratch.file("b.jsonl"))\n.import \(scratch.file("c.jsonl"))\n.import \(scratch.file("none.jsonl"))\ncount\n"
    )
    #expect(run.standardOutput == "0\n")
    let errors = run.standardError.split(separator: "\n")
    #expect(errors.count == 4)
    #expect(errors[0].contains("a.jsonl:2: invalid JSON"))
    #expect(errors[1].contains("b.jsonl:1: property \"a\": a list property holds scalars only, not lists"))
    #expect(errors[2].contains("c.jsonl:1: \"type\" must be \"node\" or \"relationship\", not \"edge\""))
    #expect(errors[3].contains("cannot read \(scratch.file("none.jsonl")): No such file or directory"))
  }
}
