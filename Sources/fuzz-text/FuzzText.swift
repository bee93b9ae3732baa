import SombraCLI
import SombraTools

/// libFuzzer target for everything a person types or a script feeds: the
/// shell's tokenizer and parser (each line of the input), one import line or a
/// whole import file (JSON Lines, deeply nested JSON included), and the
/// command line of every tool (arguments separated by NUL bytes), with help
/// rendered when the arguments ask for it. The first byte picks which.
///
/// Build and run: `scripts/fuzz fuzz-text [SECONDS]`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let mode = bytes.first else { return 0 }
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
        }
      } catch {
        HelpFormatter(root: spec).report(error, to: MemoryOutput())
      }
    }
  }
  return 0
}
