import SombraCore
import SombraTestSupport
import Testing

/// The real `sombra` executable on input that once crashed it.
@Suite struct ShellHostileInputTests {
  /// 200,000 nested brackets used to recurse once per bracket in the value
  /// parser and overflow the stack (SIGSEGV). Lists hold scalars: the line is
  /// refused with its number, and the shell exits 1.
  @Test func aDeeplyNestedListIsALineErrorNotACrash() throws {
    let dir = try ScratchDirectory(prefix: "sombra-hostile")
    let script = dir.file("script.txt")
    let depth = 200_000
    let line = "create node :D {k: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}\n"
    writeFile(script, Array(("count\n" + line + "count\n").utf8))
    let result = try ToolBinary.run("sombra", [dir.file("g.sombra")], input: script)
    #expect(result.status == 1, "\(result.err.prefix(300))")
    #expect(result.err.hasPrefix("line 2: error: "), "\(result.err.prefix(300))")
    #expect(result.err.contains("a list holds scalars only, not lists"))
    #expect(result.err.utf8.count < 1_000, "the error shows a window of the line, not all of it")
  }
}

/// The real `sombra` executable's `.limit`.
@Suite struct ShellLimitTests {
  /// `.limit 0` (or `none`) prints every row, as the help says; it used to be
  /// refused.
  @Test func limitZeroOrNoneShowsEveryRow() throws {
    let dir = try ScratchDirectory(prefix: "sombra-limit")
    let script = dir.file("script.txt")
    let lines = [
      "create node :P", "create node :P", "create node :P",
      ".limit 1", "nodes :P", ".limit 0", "nodes :P", ".limit", ".limit 2", ".limit none", ".limit",
    ]
    writeFile(script, Array((lines.joined(separator: "\n") + "\n").utf8))
    let result = try ToolBinary.run("sombra", [dir.file("g.sombra")], input: script)
    #expect(result.status == 0, "\(result.err)")
    #expect(result.out.contains("(3 rows, 1 shown)"), "\(result.out)")
    #expect(result.out.contains("(3 rows)\n"), "\(result.out)")
    #expect(result.out.split(separator: "\n").filter { $0 == "limit none" }.count == 2, "\(result.out)")
  }
}

/// The real `sombra` executable with `-c` given more than once.
@Suite struct ShellCommandOptionTests {
  /// Each `-c` runs, in order (only the last ran before); the first failure
  /// stops the rest unless `--keep-going`, and the exit status is 1 either way.
  @Test func repeatedCommandsRunInOrderAndStopAtTheFirstFailure() throws {
    let dir = try ScratchDirectory(prefix: "sombra-commands")
    let path = dir.file("g.sombra")
    let both = try ToolBinary.run("sombra", [path, "-c", "create node :A", "-c", "create node :A", "-c", "count :A"])
    #expect(both.status == 0, "\(both.err)")
    #expect(both.out.hasSuffix("2\n"), "\(both.out)")
    let stopped = try ToolBinary.run("sombra", [path, "-c", "bogus", "-c", "create node :A"])
    #expect(stopped.status == 1)
    #expect(stopped.err.hasPrefix("line 1: error: "), "\(stopped.err)")
    let kept = try ToolBinary.run("sombra", [path, "--keep-going", "-c", "bogus", "-c", "create node :A", "-c", "count :A"])
    #expect(kept.status == 1)
    #expect(kept.out.hasSuffix("3\n"), "the commands after the failure ran: \(kept.out)")
  }
}

/// The real `sombra` executable beside a process that writes the database.
@Suite struct ShellBesideAWriterTests {
  /// A second shell used to fail with exit 4; it now opens read-only with a
  /// notice, explores, and says why a change is refused.
  @Test func aShellBesideAWriterOpensReadOnlyAndSaysWhyChangesAreRefused() throws {
    let dir = try ScratchDirectory(prefix: "sombra-beside")
    let path = dir.file("g.sombra")
    let writer = try Database.open(path)  // holds the writer lock, as an application would
    defer { try? writer.close() }
    _ = try writer.write { try $0.createNode(labels: ["A"]) }
    let explore = try ToolBinary.run("sombra", [path, "-c", "count :A"])
    #expect(explore.status == 0, "\(explore.err)")
    #expect(explore.out == "1\n")
    #expect(
      explore.err == "sombra: notice: another process has \(path) open for writing; opened read-only (changes are refused)\n")
    let change = try ToolBinary.run("sombra", [path, "-c", "create node :B"])
    #expect(change.status == 1)
    #expect(change.err.contains("another process had it open for writing"), "\(change.err)")
    #expect(try writer.read { try $0.nodeIDs(label: "B").count } == 0)
  }
}

