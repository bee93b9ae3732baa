import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// The command line of `sombra-bench` and the order of its groups.
enum Bench {
  static let spec = CommandSpec(
    name: "sombra-bench",
    overview: "Runs the seeded benchmark workload (shared/bench/WORKLOAD.md) against SombraCore and validates every answer.",
    options: [
      .option(
        "scale", valueName: "scale", type: .choice(["tiny", "small", "medium"]), defaultValue: "tiny",
        help: "tiny N=10,000; small N=100,000; medium N=1,000,000 (W1 and W6 only). Edges are 5N."),
      .option("json", valueName: "file", help: "Write the JSON results to this file."),
      .option("dir", valueName: "dir", help: "Directory for the database (default: a new one under /tmp)."),
      .flag("keep", help: "Leave the database at DIR/bench.sombra."),
      .option(
        "cap-s", valueName: "seconds", type: .integer(0...86_400), defaultValue: "0",
        help: "Stop each group after this many seconds (W2 after twice that); 0 runs everything."),
      .option("only", valueName: "groups", help: "Comma-separated groups to run after the load (W2,W3,W4,W5,W6)."),
      .option(
        "metrics", valueName: "on|off", type: .choice(["on", "off"]), defaultValue: "on",
        help: "Measure commit and read latencies (the cost of metrics)."),
      .option(
        "log-level", valueName: "level",
        help: "Give the engine a logger at this level whose handler formats and drops each event (the cost of logging)."),
      .option(
        "sync", valueName: "mode", type: .choice(["full", "normal", "group", "off"]), defaultValue: "full",
        help: "Sync mode for the relaxed W2 run and the load; group is full (concurrent commits share a sync either way)."),
    ],
    version: SombraVersion.description)

  static func main(_ arguments: [String], out: any TextOutput, err: any TextOutput) -> ExitCode {
    let help = HelpFormatter(root: spec)
    let parsed: ParsedArguments
    do {
      switch try ArgumentParser(spec).parse(arguments) {
      case .help(let path):
        out.write(help.help(for: path, width: Terminal.detect(environment: Terminal.processEnvironment()).width))
        return .success
      case .version:
        out.writeLine(help.versionLine ?? spec.name)
        return .success
      case .run(let p): parsed = p
      }
    } catch {
      return help.report(error, to: err)
    }
    do {
      return try run(parsed, out: out, err: err)
    } catch {
      err.write("sombra-bench: error: \(error)\n")
      return .failure
    }
  }

  static func run(_ args: ParsedArguments, out: any TextOutput, err: any TextOutput) throws -> ExitCode {
    BenchObservability.metrics = args.value("metrics") != "off"
    BenchObservability.logLevel = args.value("log-level")
    let scale = args.value("scale") ?? "tiny"
    let n = ["tiny": 10_000, "small": 100_000, "medium": 1_000_000][scale] ?? 10_000
    let cap = Double(args.integer("cap-s") ?? 0)
    let only = Set((args.value("only") ?? "").split(separator: ",").map { String($0) })
    let relaxed: OpenOptions.SyncMode =
      switch args.value("sync") ?? "full" {
      case "off": .off
      case "normal": .normal(commits: 1000)
      default: .full
      }
    let dir: String
    if let given = args.value("dir") {
      dir = given
      mkdir(dir, 0o755)
    } else {
      var template = Array("/tmp/sombra-bench-XXXXXX".utf8CString)
      guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
        throw SombraError.io("mkdtemp", errno: errno, path: "/tmp")
      }
      dir = String(cString: made)
    }
    let path = dir + "/bench.sombra"
    unlink(path)
    unlink(path + ".wal")

    let graph = BenchGraph(n: n)
    if let problem = graph.checkValues() { throw SombraError(.misuse, "workload generator: \(problem)") }
    var bench = BenchRun(graph: graph, path: path, cap: cap, only: only, out: out)
    var results: [JSONMember] = [
      JSONMember("peer", "sombra-swift"),
      JSONMember("version", .string("format \(DatabaseHeader.currentMajor).\(DatabaseHeader.currentMinor)")),
      JSONMember("n_nodes", .integer(Int64(n))), JSONMember("n_edges", .integer(Int64(5 * n))),
    ]

    let fsync = try measureFsync(directory: dir)
    out.write("W0 fsync 4 KiB: p50 \(round1(fsync.percentile(50))) µs, p99 \(round1(fsync.percentile(99))) µs\n")

    var db = try Database.open(path, options: BenchRun.options(sync: relaxed))
    results.append(JSONMember("W1", try bench.load(db)))
    out.write("W1 load: \(results.last.map { JSONWriter.compact.string(from: $0.value) } ?? "")\n")
    results.append(JSONMember("W6a", ["bytes_after_load": .integer(fileSize(path) + fileSize(path + ".wal"))]))

