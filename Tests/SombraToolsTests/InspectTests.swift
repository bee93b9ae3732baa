import Dispatch
import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Synchronization
import Testing

enum InspectFixture {
  static let environment = ["COLUMNS": "80", "NO_COLOR": "1"]

  static var options: OpenOptions {
    var options = OpenOptions()
    options.pageSize = 4096
    options.wallClock = { 1_767_225_600 }  // 2026-01-01 00:00:00 UTC: exact output
    options.autoCheckpointInterval = nil
    options.newDatabaseID = 0x1D5E_ED00_0000_0042  // exact output
    return options
  }

  /// Three nodes (two Person, one City), three edges, an index on
  /// Person.name; closed cleanly (the WAL is empty).
  static func makeGraph(at path: String) throws {
    let db = try Database.open(path, options: options)
    try db.write { tx in
      try tx.createIndex(label: "Person", key: "name")
      let alice = try tx.createNode(labels: ["Person"], properties: ["name": .string("Alice")])
      let bob = try tx.createNode(labels: ["Person"], properties: ["name": .string("Bob")])
      let paris = try tx.createNode(labels: ["City"], properties: ["name": .string("Paris")])
      _ = try tx.createEdge(from: alice, to: bob, type: "KNOWS")
      _ = try tx.createEdge(from: alice, to: paris, type: "LIVES_IN")
      _ = try tx.createEdge(from: bob, to: paris, type: "LIVES_IN")
    }
    try db.close()
  }

  /// The graph, reopened read-write with one more committed transaction in
  /// the WAL (not checkpointed); the handle stays open: a live writer.
  static func makeLiveWAL(at path: String) throws -> Database {
    try makeGraph(at: path)
    let db = try Database.open(path, options: options)
    try db.write { tx in
      _ = try tx.createNode(labels: ["Person"], properties: ["name": .string("Carol")])
    }
    return db
  }
}

func inspect(_ arguments: [String], environment: [String: String] = InspectFixture.environment) -> (
  out: String, err: String, status: ExitCode
) {
  let (context, out, err) = ToolContext.capturing(environment)
  let status = SombraInspect.main(arguments, context: context)
  return (out.text, err.text, status)
}

/// The hex of `bytes[offset..<offset+count]` of a file, as `header` prints raw bytes.
func rawHex(_ path: String, _ offset: Int, _ count: Int) -> String {
  ByteText.hex((fileBytes(path) ?? [])[offset..<offset + count])
}

@Suite struct InspectTests {
  // MARK: info

  @Test func infoSummarizesACleanlyClosedDatabase() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = inspect([path, "info"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +- \(path) -----------------+
        | database file      28672 bytes                        |
        | WAL file           0 bytes                            |
        +-------------------------------------------------------+
        | format             3.1 (created by Sombra 0.4.0)      |
        | page size          4096 bytes                         |
        | pages              7                                  |
        | free pages         0                                  |
        +-------------------------------------------------------+
        | nodes              3                                  |
        | edges              3                                  |
        | labels             2                                  |
        | edge types         2                                  |
        +-------------------------------------------------------+
        | WAL frames         0 committed, in 0 transactions     |
        | change counter     3 (last committed transaction)     |
        | last checkpoint    transaction 3                      |
        | shutdown           clean                              |
        +-------------------------------------------------------+
        | commits            3 over the file's life             |
        | checkpoints        1, last at 2026-01-01 00:00:00 UTC |
        | unclean shutdowns  0                                  |
        | corruption events  0                                  |
        +-------------------------------------------------------+
        +-----------+----------+-------+
        | kind      | name     | count |
        +-----------+----------+-------+
        | label     | City     |     1 |
        | label     | Person   |     2 |
        | edge type | KNOWS    |     1 |
        | edge type | LIVES_IN |     2 |
        +-----------+----------+-------+

        """)
  }

  @Test func infoAsJSONIsOneSchema1Document() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    let walBytes = fileBytes(path + ".wal")?.count ?? -1
    let result = inspect([path, "info", "--json"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        {
          "schema": 1,
          "command": "info",
          "path": "\(path)",
          "databaseBytes": 28672,
          "walBytes": \(walBytes),
          "formatMajor": 3,
          "formatMinor": 1,
          "creatorVersion": "0.4.0",
          "pageSize": 4096,
          "pageCount": 7,
          "freePages": 0,
          "nodes": 4,
          "edges": 3,
          "labels": [
            {
              "name": "City",
              "count": 1
            },
            {
              "name": "Person",
              "count": 3
            }
          ],
          "edgeTypes": [
            {
              "name": "KNOWS",
              "count": 1
            },
            {
              "name": "LIVES_IN",
              "count": 2
            }
          ],
          "walCommittedFrames": 2,
          "walDeltaFrames": 1,
          "walTransactions": 2,
          "cleanShutdown": false,
          "changeCounter": 5,
          "lastCheckpointedTransaction": 3,
          "lifetime": {
            "commits": 5,
            "checkpoints": 1,
            "lastCheckpointTime": 1767225600,
            "uncleanShutdowns": 0,
            "corruptionEvents": 0
          }
        }

        """)
  }

