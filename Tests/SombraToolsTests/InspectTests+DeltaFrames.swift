import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

/// `sombra-inspect wal` and page sources over WAL delta frames (`WALFormat`):
/// the listing names each delta frame's pages and length, and a garbled delta
/// frame is reported invalid instead of crashing the tool.
extension InspectTests {
  @Test func walListsDeltaFramesWithThePagesTheyChangeAndTheirLength() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: path)
    defer { try? writer.close() }
    for name in ["Dave", "Erin"] {
      try writer.write { tx in _ = try tx.createNode(labels: ["Person"], properties: ["name": .string(name)]) }
    }
    let wal = fileBytes(path + ".wal") ?? []
    // The frames as the file holds them, parsed here by hand: a page-0 image
    // first (its first frame in the generation), then one delta frame a commit.
    let expected = DeltaFrameBytes.frames(wal, pageSize: 4096)
    #expect(expected.map(\.delta) == [false, true, true, true])

    let json = inspect([path, "wal", "--json"])
    #expect(json.status == .success)
    #expect(json.err == "")
    guard case .array(let frames)? = try JSONParser.parse(json.out)["frames"] else {
      Issue.record("no frames array in:\n\(json.out)")
      return
    }
    #expect(frames.count == expected.count)
    for (row, frame) in zip(frames, expected) {
      #expect(row["kind"]?.stringValue == (frame.delta ? "delta" : "image"))
      #expect(row["bytes"] == .integer(Int64(frame.length)))
      #expect(row["pages"] == .array(frame.pages.map { .integer(Int64($0)) }))
      #expect(row["page"] == (frame.delta ? .null : .integer(Int64(frame.pages[0]))))
      #expect(row["state"] == "committed")
    }

    let text = inspect([path, "wal"])
    #expect(text.status == .success)
    for (index, frame) in expected.enumerated() where frame.delta {
      let row = text.out.split(separator: "\n").first { $0.hasPrefix("|     \(index) | delta | ") }
      #expect(row?.contains(" \(frame.length) | 7 pages ") == true, "frame \(index) in:\n\(text.out)")
    }
    #expect(text.out.contains("4 frames: 4 committed (4 transactions); then "), "\(text.out)")
    // Every page's version is read as stored, rebuilt from its delta records.
    let pages = inspect([path, "pages"])
    #expect(pages.status == .success)
    #expect(!pages.out.contains("bad checksum") && !pages.out.contains("damaged"), "\(pages.out)")
    #expect(pages.out.contains("|    2 | btree-leaf | nodes      |       6 |"), "\(pages.out)")
    #expect(pages.out.contains("| WAL frame 3 (delta) |"), "\(pages.out)")
    let info = inspect([path, "info"])
    #expect(info.out.contains("| WAL frames         4 committed (3 delta), in 4 transactions"), "\(info.out)")
  }

  @Test func walReportsAGarbledDeltaFrameInvalidWithoutCrashing() async {
    // In a child process: a trap on hostile bytes fails this test, not the
    // run. The child exits 0 when nothing trapped and writes what was reported
    // wrongly between two markers (its standard error may hold other bytes).
    let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      var failures: [String] = []
      do {
        failures = try DeltaFrameBytes.garbledFrameFailures()
      } catch {
        failures = ["cannot build the fixture: \(error)"]
      }
      DeltaFrameBytes.printError("\(DeltaFrameBytes.begin)\n" + failures.map { $0 + "\n" }.joined() + "\(DeltaFrameBytes.end)\n")
      exit(EXIT_SUCCESS)
    }
    guard let result else { return }
    let lines = String(decoding: result.standardErrorContent, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    guard let begin = lines.firstIndex(of: Substring(DeltaFrameBytes.begin)),
      let end = lines[begin...].firstIndex(of: Substring(DeltaFrameBytes.end))
    else {
      Issue.record("the child wrote no report: \(lines.joined(separator: "\n"))")
      return
    }
    let failures = lines[begin + 1..<end].joined(separator: "\n")
    #expect(failures.isEmpty, "\(failures)")
  }
}