    if bench.wants("W3") {
      results.append(JSONMember("W3", try bench.pointReads(db)))
      out.write("W3 point reads: \(JSONWriter.compact.string(from: results[results.count - 1].value))\n")
    }
    if bench.wants("W4") {
      results.append(JSONMember("W4", try bench.traversals(db)))
      out.write("W4 traversals: \(JSONWriter.compact.string(from: results[results.count - 1].value))\n")
    }
    if bench.wants("W5") {
      results.append(JSONMember("W5", try bench.scans(db)))
      out.write("W5 scans: \(JSONWriter.compact.string(from: results[results.count - 1].value))\n")
    }
    if bench.wants("W6") {
      var t = now()
      try db.checkpoint(.truncate)
      let checkpoint = now() - t
      try db.close()
      let bytesAfterClose = fileSize(path) + fileSize(path + ".wal")
      db = try Database.open(path, options: BenchRun.options(sync: relaxed))
      t = now()
      let full = try db.verify(VerifyOptions(level: .graph))
      let verifyFull = now() - t
      t = now()
      let sums = try db.verify(VerifyOptions(level: .checksums))
      let verifyChecksums = now() - t
      let vacuumPath = dir + "/bench-vacuum.sombra"
      unlink(vacuumPath)
      t = now()
      _ = try db.vacuum(into: vacuumPath)
      let vacuum = now() - t
      let bytesAfterVacuum = fileSize(vacuumPath) + fileSize(vacuumPath + ".wal")
      unlink(vacuumPath)
      unlink(vacuumPath + ".wal")
      bench.valid["W6"] = full.isClean && sums.isClean
      results.append(
        JSONMember(
          "W6",
          [
            "checkpoint_s": .double(round3(checkpoint)), "bytes_after_close": .integer(bytesAfterClose),
            "verify_full_s": .double(round3(verifyFull)), "verify_checksum_s": .double(round3(verifyChecksums)),
            "verify_checksum_mb_per_s": .double(round1(Double(sums.counts.bytesChecked) / verifyChecksums / 1e6)),
            "vacuum_s": .double(round3(vacuum)), "bytes_after_vacuum": .integer(bytesAfterVacuum),
            "valid": .bool(full.isClean && sums.isClean),
          ]))
      out.write("W6 maintenance: \(JSONWriter.compact.string(from: results[results.count - 1].value))\n")
    }
    if bench.wants("W2") {
      try db.close()
      db = try Database.open(path, options: BenchRun.options(sync: .full))
      let (durable, d1) = try bench.smallTransactions(db, seed: 2, firstID: n, mode: "full")
      try db.close()
      db = try Database.open(path, options: BenchRun.options(sync: relaxed == .full ? .normal(commits: 1000) : relaxed))
      let (relaxedJSON, d2) = try bench.smallTransactions(db, seed: 22, firstID: n + d1, mode: relaxed == .off ? "off" : "normal")
      try db.close()
      db = try Database.open(path, options: BenchRun.options(sync: .full))
      let (group, d3) = try bench.groupTransactions(db, seed: 222, threads: 4)
      try db.close()
      db = try Database.open(path, options: BenchRun.options(sync: .full))
      let count = try db.read { try $0.nodeCount }
      let reopenOK = count == n + d1 + d2 + d3
      bench.valid["W2"] = reopenOK
      results.append(
        JSONMember(
          "W2",
          [
            "durable": durable, "relaxed": relaxedJSON,
            "group": group, "reopen_check": .bool(reopenOK),
          ]))
      out.write("W2 small transactions: \(JSONWriter.compact.string(from: results[results.count - 1].value))\n")
    }
    try db.close()

    let document: JSONValue = [
      "scale": .string(scale),
      "params": ["n": .integer(Int64(n)), "cap": .double(cap), "w2": 10_000],
      "physical": fsync.json(),
      "results": .array([.object(results)]),
    ]
    if let file = args.value("json") {
      let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      guard fd >= 0 else { throw SombraError.io("open", errno: errno, path: file) }
      FileDescriptorOutput(fileDescriptor: fd).write(JSONWriter.pretty.string(from: document) + "\n")
      close(fd)
    }
    if !args.flag("keep") {
      unlink(path)
      unlink(path + ".wal")
      if args.value("dir") == nil { rmdir(dir) }
    } else {
      out.write("database kept at \(path)\n")
    }
    let invalid = bench.valid.filter { !$0.value }.keys.sorted()
    for (group, ok) in bench.valid.sorted(by: { $0.key < $1.key }) { out.write("\(group): \(ok ? "valid" : "INVALID")\n") }
    return invalid.isEmpty ? .success : .failure
  }
}
