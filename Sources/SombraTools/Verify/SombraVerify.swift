import Logging
import SombraCLI
import SombraCore

/// `sombra-verify [options] DB`: checks a database's integrity on a read-only
/// snapshot, for cron. Exit 0 clean, 1 problems found, 2 usage, 3 cannot open or
/// read, 4 busy, 130 interrupted (Ctrl-C: the verifier stops at its next progress
/// step, about every 1% of a phase, and nothing but `sombra-verify: interrupted`
/// is written). Each problem line names the page or record, the invariant that is
/// broken and the repair to try; a clean run prints one line (nothing with -q).
public enum SombraVerify {
  public static let tool = "sombra-verify"

  public static let spec = CommandSpec(
    name: tool,
    overview:
      "Verify the integrity of a Sombra database: checksums, page accounting, B-trees, and the graph's records, adjacency, indexes and counts.",
    positionals: [PositionalSpec("database", help: "The database file (its WAL is the file beside it ending in .wal).")],
    options: OutputOptions.specs + [
      .flag("checksums-only", help: "Only verify the checksum of every page and WAL frame."),
      .flag("quick", help: "Checksums and structure (page accounting, B-trees, catalog), without the graph checks."),
      .flag("skip-indexes", help: "Do not compare the label and property indexes with the records."),
      .flag("skip-adjacency", help: "Do not compare adjacency with the edges."),
      .option(
        "max-errors", valueName: "n", type: .integer(0...100_000_000), defaultValue: "100",
        help: "Report at most this many problems (0 = all); the count of all problems is still given."),
      .flag("quiet", short: "q", help: "Print nothing when the database is clean and one summary line when it is not."),
      .option(
        "lock-timeout", valueName: "seconds", defaultValue: "0",
        help: "How long to wait for a checkpoint in another process to let go of the database."),
      .option(
        "progress", valueName: "when", type: .choice(["auto", "always", "never"]), defaultValue: "auto",
        help: "Show a progress line on stderr: auto (when stderr is a terminal), always, never."),
      .option(
        "metrics-file", valueName: "file",
        help: "Also write the result as a Prometheus textfile (for node_exporter's textfile collector), atomically."),
    ] + ToolLogging.specs)

  public static func main(_ arguments: [String], context: ToolContext) -> ExitCode {
    let commandLine = ToolCommandLine(spec)
    return commandLine.run(arguments, context: context) { parsed in
      let path = parsed.positional("database") ?? ""
      let output = OutputOptions(parsed)
      guard let timeout = Double(parsed.value("lock-timeout") ?? "0"), timeout >= 0, timeout.isFinite else {
        throw commandLine.usageError(
          "invalid value '\(parsed.value("lock-timeout") ?? "")' for '--lock-timeout': expected a number of seconds, 0 or more",
          commandPath: [tool], context: context)
      }
      if parsed.flag("checksums-only") && parsed.flag("quick") {
        throw commandLine.usageError(
          "--checksums-only and --quick cannot be used together", commandPath: [tool], context: context)
      }
      var options = VerifyOptions()
      options.level = parsed.flag("checksums-only") ? .checksums : parsed.flag("quick") ? .structure : .graph
      options.checkIndexes = !parsed.flag("skip-indexes")
      options.checkAdjacency = !parsed.flag("skip-adjacency")
      options.maxErrors = parsed.integer("max-errors") ?? 100

      let database: Database
      do {
        var openOptions = OpenOptions.readOnly
        openOptions.lockTimeout = timeout
        openOptions.logger = ToolLogging(parsed, environment: context.environment).logger(to: context.standardError)
        database = try Database.open(path, options: openOptions, storage: context.storage)
      } catch let error as SombraError where error.code == .corruption {
        // A database too damaged to open is a verification result, not a usage problem.
        let status = unopenable(error, path: path, level: options.level, output: output, quiet: parsed.flag("quiet"), context)
        try writeMetrics(parsed.value("metrics-file"), path: path, clean: false, problems: 1, duration: 0, context)
        return status
      } catch {
        throw context.exit(for: error, tool: tool)
      }
      defer { try? database.close() }
      let progress = progressLine(parsed.value("progress") ?? "auto", context)
      let report: VerifyReport
      do {
        report = try database.verify(
          options,
          progress: { step in
            guard step.total > 0 else { return }
            progress.update("verifying: \(step.phase) \(step.done * 100 / step.total)%")
          }, shouldStop: context.isInterrupted)
      } catch is VerifyInterrupted {
        progress.finish()
        throw context.interrupted(tool: tool)
      } catch {
        progress.finish()
        throw context.exit(for: error, tool: tool)
      }
      progress.finish()
      // Ctrl-C in the last steps: the report is whole, but the operator asked to stop.
      try context.checkInterrupted(tool: tool)
      switch output.format {
      case .json: context.writeJSON(json(report, path: path))
      case .text: text(report, path: path, quiet: parsed.flag("quiet"), context)
      }
      try writeMetrics(
        parsed.value("metrics-file"), path: path, clean: report.isClean, problems: report.totalErrors,
        duration: report.duration, context)
      return report.isClean ? .success : .failure
    }
  }