/// Builds and garbles WAL delta frames for the tests above; reads frames with
/// its own parser, not the engine's.
enum DeltaFrameBytes {
  static let begin = "-- garbled delta frames: wrongly reported --"
  static let end = "-- end --"

  struct Frame {
    var delta: Bool
    /// L of a delta frame, the page size of an image.
    var length: Int
    var pages: [UInt32]
  }

  static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
  }

  static func u16(_ bytes: [UInt8], _ at: Int) -> Int {
    Int(bytes[at]) | Int(bytes[at + 1]) << 8
  }

  static func put32(_ value: UInt32, into bytes: inout [UInt8], at: Int) {
    for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
  }

  /// The frames of `wal` up to the first slot whose salts are not the header's.
  static func frames(_ wal: [UInt8], pageSize: Int) -> [Frame] {
    var frames: [Frame] = []
    let slot = 32 + pageSize
    var offset = 32
    while offset + 32 <= wal.count, u32(wal, offset + 16) == u32(wal, 16), u32(wal, offset + 20) == u32(wal, 20) {
      let length = Int(u32(wal, offset + 28))
      if length == 0 {
        frames.append(Frame(delta: false, length: pageSize, pages: [u32(wal, offset)]))
      } else {
        var pages: [UInt32] = []
        var at = offset + 32
        while at < offset + 32 + length {
          pages.append(u32(wal, at))
          let runs = u16(wal, at + 4)
          at += 6
          for _ in 0..<runs { at += 4 + u16(wal, at + 2) }
        }
        frames.append(Frame(delta: true, length: length, pages: pages))
      }
      offset += slot
    }
    return frames
  }

  /// Recomputes the running checksum of delta frame `index` (the frame before
  /// it is intact), so that a check after the chain's sees the garbled records.
  static func rechainDelta(_ wal: inout [UInt8], index: Int, pageSize: Int) {
    let offset = 32 + index * (32 + pageSize)
    let previous = index == 0 ? u32(wal, 28) : u32(wal, offset - (32 + pageSize) + 24)
    let length = min(Int(u32(wal, offset + 28)), wal.count - offset - 32)
    let crc = wal.withUnsafeBytes { raw in
      WALFrameHeader.deltaChain(
        previous, head: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + 32]),
        records: UnsafeRawBufferPointer(rebasing: raw[offset + 32..<offset + 32 + length]))
    }
    put32(crc, into: &wal, at: offset + 24)
  }

  /// Runs `sombra-inspect wal` (text and JSON) and `pages` over copies of a
  /// WAL whose delta frame (frame 1) is garbled in several ways; returns what
  /// went wrong, empty when every case is reported as expected.
  static func garbledFrameFailures() throws -> [String] {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let live = dir.file("live.sombra")
    let writer = try InspectFixture.makeLiveWAL(at: live)
    let main = fileBytes(live) ?? []
    let original = fileBytes(live + ".wal") ?? []
    try writer.close()
    let pageSize = 4096
    let frame1 = 32 + (32 + pageSize)
    guard frames(original, pageSize: pageSize).map(\.delta) == [false, true] else {
      return ["the fixture's WAL is not a page-0 image and a delta frame"]
    }
    let length = Int(u32(original, frame1 + 28))

    typealias Garble = (inout [UInt8]) -> Void
    // Each case: what it does, the reason the listing must give, the garbling,
    // and a line of the text listing it must show besides (or "").
    let cases: [(name: String, problem: String, garble: Garble, shows: String)] = [
      (
        "a run past the page's end", "\(WALInvalid.badDelta)",
        { wal in
          // The first record's first run: offset 4000, length 200.
          wal[frame1 + 32 + 6] = 0xA0
          wal[frame1 + 32 + 7] = 0x0F
          wal[frame1 + 32 + 8] = 200
          wal[frame1 + 32 + 9] = 0
          rechainDelta(&wal, index: 1, pageSize: pageSize)
        }, ""
      ),
      (
        "a record with no runs", "\(WALInvalid.badDelta)",
        { wal in
          wal[frame1 + 32 + 4] = 0
          wal[frame1 + 32 + 5] = 0
          rechainDelta(&wal, index: 1, pageSize: pageSize)
        }, ""
      ),
      (
        "a run count past the records", "\(WALInvalid.badDelta)",
        { wal in
          wal[frame1 + 32 + 4] = 0xFF
          wal[frame1 + 32 + 5] = 0xFF
          rechainDelta(&wal, index: 1, pageSize: pageSize)
        }, ""
      ),
      (
        "the delta marker with an image's L of 0", "\(WALInvalid.chainChecksum)",
        { wal in put32(0, into: &wal, at: frame1 + 28) }, "|     1 | image | 4294967295 |  4096 |"
      ),
      (
        "an L of 2^32 - 1", "\(WALInvalid.chainChecksum)",
        { wal in put32(.max, into: &wal, at: frame1 + 28) }, "|     1 | delta | -     | 4294967295 |"
      ),
      (
        "an L of the page size with the file ending inside the records", "\(WALInvalid.shortFrame)",
        { wal in
          put32(UInt32(pageSize), into: &wal, at: frame1 + 28)
          wal.removeSubrange((frame1 + 32 + length)...)
        }, "|     1 | delta | -     |  4096 |"
      ),
      (
        "a flipped byte in the records", "\(WALInvalid.chainChecksum)",
        { wal in wal[frame1 + 32 + length - 1] ^= 0x01 }, ""
      ),
      (
        "a delta frame in a version 1 WAL", "\(WALInvalid.badDelta)",
        { wal in
          // Version 1 (which has no database id), with the header's CRC and
          // the chain through frame 0 renewed.
          put32(1, into: &wal, at: 4)
          put32(0, into: &wal, at: 24)
          let seed = wal.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<28])) }
          put32(seed, into: &wal, at: 28)
          let chain = wal.withUnsafeBytes { raw in
            WALFrameHeader.chain(
              seed, head: UnsafeRawBufferPointer(rebasing: raw[32..<56]),
              page: UnsafeRawBufferPointer(rebasing: raw[64..<64 + pageSize]))
          }
          put32(chain, into: &wal, at: 32 + 24)
          rechainDelta(&wal, index: 1, pageSize: pageSize)
        }, "| version      1 "
      ),
    ]
    var failures: [String] = []
    for (index, (name, problem, garble, shows)) in cases.enumerated() {
      let path = dir.file("g\(index).sombra")
      var wal = original
      garble(&wal)
      writeFile(path, main)
      writeFile(path + ".wal", wal)
      let text = inspect([path, "wal"])
      let row = text.out.split(separator: "\n").first { $0.hasPrefix("|     1 |") }
      if text.status != .success || !(row?.hasSuffix("| invalid   |") ?? false)
        || !text.out.contains("\nframe 1: \(problem); recovery stops there and ignores the rest\n") || !text.out.contains(shows)
      {
        failures.append("\(name): wal exited \(text.status) and printed:\n\(text.out)\(text.err)")
      }
      let json = inspect([path, "wal", "--json"])
      let document = try? JSONParser.parse(json.out)
      let frame = document?["frames"]?[1]
      if json.status != .success || frame?["state"] != "invalid" || frame?["problem"]?.stringValue != problem
        || document?["committedFrames"] != 1
      {
        failures.append("\(name): wal --json exited \(json.status) and printed:\n\(json.out)\(json.err)")
      }
      // Recovery keeps transaction 4 only: every page comes from an image or the main file.
      let pages = inspect([path, "pages"])
      if pages.status != .success || pages.out.contains("(delta)") || pages.out.contains("bad checksum") {
        failures.append("\(name): pages exited \(pages.status) and printed:\n\(pages.out)\(pages.err)")
      }
    }
    return failures
  }

  static func printError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
  }
}
