// sombra-fixtures DIR: writes every fixture of Fixtures/README.md into DIR
// (`FixtureGenerator`), one line per file written. Run by scripts/make-fixtures.
import Glibc
import SombraCore

/// Writes `text` to standard error.
func complain(_ text: String) {
  let bytes = Array(text.utf8)
  _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
  complain("usage: sombra-fixtures DIR\n  Writes the test fixtures (valid/, broken/) into DIR, the same bytes on every run.\n")
  exit(2)
}
do {
  for (file, bytes) in try FixtureGenerator.writeAll(into: arguments[0]) {
    print("\(arguments[0])/\(file) (\(bytes) bytes)")
  }
} catch {
  complain("sombra-fixtures: error: \(error)\n")
  exit(1)
}