  // MARK: header

  @Test func headerShowsEveryFieldOfTheMainFilesPage0AndAPendingNewerOne() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    let checksum = rawHex(path, 4092, 4)
    let result = inspect([path, "header"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +--------+------+---------------------+------------------+---------------------+
        | offset | size | field               | raw              | value               |
        +--------+------+---------------------+------------------+---------------------+
        |      0 |    8 | magic               | 4752504849544500 | GRPHITE\\0 (ok)      |
        |      8 |    2 | format major        | 0300             | 3                   |
        |     10 |    2 | format minor        | 0100             | 1                   |
        |     12 |    4 | page size           | 00100000         | 4096 bytes          |
        |     16 |    4 | page count          | 07000000         | 7 pages             |
        |     20 |    4 | free-list head      | 00000000         | 0 (empty list)      |
        |     24 |    4 | free-list length    | 00000000         | 0 pages             |
        |     28 |    4 | flags               | 01000000         | clean shutdown      |
        |     32 |    8 | change counter      | 0300000000000000 | transaction 3       |
        |     40 |    8 | last checkpoint     | 0300000000000000 | transaction 3       |
        |     48 |    8 | next node id        | 0400000000000000 | 4                   |
        |     56 |    8 | next edge id        | 0400000000000000 | 4                   |
        |     64 |    4 | creator version     | 00040000         | Sombra 0.4.0        |
        |     68 |    4 | durable WAL frames  | 08000000         | 8 (claimed)         |
        |     72 |    4 | root 0              | 00000000         | unused              |
        |     76 |    4 | root 1              | 01000000         | catalog: page 1     |
        |     80 |    4 | root 2              | 02000000         | nodes: page 2       |
        |     84 |    4 | root 3              | 03000000         | edges: page 3       |
        |     88 |    4 | root 4              | 04000000         | adjacency: page 4   |
        |     92 |    4 | root 5              | 05000000         | labels: page 5      |
        |     96 |    4 | root 6              | 06000000         | properties: page 6  |
        |    100 |    4 | root 7              | 00000000         | unused              |
        |    104 |    4 | root 8              | 00000000         | unused              |
        |    108 |    4 | root 9              | 00000000         | unused              |
        |    112 |    4 | root 10             | 00000000         | unused              |
        |    116 |    4 | root 11             | 00000000         | unused              |
        |    120 |    4 | root 12             | 00000000         | unused              |
        |    124 |    4 | root 13             | 00000000         | unused              |
        |    128 |    4 | root 14             | 00000000         | unused              |
        |    132 |    4 | root 15             | 00000000         | unused              |
        |    136 |    8 | commits             | 0300000000000000 | 3 (lifetime)        |
        |    144 |    8 | checkpoints         | 0100000000000000 | 1 (lifetime)        |
        |    152 |    8 | last checkpoint ... | 00b9556900000000 | 2026-01-01 00:00... |
        |    160 |    8 | unclean shutdowns   | 0000000000000000 | 0 (lifetime)        |
        |    168 |    8 | corruption events   | 0000000000000000 | 0 (lifetime)        |
        |    176 |    8 | database id         | 4200000000ed5e1d | 0x1d5eed0000000042  |
        |    184 | 3908 | zero                | (all zero)       | ok                  |
        |   4092 |    4 | checksum            | \(checksum)         | CRC-32C (valid)     |
        +--------+------+---------------------+------------------+---------------------+
        page 0 of the main file, 4096 bytes
        note: a newer page 0 (transaction 5) is committed in WAL frame 1 (delta) and not yet checkpointed; 'info' shows the current values

        """)
  }

  // MARK: wal

  @Test func walListsFramesTheirValidityAndTheCheckpointPlan() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    // Transaction 4 (the open) logs page 0 whole, the first time in this WAL
    // generation; transaction 5 changes five pages a little: one delta frame.
    // After them a torn frame: the first 100 bytes of a page-0 image of a
    // transaction 6 that never finished, where the file ends (before the
    // zeros the WAL grew by).
    let walPath = path + ".wal"
    let frameSize = WALFormat.frameSize(pageSize: 4096)
    let whole = fileBytes(walPath) ?? []
    var wal = Array(whole.prefix(WALFormat.headerSize + 2 * frameSize))
    var torn = Array(whole[WALFormat.headerSize..<WALFormat.headerSize + 100])
    torn.replaceSubrange(4..<16, with: [0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])  // no commit marker; transaction 6
    wal += torn
    writeFile(walPath, wal)
    let salt1 = rawHex(walPath, 16, 4)
    let salt2 = rawHex(walPath, 20, 4)
    func word(_ hex: String) -> String {
      // raw little-endian bytes to the 0x-number the tool prints
      let bytes = stride(from: 0, to: 8, by: 2).map {
        String(hex[hex.index(hex.startIndex, offsetBy: $0)..<hex.index(hex.startIndex, offsetBy: $0 + 2)])
      }
      return "0x" + bytes.reversed().joined()
    }
    let result = inspect([path, "wal"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +- \(walPath) -+
        | size         8388 bytes                   |
        | magic        SWAL (ok)                    |
        | version      3                            |
        | page size    4096 bytes                   |
        | sequence     0 (checkpoint resets)        |
        | salt 1       \(word(salt1))                   |
        | salt 2       \(word(salt2))                   |
        | database id  0x00000042 (low 32 bits)     |
        | checksum     valid                        |
        +-------------------------------------------+
        +-------+-------+-----------+-------+---------+-------------+-----------+
        | frame | kind  | pages     | bytes | commit  | transaction | state     |
        +-------+-------+-----------+-------+---------+-------------+-----------+
        |     0 | image | 0         |  4096 | 7 pages |           4 | committed |
        |     1 | delta | 0-2, 5, 6 |   240 | 7 pages |           5 | committed |
        |     2 | image | 0         |  4096 | -       |           6 | invalid   |
        +-------+-------+-----------+-------+---------+-------------+-----------+
        3 frames: 2 committed (2 transactions)
        frame 2: torn frame: the file ends inside it; recovery stops there and ignores the rest
        +------+--------------+-------------+
        | page | newest frame | transaction |
        +------+--------------+-------------+
        |    0 |    1 (delta) |           5 |
        |    1 |    1 (delta) |           5 |
        |    2 |    1 (delta) |           5 |
        |    5 |    1 (delta) |           5 |
        |    6 |    1 (delta) |           5 |
        +------+--------------+-------------+
        a checkpoint would copy 5 pages into the main file (5 rebuilt from delta records)

        """)
  }

