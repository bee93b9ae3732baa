import SombraCLI
import SombraCore
import SombraTools

/// The fuzz targets' bodies, one per target. The executables in
/// `Sources/fuzz-*` hand libFuzzer's input to these; `FuzzReplayTests` runs
/// every file under `Fixtures/fuzz/TARGET/` (the seeds and every input that
/// once crashed) through the same functions in the ordinary suite.
package enum FuzzEntry {
  /// Every target, by the name of its executable.
  package static let targets: [String: @Sendable ([UInt8]) -> String?] = [
    "fuzz-text": text, "fuzz-page": page, "fuzz-wal": wal,
  ]

  /// libFuzzer target for everything a person types or a script feeds: the
  /// shell's tokenizer and parser (each line of the input), one import line or a
  /// whole import file (JSON Lines, deeply nested JSON included), and the
  /// command line of every tool (arguments separated by NUL bytes), with help
  /// rendered when the arguments ask for it. The first byte picks which.
  ///
  /// Build and run: `scripts/fuzz fuzz-text [SECONDS]`.
  package static func text(_ bytes: [UInt8]) -> String? {
    guard let mode = bytes.first else { return nil }
    let input = Array(bytes.dropFirst())
    let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    switch mode % 4 {
    case 0:
      for line in lines { _ = ShellParser.accepts(String(decoding: line, as: UTF8.self)) }
    case 1:
      _ = try? ImportRecord.decode(input)
    case 2:
      for line in lines { _ = try? ImportRecord.decode(Array(line)) }
    default:
      let arguments = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
      for spec in [SombraInspect.spec, SombraVerify.spec, SombraRepair.spec, SombraShell.spec] {
        do {
          switch try ArgumentParser(spec).parse(arguments) {
          case .run(let parsed): _ = parsed.positional("database")
          case .help(let path): _ = HelpFormatter(root: spec).help(for: path, width: 1 + Int(mode) % 120)
          case .version: break
          }
        } catch {
          HelpFormatter(root: spec).report(error, to: MemoryOutput())
        }
      }
    }
    return nil
  }

  /// libFuzzer target for page decoding: one page of a valid database (chosen
  /// by the first two bytes) is patched by the rest of the input and, unless
  /// the top bit of the selector says otherwise, resealed with a valid
  /// checksum so the damage reaches the decoders behind the CRC check: the
  /// header, B-tree leaves and interiors, overflow and free pages, records and
  /// property values. The database is then read through every read path and
  /// verified at graph level (`FuzzDatabase.exercise`), read-only or (bit 14)
  /// read-write with a write and a checkpoint.
  ///
  /// Build and run: `scripts/fuzz fuzz-page [SECONDS]`.
  package static func page(_ bytes: [UInt8]) -> String? {
    let input = bytes
    let size = bytes.count
    guard FuzzDatabase.isBuilt else { return "the fuzz base database cannot be built" }
    guard size >= 2 else { return nil }
    var main = FuzzDatabase.checkpointed
    let pageSize = PageLayout.defaultPageSize
    let pageCount = main.count / pageSize
    guard pageCount > 0 else { return nil }
    let selector = Int(input[0]) | Int(input[1]) << 8
    let number = (selector & 0x3FFF) % pageCount
    let range = number * pageSize..<(number + 1) * pageSize
    var page = Array(main[range])
    applyPatches(input[2...], to: &page)
    if selector & 0x8000 == 0 { page.withUnsafeMutableBytes { PageLayout.seal($0) } }
    main.replaceSubrange(range, with: page)
    FuzzDatabase.exercise(main: main, wal: nil, readOnly: selector & 0x4000 == 0)
    return nil
  }

  /// libFuzzer target for WAL recovery: arbitrary WAL bytes beside a valid
  /// database. The first byte picks the WAL: the rest of the input as it is
  /// (beside a checkpointed database), a real WAL of the last commits patched
  /// by the input, or that WAL cut short and then patched; bit 7 opens
  /// read-only. Whatever the WAL holds, an open either fails with an error or
  /// gives a database whose only problems are the WAL's own (a read-only open
  /// serves the genuine prefix of a damaged WAL and verify reports the
  /// damage): recovery keeps only whole, genuine transactions. Any other
  /// problem after a successful open is a defect and stops the run.
  ///
  /// Build and run: `scripts/fuzz fuzz-wal [SECONDS]`.
  package static func wal(_ bytes: [UInt8]) -> String? {
    let input = bytes
    guard FuzzDatabase.isBuilt else { return "the fuzz base database cannot be built" }
    guard let mode = input.first else { return nil }
    let rest = input[1...]
    let main: [UInt8]
    var wal: [UInt8]
    switch (mode & 0x7F) % 3 {
    case 0:
      main = FuzzDatabase.checkpointed
      wal = Array(rest)
    case 1:
      (main, wal) = FuzzDatabase.withWAL
      applyPatches(rest, to: &wal)
    default:
      (main, wal) = FuzzDatabase.withWAL
      guard rest.count >= 2 else { return nil }
      let cut = (Int(rest[rest.startIndex]) | Int(rest[rest.startIndex + 1]) << 8) * 16
      wal.removeLast(max(0, wal.count - cut))
      applyPatches(rest.dropFirst(2), to: &wal)
    }
    let report = FuzzDatabase.exercise(main: main, wal: wal, readOnly: mode & 0x80 != 0)
    // The damage itself is reported (WAL_DAMAGED, WAL_FOREIGN: a read-only
    // open serves the genuine prefix and says so); everything else must hold.
    let graphProblems = report?.problems.filter { $0.severity != .warning && !$0.code.rawValue.hasPrefix("WAL_") } ?? []
    guard !graphProblems.isEmpty else { return nil }
    return "the database opened beside a damaged WAL does not verify: \(graphProblems.prefix(3))"
  }
}
