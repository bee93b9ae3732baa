import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

/// `sombra-verify` run in-process with `COLUMNS=80 NO_COLOR=1`: exact output and
/// exit status for clean and damaged databases, quiet and JSON modes, usage
/// errors, and files it cannot open.
@Suite struct VerifyToolTests {
  func run(_ arguments: [String]) -> (status: ExitCode, out: String, err: String) {
    let (context, out, err) = ToolContext.capturing(InspectFixture.environment)
    let status = SombraVerify.main(arguments, context: context)
    return (status, out.text, err.text)
  }

  /// The graph with the label-index entry of node 1 removed behind the engine's back.
  func damagedGraph(_ dir: ScratchDirectory, alsoAdjacency: Bool = false) throws -> String {
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let db = try Database.open(path, options: InspectFixture.options)
    try db.write { tx in
      guard let person = try tx.catalogNames(.label).first(where: { $0.value == "Person" })?.key else {
        throw SombraError(.notFound, "no Person label")
      }
      let labels = BTree(root: tx.header.roots[GraphRoot.labels.rawValue])
      #expect(try labels.remove(GraphKeys.label(person, 1), in: tx.pages))
      if alsoAdjacency {
        let adjacency = BTree(root: tx.header.roots[GraphRoot.adjacency.rawValue])
        var first: [UInt8]?
        try adjacency.scan(in: tx) { key, _ in
          first = key
          return false
        }
        if let first { #expect(try adjacency.remove(first, in: tx.pages)) }
      }
    }
    try db.close()
    return path
  }

  @Test func aCleanDatabasePrintsOneLineAndExitsZero() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let before = fileBytes(path)
    let pages = try Database.open(path, options: .readOnly).verify().counts.pages
    let result = run([path])
    #expect(result.status == .success)
    #expect(result.out == "\(path): ok (graph level, \(pages) pages, 0 WAL frames, 3 nodes, 3 edges)\n")
    #expect(result.err == "")
    #expect(fileBytes(path) == before, "verify must not change the file")
    let quiet = run(["-q", path])
    #expect(quiet.status == .success && quiet.out == "" && quiet.err == "")
    let checksums = run(["--checksums-only", path])
    #expect(checksums.out == "\(path): ok (checksums level, \(pages) pages, 0 WAL frames)\n")
  }

  @Test func aProblemNamesTheRecordTheInvariantAndTheRepair() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = try damagedGraph(dir)
    let result = run([path])
    #expect(result.status == .failure)
    let lines = result.out.split(separator: "\n").map(String.init)
    #expect(lines.count == 2)
    #expect(lines.first?.hasPrefix("LABEL_INDEX_MISSING") == true)
    #expect(lines.first?.contains("node 1") == true)
    #expect(lines.first?.hasSuffix("; try: sombra-repair \(path) rebuild-indexes") == true)
    #expect(lines.last?.hasPrefix("\(path): 1 problem found (graph level") == true)
    let quiet = run(["--quiet", path])
    #expect(quiet.status == .failure)
    #expect(quiet.out == (lines.last ?? "") + "\n")
    let skipping = run(["--skip-indexes", path])
    #expect(skipping.status == .success, "the only problem is in an index that was skipped")
  }

  @Test func maxErrorsCapsTheListAndSaysSo() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = try damagedGraph(dir, alsoAdjacency: true)
    let all = run(["--max-errors", "0", path])
    #expect(all.status == .failure)
    let problemLines = all.out.split(separator: "\n").dropLast()
    #expect(problemLines.count >= 2)
    let capped = run(["--max-errors=1", path])
    #expect(capped.status == .failure)
    #expect(capped.out.split(separator: "\n").count == 2)
    #expect(capped.out.contains("stopped after 1 (raise --max-errors, 0 for all)"))
  }

  @Test func jsonReportsEveryProblemWithItsCode() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = try damagedGraph(dir)
    let result = run(["--json", path])
    #expect(result.status == .failure)
    let document = try JSONParser.parse(result.out)
    #expect(document["schema"]?.integerValue == 1)
    #expect(document["clean"]?.boolValue == false)
    #expect(document["level"]?.stringValue == "graph")
    #expect(document["problems"]?[0]?["code"]?.stringValue == "LABEL_INDEX_MISSING")
    #expect(document["problems"]?[0]?["hint"]?.stringValue == "sombra-repair \(path) rebuild-indexes")
    #expect(document["total_errors"]?.integerValue == 1)
  }

  @Test func aFlippedByteInAPageIsAChecksumProblem() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    guard var bytes = fileBytes(path), bytes.count > 3 * 4096 else {
      Issue.record("fixture too small")
      return
    }
    bytes[2 * 4096 + 100] ^= 0x40
    writeFile(path, bytes)
    let result = run(["--checksums-only", path])
    #expect(result.status == .failure)
    #expect(result.out.hasPrefix("PAGE_CHECKSUM page 2"))
  }

  @Test func usageErrorsAndUnopenableFilesFollowTheContract() throws {
    let both = run(["--checksums-only", "--quick", "x.sombra"])
    #expect(both.status == .usage)
    #expect(both.err.hasPrefix("error: --checksums-only and --quick cannot be used together\n"))
    #expect(both.err.hasSuffix("see 'sombra-verify --help'\n"))
    let typo = run(["--max-erors", "3", "x.sombra"])
    #expect(typo.status == .usage)
    #expect(typo.err.contains("did you mean '--max-errors'?"))
    let timeout = run(["--lock-timeout", "soon", "x.sombra"])
    #expect(timeout.status == .usage)
    let missing = run(["/nonexistent/g.sombra"])
    #expect(missing.status == .cannotOpen)
    #expect(missing.err.hasPrefix("sombra-verify: error: no such file"))
    let help = run(["--help"])
    #expect(help.status == .success)
    #expect(help.out.contains("--checksums-only"))
    #expect(help.out.contains("EXIT STATUS"))
  }
}

@Suite struct VerifyBinaryTests {
  /// The real executable beside the test bundle (built with the package).
  static func binary() -> String? {
    guard let inspect = InspectBinary.find() else { return nil }
    let verify = String(inspect.dropLast("sombra-inspect".count)) + "sombra-verify"
    return access(verify, X_OK) == 0 ? verify : nil
  }

  @Test func theBuiltExecutableVerifiesAndExitsWithTheContractsStatus() throws {
    let binary = try #require(Self.binary(), "sombra-verify is not built next to the test bundle")
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let clean = try InspectBinary.run(binary, ["-q", path])
    #expect(clean.status == 0)
    #expect(clean.out == "" && clean.err == "")
    let missing = try InspectBinary.run(binary, [dir.file("w.sombra")])
    #expect(missing.status == 3)
    let usage = try InspectBinary.run(binary, ["--bogus", path])
    #expect(usage.status == 2)
    #expect(usage.err.hasSuffix("see 'sombra-verify --help'\n"))
  }
}