  @Test func walEndsTheListingAtTheZerosTheWALGrewBy() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    // 16 frame slots (the first growth step); the two transactions use 2 (a
    // page-0 image and a delta frame, whose slot the zeros fill after its records).
    let unwritten =
      WALFormat.headerSize + 16 * WALFormat.frameSize(pageSize: 4096)
      - (WALFormat.headerSize + 2 * WALFormat.frameSize(pageSize: 4096))
    #expect(fileBytes(path + ".wal")?.count == WALFormat.headerSize + 16 * WALFormat.frameSize(pageSize: 4096))
    let text = inspect([path, "wal"])
    #expect(text.status == .success)
    #expect(
      text.out.contains("2 frames: 2 committed (2 transactions); then \(unwritten) bytes of unwritten space\n"), "\(text.out)")
    #expect(!text.out.contains("invalid"), "zeros are not damage: \(text.out)")
    let json = inspect([path, "wal", "--json"])
    #expect(json.out.contains("\"unwrittenBytes\": \(unwritten),"), "\(json.out)")
  }

  @Test func walReportsAMissingWALWithoutFailing() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    unlink(path + ".wal")
    let text = inspect([path, "wal"])
    #expect(text.status == .success)
    #expect(text.out == "\(path).wal: no WAL file (nothing to checkpoint)\n")
    let json = inspect([path, "wal", "--json"])
    #expect(json.status == .success)
    #expect(
      json.out == """
        {
          "schema": 1,
          "command": "wal",
          "path": "\(path).wal",
          "exists": false,
          "bytes": 0,
          "frames": [],
          "checkpoint": []
        }

        """)
  }

  // MARK: pages, page

  @Test func pagesListsEveryPageWithItsTreeAndSource() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    let result = inspect([path, "pages"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +------+------------+------------+---------+------+---------------------+
        | page | type       | tree       | entries | fill | from                |
        +------+------------+------------+---------+------+---------------------+
        |    0 | header     | header     |       - |    - | WAL frame 1 (delta) |
        |    1 | btree-leaf | catalog    |      22 | 8.0% | WAL frame 1 (delta) |
        |    2 | btree-leaf | nodes      |       4 | 2.2% | WAL frame 1 (delta) |
        |    3 | btree-leaf | edges      |       3 | 1.2% | main file           |
        |    4 | btree-leaf | adjacency  |       4 | 1.8% | main file           |
        |    5 | btree-leaf | labels     |       4 | 1.6% | WAL frame 1 (delta) |
        |    6 | btree-leaf | properties |       3 | 1.7% | WAL frame 1 (delta) |
        +------+------------+------------+---------+------+---------------------+
        pages 0 to 6 of 7; fill = bytes in use / 4096-byte page

        """)
    let range = inspect([path, "pages", "--from", "3", "--to", "4", "--ascii"])
    #expect(
      range.out == """
        +------+------------+-----------+---------+------+-----------+
        | page | type       | tree      | entries | fill | from      |
        +------+------------+-----------+---------+------+-----------+
        |    3 | btree-leaf | edges     |       3 | 1.2% | main file |
        |    4 | btree-leaf | adjacency |       4 | 1.8% | main file |
        +------+------------+-----------+---------+------+-----------+
        pages 3 to 4 of 7; fill = bytes in use / 4096-byte page

        """)
  }

  @Test func pageDecodesANodeWithKeysAndTheirMeaning() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let checksum = rawHex(path, 2 * 4096 + 4092, 4)
    let stored = "0x" + stride(from: 6, through: 0, by: -2).map { String(Array(checksum)[$0...$0 + 1]) }.joined()
    let result = inspect([path, "page", "2"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +- page 2 -------------------------------+
        | type           btree-leaf              |
        | tree           nodes                   |
        | from           main file               |
        | checksum       \(stored) (valid)      |
        | level          0 (leaf)                |
        | cells          3                       |
        | content start  4031                    |
        | dead bytes     0                       |
        | used           67 of 4096 bytes (1.6%) |
        +----------------------------------------+
        +---+------------------+---------+----------+
        | # | key              | meaning | value    |
        +---+------------------+---------+----------+
        | 0 | 0000000000000001 | node 1  | 11 bytes |
        | 1 | 0000000000000002 | node 2  | 9 bytes  |
        | 2 | 0000000000000003 | node 3  | 11 bytes |
        +---+------------------+---------+----------+

        """)
    let hex = inspect([path, "page", "3", "--hex"])
    #expect(hex.status == .success)
    #expect(hex.out.contains("\n00000000  02 00 03 00 03 00 00 00  d2 0f 00 00 00 00 00 00  |................|\n"))
    #expect(hex.out.contains("\n*\n"))
    #expect(hex.out.hasSuffix("\n00001000\n"))
    let json = inspect([path, "page", "6", "--json"])
    #expect(json.status == .success)
    let document = try JSONParser.parse(json.out)
    #expect(document["schema"] == 1)
    #expect(document["tree"] == "properties")
    #expect(document["cells"]?[0]?["meaning"] == "index 1, node 1")
  }

  @Test func pageBeyondTheLastPageFailsWithExitStatus1() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = inspect([path, "page", "7"])
    #expect(result.status == .failure)
    #expect(result.out == "")
    #expect(result.err == "sombra-inspect: error: page 7 does not exist: the database has 7 pages (0 to 6)\n")
  }

  // MARK: stats

  @Test func statsCountsPagesByTypeAndTree() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = inspect([path, "stats"])
    #expect(result.status == .success)
    #expect(result.err == "")
    #expect(
      result.out == """
        +------------+-------+-------+-------+
        | page type  | pages | bytes | share |
        +------------+-------+-------+-------+
        | btree-leaf |     6 | 24576 | 85.7% |
        | header     |     1 |  4096 | 14.3% |
        +------------+-------+-------+-------+
        +------------+------+-------+-------+----------+---------+-------+------+
        | tree       | root | depth | nodes | overflow | entries | bytes | fill |
        +------------+------+-------+-------+----------+---------+-------+------+
        | catalog    |    1 |     1 |     1 |        0 |      22 |  4096 | 8.0% |
        | nodes      |    2 |     1 |     1 |        0 |       3 |  4096 | 1.6% |
        | edges      |    3 |     1 |     1 |        0 |       3 |  4096 | 1.2% |
        | adjacency  |    4 |     1 |     1 |        0 |       4 |  4096 | 1.8% |
        | labels     |    5 |     1 |     1 |        0 |       3 |  4096 | 1.2% |
        | properties |    6 |     1 |     1 |        0 |       2 |  4096 | 1.1% |
        +------------+------+-------+-------+----------+---------+-------+------+
        nodes and overflow are pages; fill = bytes in use / bytes of the tree's pages
        +-----------+---------------+---------+-------+
        | bytes of  | name          | entries | bytes |
        +-----------+---------------+---------+-------+
        | label     | Person        |       2 |    36 |
        | label     | City          |       1 |    19 |
        | edge type | KNOWS         |       1 |    12 |
        | edge type | LIVES_IN      |       2 |    24 |
        | index     | :Person(name) |       2 |    38 |
        +-----------+---------------+---------+-------+
        record bytes (key + value); a node counts for each of its labels; index: key bytes
        +- space -----------------------------------------------+
        | pages        7 of 4096 bytes (28672 bytes)            |
        | free list    0 pages (0 bytes)                        |
        | unreachable  0 pages (in no tree and not free)        |
        | vacuum       would reclaim at least 0 pages (0 bytes) |
        +-------------------------------------------------------+
        +- lifetime --------------------------------------------+
        | commits            3 over the file's life             |
        | checkpoints        1, last at 2026-01-01 00:00:00 UTC |
        | unclean shutdowns  0                                  |
        | corruption events  0                                  |
        +-------------------------------------------------------+

        """)
  }

  @Test func statsAsJSONGivesTheSameBytesPerLabelTypeAndIndexAsTheTable() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = inspect([path, "stats", "--json"])
    #expect(result.status == .success)
    let document = try JSONParser.parse(result.out)
    func rows(_ key: String) -> [String] {
      guard case .array(let elements)? = document[key] else { return [] }
      return elements.map { row in
        "\(row["name"]?.stringValue ?? "?") \(row["entries"]?.integerValue ?? -1) \(row["bytes"]?.integerValue ?? -1)"
      }
    }
    // The same numbers as the text table of statsCountsPagesByTypeAndTree.
    #expect(rows("bytesByLabel") == ["Person 2 36", "City 1 19"])
    #expect(rows("bytesByEdgeType") == ["KNOWS 1 12", "LIVES_IN 2 24"])
    #expect(rows("bytesByIndex") == [":Person(name) 2 38"])
  }

  @Test func everyCommandWritesOneSchema1JSONDocument() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    for command in [["info"], ["header"], ["stats"], ["pages"], ["page", "1"], ["page", "0"], ["wal"]] {
      for flag in [["--json"], ["--format", "json"]] {
        let result = inspect([path] + command + flag)
        #expect(result.status == .success, "\(command)")
        let document = try JSONParser.parse(result.out)
        #expect(document["schema"] == 1, "\(command)")
        #expect(document["command"]?.stringValue == command[0], "\(command)")
      }
    }
  }

  // MARK: read-only

  @Test func noCommandChangesAByteOfTheDatabaseOrTheWAL() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let clean = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: clean)
    let live = dir.file("w.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: live)
    defer { try? writer.close() }
    for path in [clean, live] {
      let before = (fileBytes(path), fileBytes(path + ".wal"))
      for command in [
        ["info"], ["header"], ["stats"], ["pages"], ["page", "0", "--hex"], ["page", "2"], ["wal"], ["info", "--json"],
      ] {
        let result = inspect([path] + command)
        #expect(result.status == .success, "\(command)")
        #expect(fileBytes(path) == before.0, "\(path) \(command)")
        #expect(fileBytes(path + ".wal") == before.1, "\(path).wal \(command)")
      }
    }
  }

  // MARK: errors

  @Test func anUnknownCommandIsAUsageErrorWithASuggestion() {
    let result = inspect(["g.sombra", "inf"])
    #expect(result.status == .usage)
    #expect(result.out == "")
    #expect(
      result.err == """
        error: unknown subcommand 'inf'; did you mean 'info'?
        usage: sombra-inspect [<options>] <database> <subcommand>
        see 'sombra-inspect --help'

        """)
    let option = inspect(["g.sombra", "info", "--jsn"])
    #expect(option.status == .usage)
    #expect(option.err.hasPrefix("error: unknown option '--jsn'; did you mean '--json'?\n"))
  }

  @Test func aPageNumberThatIsNotANumberIsAUsageError() {
    let result = inspect(["g.sombra", "page", "two"])
    #expect(result.status == .usage)
    #expect(
      result.err == """
        error: invalid page number 'two': expected a whole number from 0 to 4294967295
        usage: sombra-inspect <database> page [<options>] <number>
        see 'sombra-inspect page --help'

        """)
  }

  @Test func aMissingFileCannotBeOpened() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let result = inspect([path, "info"])
    #expect(result.status == .cannotOpen)
    #expect(result.out == "")
    #expect(result.err == "sombra-inspect: error: no such file [\(path)]: open: No such file or directory (errno 2)\n")
    #expect(fileBytes(path) == nil && fileBytes(path + ".wal") == nil)
  }

  @Test func aFileThatIsNotASombraDatabaseCannotBeOpened() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("text.txt")
    writeFile(path, Array("hello, this is not a database\n".utf8))
    let result = inspect([path, "info"])
    #expect(result.status == .cannotOpen)
    #expect(
      result.err
        == "sombra-inspect: error: not a Sombra database: the file starts with \"hello, t\", expected \"GRPHITE\\0\" [\(path)]\n")
  }

  @Test func aLegacyDatabaseCannotBeOpenedAndIsLeftAlone() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let source = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
    let fixture = "/" + source + "/Fixtures/legacy/empty-v0.2.0.db"
    let path = dir.file("legacy.db")
    let bytes = try #require(fileBytes(fixture))
    let wal = try #require(fileBytes(fixture + ".wal"))
    writeFile(path, bytes)
    writeFile(path + ".wal", wal)
    let result = inspect([path, "info"])
    #expect(result.status == .cannotOpen)
    #expect(
      result.err == """
        sombra-inspect: error: a Sombra 0.x database (format 1.1); this engine opens format 3 only: read it with the legacy reader or migrate it [\(path)]
        sombra-inspect: hint: the file was written by Sombra 0.x

        """)
    #expect(fileBytes(path) == bytes && fileBytes(path + ".wal") == wal)
  }

  // MARK: the built executable

  @Test func theBuiltExecutablePrintsHelpAndInfo() throws {
    let binary = try #require(InspectBinary.find(), "sombra-inspect is not built next to the test bundle")
    let help = try InspectBinary.run(binary, ["--help"])
    #expect(help.status == 0)
    #expect(help.out.hasPrefix("OVERVIEW: Show what is inside a Sombra database"))
    #expect(help.out.contains("\nEXIT STATUS:\n  0    Success, or no problems found.\n"))
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let info = try InspectBinary.run(binary, [path, "info", "--json"])
    #expect(info.status == 0)
    #expect(info.err == "")
    let document = try JSONParser.parse(info.out)
    #expect(document["nodes"] == 3)
    let missing = try InspectBinary.run(binary, [dir.file("w.sombra"), "info"])
    #expect(missing.status == 3)
    #expect(missing.out == "")
  }

  /// The executable is another process: next to a live writer whose commit
  /// is written but still waits for its fdatasync, it reads only what is
  /// durable (the writer's durable mark), then the commit once it is.
  @Test func theBuiltExecutableNextToALiveWriterReadsOnlyDurableCommits() throws {
    let binary = try #require(InspectBinary.find(), "sombra-inspect is not built next to the test bundle")
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let storage = HeldWALSync()
    let db = try Database.open(path, options: InspectFixture.options, storage: storage)
    storage.arm()
    let committer = try BlockingWorkThread { _ = try? db.write { try $0.createNode(labels: ["City"]) } }
    storage.waitUntilHeld()
    #expect(try db.read { try $0.nodeCount } == 3, "the commit is written, not durable")
    let during = try InspectBinary.run(binary, [path, "info", "--json"])
    #expect(during.status == 0)
    #expect(try JSONParser.parse(during.out)["nodes"] == 3, "sombra-inspect read a commit before its sync")
    storage.release()
    committer.join()
    #expect(try db.read { try $0.nodeCount } == 4)
    let after = try InspectBinary.run(binary, [path, "info", "--json"])
    #expect(try JSONParser.parse(after.out)["nodes"] == 4)
    try db.close()
  }
}

