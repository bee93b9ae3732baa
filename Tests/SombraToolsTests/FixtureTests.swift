import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing
import sombra_fixtures

/// The checked-in databases of `Fixtures/` (its README says how each was made
/// and what a verifier must report): `sombra-verify` run in-process on a copy
/// (JSON) and on the original (text) gives each one's exact exit status and
/// problem code, and leaves the original byte-identical; `sombra-inspect info`
/// reads every openable one without changing a byte; and the generator,
/// run in-process, makes the same bytes as the checked-in files.
@Suite struct FixtureTests {
  /// What `sombra-verify --json --max-errors 0` must say about one fixture.
  struct Expected: Sendable, CustomTestStringConvertible {
    /// `valid/small`, `broken/page-checksum`, ...
    var name: String
    var status: ExitCode
    /// The code of every problem reported (exactly one problem); nil: clean.
    var code: String? = nil
    var page: UInt32? = nil
    var record: String? = nil
    /// For a file the tool cannot open: how its stderr starts.
    var error: String? = nil
    /// Whether a read-only open succeeds (`sombra-inspect info` works).
    var opens = true

    var testDescription: String { name }
  }

  static let expected: [Expected] = [
    Expected(name: "valid/small", status: .success),
    Expected(name: "valid/wal-pending", status: .success),
    Expected(
      name: "broken/bad-magic", status: .cannotOpen,
      error: "sombra-verify: error: not a Sombra database: the file starts with \"GRPHITX.\"", opens: false),
    // The open itself fails on page 0: reported as a problem, not a usage error.
    Expected(name: "broken/header-checksum", status: .failure, code: "HEADER_INVALID", page: 0, opens: false),
    Expected(name: "broken/page-checksum", status: .failure, code: "PAGE_CHECKSUM", page: 5, record: "main file"),
    // The torn transaction was never committed: recovery drops it, as after
    // any crash; what is left is exactly valid/wal-pending.
    Expected(name: "broken/torn-wal-tail", status: .success),
    // Recovery stops at the stale frame; the verifier names the commits lost behind it.
    Expected(name: "broken/stale-wal-frame", status: .failure, code: "WAL_DAMAGED", record: "WAL frame 1"),
    Expected(name: "broken/btree-key-order", status: .failure, code: "BTREE_KEY_ORDER", page: 5, record: "label-index tree"),
    Expected(name: "broken/child-cycle", status: .failure, code: "BTREE_CYCLE", page: 3, record: "edges tree"),
    Expected(name: "broken/dangling-edge", status: .failure, code: "EDGE_DANGLING", record: "edge 64"),
    Expected(name: "broken/missing-adjacency", status: .failure, code: "ADJACENCY_MISSING", record: "edge 1"),
    Expected(name: "broken/index-entry-without-record", status: .failure, code: "PROPERTY_INDEX_EXTRA", record: "node 12"),
    Expected(name: "broken/wrong-count", status: .failure, code: "COUNT_MISMATCH", record: "label Person"),
    Expected(name: "broken/free-page-in-use", status: .failure, code: "PAGE_DOUBLE_USE", page: 5, record: "free list"),
  ]