  /// Writes `--metrics-file` when it was given; a failure to write it fails the run (exit 1).
  static func writeMetrics(_ file: String?, path: String, clean: Bool, problems: Int, duration: Double, _ context: ToolContext)
    throws
  {
    guard let file, !file.isEmpty else { return }
    let run = VerifyMetricsFile.Run(
      clean: clean, problems: problems, durationSeconds: duration, databaseBytes: context.storage.size(of: path) ?? 0,
      walBytes: context.storage.size(of: path + ".wal") ?? 0, now: VerifyMetricsFile.now())
    do {
      let previous = VerifyMetricsFile.read(file, storage: context.storage)
      try VerifyMetricsFile.writeAtomically(
        VerifyMetricsFile.text(run, path: path, previous: previous), to: file, storage: context.storage)
    } catch {
      throw context.fail("cannot write the metrics file: \(error)", tool: tool)
    }
  }

  /// Reports a database whose open failed on damaged bytes: one problem
  /// (`HEADER_INVALID` for page 0 or the file's geometry, else `PAGE_CHECKSUM`)
  /// and exit 1.
  static func unopenable(
    _ error: SombraError, path: String, level: VerifyOptions.Level, output: OutputOptions, quiet: Bool, _ context: ToolContext
  ) -> ExitCode {
    let page = error.page ?? 0
    // The WAL of a young database (everything still in it) is damaged.
    let inWAL = error.path == path + ".wal"
    let problem = VerifyProblem(
      inWAL ? .walDamaged : page == 0 ? .headerInvalid : .pageChecksum, page: inWAL ? nil : page,
      record: inWAL ? "WAL header" : nil,
      message: "the database cannot be opened: \(error.message)", hint: inWAL ? VerifyHint.recover : VerifyHint.salvage)
    var report = VerifyReport(level: level, transactionID: 0)
    report.problems = [problem]
    report.totalProblems = 1
    report.totalErrors = 1
    switch output.format {
    case .json: context.writeJSON(json(report, path: path))
    case .text: text(report, path: path, quiet: quiet, context)
    }
    return .failure
  }

  static func progressLine(_ when: String, _ context: ToolContext) -> ProgressLine {
    let enabled = when == "always" || (when == "auto" && context.terminal.standardErrorIsTerminal)
    return ProgressLine(
      output: context.standardError, isEnabled: enabled, width: context.terminal.width, ascii: !context.terminal.isUTF8)
  }

  /// The text report: problem lines, then one summary line. On a terminal
  /// (and without `NO_COLOR`), `ok` is green, the count of problems and each
  /// error's code red, a warning's code yellow.
  static func text(_ report: VerifyReport, path: String, quiet: Bool, _ context: ToolContext) {
    let out = context.standardOutput
    let terminal = context.terminal
    let name = TerminalText.escapingControlCharacters(path)
    if report.isClean {
      if quiet { return }
      for problem in report.problems { out.writeLine(line(problem, path: path, terminal: terminal)) }
      out.writeLine("\(name): \(terminal.styled("ok", .green)) (\(summary(report)))")
      return
    }
    if !quiet {
      for problem in report.problems { out.writeLine(line(problem, path: path, terminal: terminal)) }
    }
    let found = "\(report.totalErrors) \(report.totalErrors == 1 ? "problem" : "problems") found"
    var closing = "\(name): \(terminal.styled(found, .red))"
    if report.totalProblems > report.totalErrors { closing += " and \(report.totalProblems - report.totalErrors) warning(s)" }
    if report.stoppedEarly { closing += "; stopped after \(report.problems.count) (raise --max-errors, 0 for all)" }
    closing += " (\(summary(report)))"
    out.writeLine(closing)
  }