/// POSIX storage whose next WAL sync after `arm()` waits for `release()`.
final class HeldWALSync: ForwardingStorageSystem, Sendable {
  let base: any StorageSystem = POSIXStorageSystem()
  private let armed = Atomic<Bool>(false)
  private let entered = DispatchSemaphore(value: 0)
  private let released = DispatchSemaphore(value: 0)

  func arm() { armed.store(true, ordering: .releasing) }
  func waitUntilHeld() { entered.wait() }
  func release() { released.signal() }

  func open(_ path: String, _ mode: OpenMode) throws -> any StorageFile {
    let file = try base.open(path, mode)
    return path.hasSuffix(".wal") ? File(file, owner: self) : file
  }

  private final class File: ForwardingStorageFile, @unchecked Sendable {
    // @unchecked: both properties are immutable; the wrapped file is Sendable.
    let file: any StorageFile
    let owner: HeldWALSync
    init(_ file: any StorageFile, owner: HeldWALSync) {
      self.file = file
      self.owner = owner
    }
    func sync() throws {
      if owner.armed.exchange(false, ordering: .acquiringAndReleasing) {
        owner.entered.signal()
        owner.released.wait()
      }
      try file.sync()
    }
  }
}

/// Runs the real `sombra-inspect` executable.
enum InspectBinary {
  /// The executable in the build folder the test bundle was built into.
  static func find() -> String? {
    var directory = #filePath
    if let bundle = CommandLine.arguments.first(where: { $0.contains(".xctest") }) {
      directory = bundle
    } else if let executable = CommandLine.arguments.first {
      directory = executable
    }
    // Walk up from the bundle (…/debug/SombraPackageTests.xctest[/…]) to the
    // folder that holds the products.
    var parts = directory.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    while !parts.isEmpty {
      let candidate = (parts + ["sombra-inspect"]).joined(separator: "/")
      if access(candidate, X_OK) == 0 { return candidate }
      parts.removeLast()
    }
    return nil
  }