/// The real `sombra` executable's `.export` never destroys a file.
@Suite struct ShellExportFileTests {
  @Test func anExistingFileIsReplacedOnlyWithForceAndNoPartFileIsLeft() throws {
    let dir = try ScratchDirectory(prefix: "sombra-export")
    let path = dir.file("g.sombra")
    let target = dir.file("out.jsonl")
    writeFile(target, Array("keep me\n".utf8))
    let refused = try ToolBinary.run("sombra", [path, "-c", "create node :A", "-c", ".export \(target)"])
    #expect(refused.status == 1)
    #expect(refused.err.contains("exists; '.export \(target) --force' replaces it"), "\(refused.err)")
    #expect(fileBytes(target) == Array("keep me\n".utf8), "the refused export changed the file")
    let forced = try ToolBinary.run("sombra", [path, "-c", ".export \(target) --force"])
    #expect(forced.status == 0, "\(forced.err)")
    #expect(String(decoding: fileBytes(target) ?? [], as: UTF8.self).hasPrefix("{\"type\":\"node\",\"id\":\"1\""))
    let fresh = try ToolBinary.run("sombra", [path, "-c", ".export \(dir.file("new.jsonl"))"])
    #expect(fresh.status == 0, "\(fresh.err)")
    #expect(dir.entries().filter { $0.contains("export-tmp") }.isEmpty, "\(dir.entries())")
  }
}

/// The documented environment variables, through the real executables (an
/// in-process test with an injected environment cannot see a variable the
/// process never reads: `SOMBRA_LOG_LEVEL` did nothing for users).
@Suite struct ToolEnvironmentTests {
  @Test func sombraLogLevelLogsTheEnginesEventsInEveryTool() throws {
    let dir = try ScratchDirectory(prefix: "sombra-env")
    let path = dir.file("g.sombra")
    #expect(try ToolBinary.run("sombra", [path, "-c", "create node :A"]).status == 0)
    for tool in [["sombra-verify", path], ["sombra-inspect", path, "info"], ["sombra", path, "-c", "count"]] {
      let quiet = try ToolBinary.run(tool[0], Array(tool.dropFirst()))
      #expect(quiet.status == 0)
      #expect(!quiet.err.contains("opened"), "\(tool[0]) logged without SOMBRA_LOG_LEVEL: \(quiet.err)")
      let logged = try ToolBinary.run(tool[0], Array(tool.dropFirst()), environment: ["SOMBRA_LOG_LEVEL=info"])
      #expect(logged.status == 0)
      #expect(logged.err.contains("info") && logged.err.contains("opened"), "\(tool[0]) ignored SOMBRA_LOG_LEVEL: \(logged.err)")
    }
  }
}

/// The real `sombra` executable reads scripts and imports with a bound on
/// memory: one line holds at most 16 MiB (`.import /dev/zero` used to grow
/// until memory ran out).
@Suite struct ShellLineLimitTests {
  static let limit = 16 << 20

  @Test func importingAnEndlessLineStopsAtTheLimitWithAnErrorNamingTheLine() throws {
    let dir = try ScratchDirectory(prefix: "sombra-zero")
    let path = dir.file("g.sombra")
    let result = try ToolBinary.run("sombra", [path, "-c", ".import /dev/zero", "-c", "count"])
    #expect(result.status == 1)
    #expect(
      result.err.hasPrefix("line 1: error: /dev/zero:1: the line is longer than 16 MiB (16777216 bytes), the limit for one line"),
      "\(result.err.prefix(300))")
    #expect(result.out.isEmpty, "the command after the failed import ran: \(result.out)")
  }

  @Test func anImportLineOverTheLimitRollsBackItsBatchAndNamesItsNumber() throws {
    let dir = try ScratchDirectory(prefix: "sombra-longimport")
    let path = dir.file("g.sombra")
    let file = dir.file("long.jsonl")
    var bytes = Array(
      "{\"type\":\"node\",\"id\":\"1\"}\n{\"type\":\"node\",\"id\":\"2\"}\n{\"type\":\"node\",\"id\":\"3\",\"properties\":{\"k\":\""
        .utf8)
    bytes += [UInt8](repeating: UInt8(ascii: "x"), count: Self.limit)
    bytes += Array("\"}}\n{\"type\":\"node\",\"id\":\"4\"}\n".utf8)
    writeFile(file, bytes)
    let result = try ToolBinary.run("sombra", [path, "-c", ".import \(file)"])
    #expect(result.status == 1)
    #expect(result.err.contains("long.jsonl:3: the line is longer than 16 MiB"), "\(result.err.prefix(300))")
    #expect(result.err.contains("nothing from line 1 on was imported"), "\(result.err.prefix(300))")
    #expect(try ToolBinary.run("sombra", [path, "-c", "count"]).out == "0\n")
  }

  @Test func aScriptLineOverTheLimitStopsTheScriptEvenWithKeepGoing() throws {
    let dir = try ScratchDirectory(prefix: "sombra-longscript")
    let path = dir.file("g.sombra")
    let script = dir.file("script.txt")
    var bytes = Array("create node :A\r\n".utf8)
    bytes += [UInt8](repeating: UInt8(ascii: "a"), count: Self.limit + 1)
    bytes += Array("\ncreate node :A\n".utf8)
    writeFile(script, bytes)
    let result = try ToolBinary.run("sombra", [path, "--keep-going"], input: script)
    #expect(result.status == 1)
    #expect(
      result.err
        == "line 2: error: the line is longer than 16 MiB (16777216 bytes), the limit for one line; the rest of the input is not read\n",
      "\(result.err.prefix(300))")
    #expect(try ToolBinary.run("sombra", [path, "-c", "count :A"]).out == "1\n", "line 1 (ending in CR LF) ran, line 3 did not")
  }
}