  /// `Fixtures/`, found from this file's path (Tests/SombraToolsTests/).
  static let directory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/Fixtures"
  }()

  static func files(_ name: String) -> [String] {
    FixtureGenerator.recipes.first { $0.name == name }?.files ?? [name + ".sombra"]
  }

  func verify(_ arguments: [String]) -> (status: ExitCode, out: String, err: String) {
    let (context, out, err) = ToolContext.capturing(InspectFixture.environment)
    let status = SombraVerify.main(arguments, context: context)
    return (status, out.text, err.text)
  }

  /// Every file of the fixture (and the WAL path, which may not exist), as bytes.
  func snapshot(_ name: String, in directory: String = FixtureTests.directory) -> [String: [UInt8]?] {
    let base = directory + "/" + name + ".sombra"
    return [base: fileBytes(base), base + ".wal": fileBytes(base + ".wal")]
  }

  // MARK: Every fixture has an entry

  @Test func everyGeneratedFixtureHasAnExpectationAndAREADMELine() throws {
    #expect(FixtureGenerator.recipes.map(\.name) == Self.expected.map(\.name))
    let readme = String(decoding: try #require(fileBytes(Self.directory + "/README.md")), as: UTF8.self)
    for recipe in FixtureGenerator.recipes {
      for file in recipe.files {
        #expect(readme.contains("`\(file)`"), "Fixtures/README.md has no entry for \(file)")
        #expect(fileBytes(Self.directory + "/" + file) != nil, "\(file) is not checked in: run scripts/make-fixtures")
      }
    }
  }

  // MARK: sombra-verify

  @Test(arguments: FixtureTests.expected)
  func verifyReportsTheExpectedStatusAndCode(_ expected: Expected) throws {
    let scratch = try ScratchDirectory(prefix: "sombra-fixtures")
    let copy = scratch.path + "/" + expected.name.split(separator: "/").joined(separator: "-") + ".sombra"
    for file in Self.files(expected.name) {
      let bytes = try #require(fileBytes(Self.directory + "/" + file), "\(file) is missing")
      writeFile(copy + (file.hasSuffix(".wal") ? ".wal" : ""), bytes)
    }
    let original = Self.directory + "/" + expected.name + ".sombra"
    let before = snapshot(expected.name)

    let json = verify(["--json", "--max-errors", "0", copy])
    let text = verify([original])
    try check(expected, json: json, text: text, path: original)
    #expect(snapshot(expected.name) == before, "verify changed \(expected.name)")
  }

  func check(
    _ expected: Expected, json: (status: ExitCode, out: String, err: String), text: (status: ExitCode, out: String, err: String),
    path: String
  ) throws {
    #expect(json.status == expected.status, "\(json.out)\(json.err)")
    #expect(text.status == expected.status, "\(text.out)\(text.err)")
    if let error = expected.error {
      #expect(json.out == "" && text.out == "")
      #expect(json.err.hasPrefix(error), "\(json.err)")
      #expect(text.err.hasPrefix(error), "\(text.err)")
      return
    }
    #expect(json.err == "" && text.err == "")
    let document = try JSONParser.parse(json.out)
    guard case .array(let problems)? = document["problems"] else {
      Issue.record("no problems array in \(json.out)")
      return
    }
    guard let code = expected.code else {
      #expect(problems.isEmpty, "\(json.out)")
      #expect(document["clean"]?.boolValue == true)
      #expect(text.out.hasPrefix("\(path): ok ("), "\(text.out)")
      return
    }
    #expect(document["clean"]?.boolValue == false)
    #expect(problems.map { $0["code"]?.stringValue } == [code], "\(json.out)")
    if let page = expected.page { #expect(problems.first?["page"]?.integerValue == Int64(page), "\(json.out)") }
    if let record = expected.record { #expect(problems.first?["record"]?.stringValue == record, "\(json.out)") }
    #expect(text.out.hasPrefix(code + " "), "\(text.out)")
  }

  @Test func aTornWALTailLeavesExactlyTheCommittedTransactions() throws {
    let torn = try Database.open(Self.directory + "/broken/torn-wal-tail.sombra", options: .readOnly)
    defer { try? torn.close() }
    let pending = try Database.open(Self.directory + "/valid/wal-pending.sombra", options: .readOnly)
    defer { try? pending.close() }
    let a = try torn.verify()
    let b = try pending.verify()
    #expect(a.isClean && b.isClean)
    #expect(a.counts.walFrames == b.counts.walFrames && a.counts.nodes == b.counts.nodes && a.counts.edges == b.counts.edges)
    #expect(a.transactionID == b.transactionID)
  }

  // MARK: sombra-inspect

  @Test(arguments: FixtureTests.expected)
  func inspectInfoReadsEveryOpenableFixtureWithoutChangingIt(_ expected: Expected) throws {
    let path = Self.directory + "/" + expected.name + ".sombra"
    let before = snapshot(expected.name)
    let result = inspect([path, "info"])
    if expected.opens {
      #expect(result.status == .success, "\(result.err)")
      #expect(result.out.contains("| nodes "), "\(result.out)")
    } else {
      #expect(result.status != .success)
    }
    #expect(snapshot(expected.name) == before, "inspect changed \(expected.name)")
  }

  // MARK: Regeneration

  @Test func theGeneratorReproducesEveryCheckedInFileByteForByte() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-fixtures")
    let written = try FixtureGenerator.writeAll(into: scratch.path)
    #expect(written.map(\.file) == FixtureGenerator.recipes.flatMap(\.files))
    for (file, size) in written {
      let fresh = fileBytes(scratch.path + "/" + file)
      let checkedIn = fileBytes(Self.directory + "/" + file)
      #expect(fresh != nil && fresh == checkedIn, "\(file) differs from a fresh generation: run scripts/make-fixtures")
      #expect(size <= 64 * 1024, "\(file) is \(size) bytes; fixtures stay small")
    }
  }
}
