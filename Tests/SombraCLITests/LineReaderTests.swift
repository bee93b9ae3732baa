import Glibc
import SombraCLI
import Testing

@Suite("LineReader: lines with a bound on memory")
struct LineReaderTests {
  /// A reader over a temporary file holding `bytes` (unlinked at once; the
  /// descriptor keeps it alive).
  final class Source {
    let descriptor: Int32
    let reader: LineReader

    init(_ bytes: [UInt8], limit: Int) throws {
      var template = Array("/tmp/sombra-linereader-XXXXXX".utf8CString)
      let file = mkstemp(&template)
      try #require(file >= 0)
      unlink(template)
      descriptor = file
      reader = LineReader(descriptor: file, maximumLineBytes: limit)
      let written = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
      try #require(written == bytes.count)
      try #require(lseek(file, 0, SEEK_SET) == 0)
    }

    deinit { close(descriptor) }

    /// Every line (as text) or error until the end.
    func drain() -> [String] {
      var out: [String] = []
      while true {
        do {
          guard let line = try reader.nextLine() else { return out }
          out.append(String(decoding: line, as: UTF8.self))
        } catch {
          out.append("! \(error)")
        }
      }
    }
  }

  @Test func linesEndAtNewlineOrCRLFAndTheLastNeedsNone() throws {
    let source = try Source(Array("a\r\n\nbc\nlast".utf8), limit: 100)
    #expect(source.drain() == ["a", "", "bc", "last"])
    #expect(source.reader.lineNumber == 4)
    #expect(source.reader.bytesRead == 11)
  }

  @Test func aTrailingNewlineMakesNoExtraLineAndEmptyInputNone() throws {
    #expect(try Source(Array("x\n".utf8), limit: 10).drain() == ["x"])
    #expect(try Source([], limit: 10).drain() == [])
  }

  @Test func aLineOfExactlyTheLimitPassesAndOneMoreByteIsRefusedThenSkipped() throws {
    let bytes = Array("12345\n123456\nok\n1234567".utf8)
    #expect(
      try Source(bytes, limit: 5).drain() == [
        "12345", "! tooLong(line: 2, limit: 5)", "ok", "! tooLong(line: 4, limit: 5)",
      ])
  }

  /// Lines longer than the 64 KiB read buffer are assembled across reads;
  /// a long line is skipped across reads too, never stored.
  @Test func linesSpanningManyReadsAreAssembledOrSkipped() throws {
    let long = [UInt8](repeating: UInt8(ascii: "a"), count: 200_000)
    let longer = [UInt8](repeating: UInt8(ascii: "b"), count: 300_001)
    let bytes = long + [10] + longer + [10] + Array("tail".utf8)
    let lines = try Source(bytes, limit: 300_000).drain()
    #expect(lines.count == 3)
    #expect(lines.first?.utf8.count == 200_000)
    #expect(lines.dropFirst().first == "! tooLong(line: 2, limit: 300000)")
    #expect(lines.last == "tail")
  }

  @Test func aReadFailureIsAnErrorNamingTheLine() throws {
    let directory = open("/tmp", O_RDONLY | O_DIRECTORY)
    try #require(directory >= 0)
    defer { close(directory) }
    let reader = LineReader(descriptor: directory)
    #expect(throws: LineReadError.io(line: 1, errno: EISDIR)) { try reader.nextLine() }
    #expect(LineReadError.io(line: 1, errno: EISDIR).message == "cannot read: Is a directory")
    #expect(
      LineReadError.tooLong(line: 9, limit: 16 << 20).message
        == "the line is longer than 16 MiB (16777216 bytes), the limit for one line")
  }
}
