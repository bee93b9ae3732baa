import SombraCLI
import SombraTestSupport
import SombraTools
import Testing

/// `sombra DB < script`: exact stdout, stderr and exit status (COLUMNS=80 NO_COLOR=1).
@Suite struct ShellScriptTests {
  static let setup = """
    create node :Person {name: "Ada", born: 1815}
    create node :Person:Author {name: "Charles", born: 1791}
    create edge 1 -[:KNOWS {since: 1833}]-> 2

    """

  @Test func aScriptCreatesAndShowsNodesAndEdges() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run([scratch.file("g.sombra")], script: Self.setup + "node 1\nedges 1\ncount :Person\n")
    #expect(run.status == .success)
    #expect(run.standardError == "")
    #expect(
      run.standardOutput == """
        created node 1
        created node 2
        created edge 1
        +- node 1 --------+
        | id      1       |
        | labels  :Person |
        +-----------------+
        | born    1815    |
        | name    "Ada"   |
        +-----------------+
        +----+-------+------+----+---------------+
        | id | type  | from | to | properties    |
        +----+-------+------+----+---------------+
        |  1 | KNOWS |    1 |  2 | {since: 1833} |
        +----+-------+------+----+---------------+
        (1 row)
        2

        """)
  }

  @Test func whereAndLimitFilterNodes() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run(
      [scratch.file("g.sombra")], script: Self.setup + "nodes :Person WHERE born < 1800 AND name != \"x\"\nnodes LIMIT 1\n")
    #expect(run.status == .success)
    #expect(
      run.standardOutput.hasSuffix(
        """
        +----+----------------+-------------------------------+
        | id | labels         | properties                    |
        +----+----------------+-------------------------------+
        |  2 | :Author:Person | {born: 1791, name: "Charles"} |
        +----+----------------+-------------------------------+
        (1 row)
        +----+---------+---------------------------+
        | id | labels  | properties                |
        +----+---------+---------------------------+
        |  1 | :Person | {born: 1815, name: "Ada"} |
        +----+---------+---------------------------+
        (1 row)

        """))
  }

  @Test func theDisplayLimitCutsRowsWithAFooter() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let creates = (1...5).map { "create node :N {i: \($0)}" }.joined(separator: "\n")
    let run = ShellRun.run([scratch.file("g.sombra")], script: creates + "\n.limit 2\n.mode line\nnodes :N\n")
    #expect(run.status == .success)
    #expect(
      run.standardOutput.hasSuffix(
        """
                id = 1
            labels = :N
        properties = {i: 1}

                id = 2
            labels = :N
        properties = {i: 2}

        (5 rows, 2 shown)

        """))
  }

  @Test func jsonModeWritesOneObjectPerRow() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run([scratch.file("g.sombra")], script: Self.setup + ".mode json\nnodes\nedge 1\ncount\n")
    #expect(run.status == .success)
    #expect(
      run.standardOutput.hasSuffix(
        """
        {"id":1,"labels":["Person"],"properties":{"born":1815,"name":"Ada"}}
        {"id":2,"labels":["Author","Person"],"properties":{"born":1791,"name":"Charles"}}
        {"id":1,"type":"KNOWS","from":1,"to":2,"properties":{"since":1833}}
        {"count":2}

        """))
  }

  @Test func theFirstErrorStopsTheScriptWithItsLineNumber() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run([scratch.file("g.sombra")], script: "create node :A\nnods :A\ncreate node :B\n")
    #expect(run.status == .failure)
    #expect(run.standardOutput == "created node 1\n")
    #expect(run.standardError == "line 2: error: unknown command 'nods'; did you mean 'node'?\n  nods :A\n  ^\n")
  }

  @Test func keepGoingRunsEveryLineAndStillFails() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run(["--keep-going", scratch.file("g.sombra")], script: "node 9\ncreate node :B\n")
    #expect(run.status == .failure)
    #expect(run.standardOutput == "created node 1\n")
    #expect(run.standardError == "line 1: error: node 9 does not exist\n")
  }

  @Test func transactionsCommitOrRollBack() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let script = "begin\ncreate node :A\nrollback\nbegin\ncreate node :B\ncommit\ncount\nlabels\ncommit\n"
    let run = ShellRun.run([scratch.file("g.sombra")], script: script)
    #expect(run.status == .failure)
    #expect(
      run.standardOutput == """
        created node 1
        created node 1
        1
        +-------+-------+
        | label | nodes |
        +-------+-------+
        | B     |     1 |
        +-------+-------+
        (1 row)

        """)
    #expect(run.standardError == "line 9: error: no transaction is open (begin starts one)\n")
  }

  @Test func aScriptEndingInsideBeginRollsBackWithAWarning() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    let first = ShellRun.run([path], script: "begin\ncreate node :A\n")
    #expect(first.status == .success)
    #expect(first.standardError == "warning: the open transaction was rolled back (it was not committed)\n")
    #expect(ShellRun.run(["-c", "count", path]).standardOutput == "0\n")
  }

  @Test func commandOptionRunsOneCommand() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    _ = ShellRun.run([path], script: Self.setup)
    let run = ShellRun.run(["-c", "path 1 2", path])
    #expect(run.status == .success)
    #expect(
      run.standardOutput == """
        +------+------+----------------+-------------------------------+
        | step | node | labels         | properties                    |
        +------+------+----------------+-------------------------------+
        |    0 |    1 | :Person        | {born: 1815, name: "Ada"}     |
        |    1 |    2 | :Author:Person | {born: 1791, name: "Charles"} |
        +------+------+----------------+-------------------------------+
        (2 rows)

        """)
  }

  @Test func readOnlyRefusesChangesAndMissingFiles() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    let missing = ShellRun.run(["--readonly", "-c", "count", path])
    #expect(missing.status == .cannotOpen)
    #expect(missing.standardError.hasPrefix("sombra: error: "))
    _ = ShellRun.run([path], script: Self.setup)
    let run = ShellRun.run(["--readonly", path], script: "count\ncreate node :X\n")
    #expect(run.status == .failure)
    #expect(run.standardOutput == "2\n")
    #expect(
      run.standardError
        == "line 2: error: the database is open read-only (--readonly); reopen it without --readonly to change it\n")
  }

  @Test func usageErrorsExitTwo() {
    let run = ShellRun.run(["--readonyl", "x.sombra"])
    #expect(run.status == .usage)
    #expect(run.standardError.contains("did you mean '--readonly'?"))
    #expect(ShellRun.run([]).status == .usage)
  }

  @Test func helpDocumentsEveryCommand() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let run = ShellRun.run([scratch.file("g.sombra")], script: ".help\n.help nodes\n")
    #expect(run.status == .success)
    for word in [
      "node ID", "nodes [:Label]", "edges ID", "neighbors ID", "hops ID K", "bfs ID DEPTH", "path A B", "labels", "types",
      "keys", "count [:Label]", "create node", "set node|edge", "unset node|edge", "label node ID", "delete node ID",
      "index create", "indexes", "begin", "commit", "rollback", ".open FILE", ".info", ".stats", ".verify", ".checkpoint",
      ".import FILE", ".export FILE", ".mode", ".timer", ".width", ".limit", ".help", ".quit", "usage: nodes [:Label] [WHERE",
    ] {
      #expect(run.standardOutput.contains(word), "missing \(word)")
    }
  }

  @Test func metaCommandsReuseTheTools() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    let run = ShellRun.run([path], script: Self.setup + ".verify\n.checkpoint\n.verify --quick\n")
    #expect(run.status == .success)
    #expect(run.standardError == "")
    #expect(run.standardOutput.contains("g.sombra: ok (graph level"))
    #expect(run.standardOutput.contains("checkpointed "))
    #expect(run.standardOutput.contains("g.sombra: ok (structure level"))
    let info = ShellRun.run([path], script: ".info\n.stats\n")
    #expect(info.status == .success)
    #expect(info.standardOutput.contains("| nodes "))
  }

  @Test func changesUpdateLabelsAndProperties() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let script =
      Self.setup + """
        set node 1 born=1816 tags=["math", "poetry"] raw=bytes("AAEC")
        unset node 1 born
        label node 2 -Author +Engineer
        set edge 1 since=1834
        delete node 1
        delete node 1 detach
        index create :Person(name)
        indexes
        .mode json
        node 2
        count

        """
    let run = ShellRun.run(["--keep-going", scratch.file("g.sombra")], script: script)
    #expect(run.standardError == "line 8: error: node 1 has edges; delete them first or use 'delete node 1 detach'\n")
    #expect(
      run.standardOutput.hasSuffix(
        """
        updated node 1
        updated node 1
        updated node 2
        updated edge 1
        deleted node 1
        created index :Person(name)
        +--------+------+
        | label  | key  |
        +--------+------+
        | Person | name |
        +--------+------+
        (1 row)
        {"id":2,"labels":["Engineer","Person"],"properties":{"born":1791,"name":"Charles"}}
        {"count":1}

        """))
  }
}