  /// Runs `binary` with `arguments`; standard input is `input` (a file), else
  /// the test's own.
  static func run(
    _ binary: String, _ arguments: [String], input: String? = nil, environment extra: [String] = []
  ) throws -> (status: Int32, out: String, err: String) {
    var outPipe: [Int32] = [0, 0]
    var errPipe: [Int32] = [0, 0]
    guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SombraError(.io, "pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    posix_spawn_file_actions_addclose(&actions, outPipe[0])
    posix_spawn_file_actions_addclose(&actions, errPipe[0])
    if let input { posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0) }
    let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { (text: String) in strdup(text) } + [nil]
    defer { argv.forEach { free($0) } }
    // A variable in `extra` replaces the default of the same name (getenv
    // would return the first of two).
    let overridden = Set(extra.map { $0.prefix { $0 != "=" } })
    let defaults = ["COLUMNS=80", "NO_COLOR=1", "LANG=C"].filter { !overridden.contains($0.prefix { $0 != "=" }) }
    let environment: [UnsafeMutablePointer<CChar>?] = (defaults + extra).map { (text: String) in strdup(text) } + [nil]
    defer { environment.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environment)
    close(outPipe[1])
    close(errPipe[1])
    guard spawned == 0 else {
      close(outPipe[0])
      close(errPipe[0])
      throw SombraError(.io, "posix_spawn failed", errno: spawned)
    }
    // Both at once: a child that fills one pipe while the other is read would wait for ever.
    let errText = Mutex<String>("")
    let errDescriptor = errPipe[0]
    let errReader = try BlockingWorkThread { errText.withLock { $0 = drain(errDescriptor) } }
    let out = drain(outPipe[0])
    errReader.join()
    let err = errText.withLock { $0 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WEXITSTATUS
    return ((status >> 8) & 0xFF, out, err)
  }

  static func drain(_ descriptor: Int32) -> String {
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = read(descriptor, &buffer, buffer.count)
      if n > 0 {
        bytes += buffer[0..<n]
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        break
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