  /// `CODE page N, record: message; try: hint`, with DB in hints replaced by
  /// the path; the code coloured by severity when `terminal` uses colour.
  static func line(_ problem: VerifyProblem, path: String, terminal: Terminal) -> String {
    var where_: [String] = []
    if let page = problem.page { where_.append("page \(page)") }
    if let record = problem.record { where_.append(record) }
    let place = where_.isEmpty ? "" : " " + where_.joined(separator: ", ")
    let severity = problem.severity == .warning ? "warning " : ""
    let hint = problem.hint.isEmpty ? "" : "; try: " + problem.hint.replacingDB(with: path)
    let code = terminal.styled(problem.code.rawValue, problem.severity == .warning ? .yellow : .red)
    return severity + code + TerminalText.escapingControlCharacters("\(place): \(problem.message)\(hint)")
  }

  static func summary(_ report: VerifyReport) -> String {
    let c = report.counts
    var parts = ["\(report.level.rawValue) level", "\(c.pages) pages", "\(c.walFrames) WAL frames"]
    if report.level == .graph { parts += ["\(c.nodes) nodes", "\(c.edges) edges"] }
    if !report.skipped.isEmpty { parts.append("skipped: " + report.skipped.joined(separator: ", ")) }
    return parts.joined(separator: ", ")
  }

  static func json(_ report: VerifyReport, path: String) -> [JSONMember] {
    let c = report.counts
    let counts: [JSONMember] = [
      JSONMember("pages", .integer(Int64(c.pages))), JSONMember("wal_frames", .integer(Int64(c.walFrames))),
      JSONMember("bytes_checked", .integer(Int64(c.bytesChecked))), JSONMember("tree_pages", .integer(Int64(c.treePages))),
      JSONMember("free_pages", .integer(Int64(c.freePages))), JSONMember("nodes", .integer(Int64(c.nodes))),
      JSONMember("edges", .integer(Int64(c.edges))), JSONMember("adjacency_entries", .integer(Int64(c.adjacencyEntries))),
      JSONMember("label_index_entries", .integer(Int64(c.labelIndexEntries))),
      JSONMember("property_index_entries", .integer(Int64(c.propertyIndexEntries))),
    ]
    let problems: [JSONValue] = report.problems.map { p in
      .object([
        JSONMember("code", .string(p.code.rawValue)), JSONMember("severity", .string(p.severity.rawValue)),
        JSONMember("page", p.page.map { .integer(Int64($0)) } ?? .null),
        JSONMember("record", p.record.map { .string($0) } ?? .null),
        JSONMember("message", .string(p.message)), JSONMember("hint", .string(p.hint.replacingDB(with: path))),
      ])
    }
    return [
      JSONMember("command", "verify"), JSONMember("path", .string(path)), JSONMember("level", .string(report.level.rawValue)),
      JSONMember("clean", .bool(report.isClean)), JSONMember("transaction", .integer(Int64(clamping: report.transactionID))),
      JSONMember("counts", .object(counts)), JSONMember("problems", .array(problems)),
      JSONMember("total_problems", .integer(Int64(report.totalProblems))),
      JSONMember("total_errors", .integer(Int64(report.totalErrors))),
      JSONMember("stopped_early", .bool(report.stoppedEarly)), JSONMember("skipped", .array(report.skipped.map { .string($0) })),
      JSONMember("duration_s", .double((report.duration * 1000).rounded() / 1000)),
    ]
  }
}

extension String {
  /// A repair hint with its `DB` placeholder replaced by the database path.
  func replacingDB(with path: String) -> String {
    split(separator: " ", omittingEmptySubsequences: false).map { $0 == "DB" ? path : String($0) }.joined(separator: " ")
  }
}
