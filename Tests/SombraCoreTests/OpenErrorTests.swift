import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Opening a file that is not a valid database fails with the specific code and a
/// message that says what was found, and changes no byte of the file or its WAL.
/// Each case runs read-write and read-only on the simulated disk; the legacy and
/// random-text cases also run on real files through `Database.open(path)`.
@Suite struct OpenErrorTests {
  let disk = SimulatedDisk()
  let path = "/db/bad.sombra"
  var walPath: String { path + ".wal" }

  // MARK: Helpers

  /// A closed, valid database of 4096-byte pages holding `keys` keys (one
  /// directory page and one page per key): its main file and its (empty) WAL.
  func validDatabase(keys: Int = 6) throws -> (main: [UInt8], wal: [UInt8]) {
    let source = SimulatedDisk()
    var options = OpenOptions()
    options.pageSize = 4096
    let db = try Database.open("/db/source.sombra", options: options, storage: source)
    try db.write { try PageStore.apply((0..<keys).map { ($0, UInt64($0) * 7 + 1) }, in: $0) }
    try db.close()
    let main = try #require(source.contents("/db/source.sombra"))
    let wal = try #require(source.contents("/db/source.sombra.wal"))
    return (main, wal)
  }

  /// Puts `main` (and `wal`, when given) on the disk, opens it read-write and
  /// read-only, and returns both errors after checking that neither open changed,
  /// created or removed a file. Records an issue when an open succeeds or throws
  /// something other than a `SombraError`.
  func openFailures(
    main: [UInt8], wal: [UInt8]? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) -> [SombraError] {
    var errors: [SombraError] = []
    for readOnly in [false, true] {
      disk.setContents(path, main)
      if let wal { disk.setContents(walPath, wal) } else { disk.delete(walPath) }
      let operationsBefore = disk.operations
      var options = readOnly ? OpenOptions.readOnly : OpenOptions()
      options.pageSize = 4096
      let mode = readOnly ? "read-only" : "read-write"
      do {
        let db = try Database.open(path, options: options, storage: disk)
        Issue.record("the \(mode) open succeeded (page size \(db.pageSize))", sourceLocation: sourceLocation)
      } catch let error as SombraError {
        errors.append(error)
      } catch {
        Issue.record("the \(mode) open threw a non-Sombra error: \(error)", sourceLocation: sourceLocation)
      }
      #expect(disk.contents(path) == main, "the \(mode) open changed the main file", sourceLocation: sourceLocation)
      #expect(
        disk.contents(walPath) == wal, "the \(mode) open changed, created or removed the WAL", sourceLocation: sourceLocation)
      #expect(disk.operations == operationsBefore, "the \(mode) open wrote, synced or truncated", sourceLocation: sourceLocation)
    }
    return errors
  }

  /// Checks that every error has `code` and a message containing each of `mentions`.
  func expect(
    _ errors: [SombraError], count: Int = 2, code: SombraError.Code, mentions: [String],
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(errors.count == count, "expected \(count) failed opens", sourceLocation: sourceLocation)
    for error in errors {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      for text in mentions {
        #expect(error.message.contains(text), "message lacks \"\(text)\": \(error.message)", sourceLocation: sourceLocation)
      }
    }
  }

  /// `bytes` with the little-endian u16 at `offset` replaced (no reseal).
  func patched(_ bytes: [UInt8], u16 value: UInt16, at offset: Int) -> [UInt8] {
    var b = bytes
    b[offset] = UInt8(truncatingIfNeeded: value)
    b[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    return b
  }

  /// `bytes` with the little-endian u32 at `offset` replaced (no reseal).
  func patched(_ bytes: [UInt8], u32 value: UInt32, at offset: Int) -> [UInt8] {
    var b = bytes
    for i in 0..<4 { b[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    return b
  }

  /// 9000 bytes of seeded random words (lowercase letters, spaces, newlines).
  static let randomText: [UInt8] = {
    var rng = SplitMix64(seed: 42)
    return (0..<9000).map { _ in
      let r = rng.below(32)
      return r < 26 ? UInt8(ascii: "a") + UInt8(r) : r < 31 ? UInt8(ascii: " ") : UInt8(ascii: "\n")
    }
  }()
  static var randomTextStart: String { "\"" + String(decoding: randomText[..<8], as: UTF8.self) + "\"" }

  // MARK: Not a Sombra file

  @Test func aFileOfRandomTextIsNotASombraFileAndTheMessageShowsItsFirstBytes() {
    let errors = openFailures(main: Self.randomText)
    expect(errors, code: .notASombraFile, mentions: ["not a Sombra database", Self.randomTextStart, "GRPHITE"])
    for error in errors { #expect(error.path == path) }
  }

  @Test func aTenByteFileIsNotASombraFileBecauseItIsTooShortForAHeader() {
    let errors = openFailures(main: Array("GRPHITE\0\u{2}\0".utf8))
    expect(errors, code: .notASombraFile, mentions: ["10 bytes", "too short for a header"])
  }

  @Test func aValidHeaderPrefixInAFileShorterThanOnePageIsATruncatedFile() throws {
    let (main, _) = try validDatabase()
    let errors = openFailures(main: Array(main[..<1000]))
    expect(errors, code: .corruption, mentions: ["truncated", "1000 bytes"])
    for error in errors { #expect(error.page == 0) }
  }

  // MARK: Versions

  @Test func majorVersionFourIsUnsupportedAndSaysItIsNewer() throws {
    let (main, wal) = try validDatabase()
    let errors = openFailures(main: patched(main, u16: 4, at: 8), wal: wal)
    expect(errors, code: .unsupportedVersion, mentions: ["format 4.\(DatabaseHeader.currentMinor)", "newer", "upgrade"])
  }

  @Test func majorVersionTwoIsADevelopmentFormatWithAnOlderAdjacencyLayout() throws {
    let (main, wal) = try validDatabase()
    let errors = openFailures(main: patched(main, u16: 2, at: 8), wal: wal)
    expect(
      errors, code: .unsupportedVersion,
      mentions: ["format 2.\(DatabaseHeader.currentMinor)", "development build", "adjacency", "export"])
  }

  @Test func majorVersionOneIsALegacyFile() throws {
    let (main, wal) = try validDatabase()
    let errors = openFailures(main: patched(main, u16: 1, at: 8), wal: wal)
    expect(errors, code: .legacyFormat, mentions: ["Sombra 0.x", "format 1.\(DatabaseHeader.currentMinor)", "legacy reader"])
  }

  @Test func theRealSombra020SampleIsReportedAsLegacyAndLeftByteIdentical() throws {
    let main = try Self.fixture("empty-v0.2.0.db")
    let wal = try Self.fixture("empty-v0.2.0.db.wal")
    #expect(main.count == 8192 && wal.count == 32)
    let errors = openFailures(main: main, wal: wal)
    expect(errors, code: .legacyFormat, mentions: ["format 1.1", "migrate"])
  }

  // MARK: Geometry and checksums

  @Test func aPageSizeThatIsNotAPowerOfTwoIsCorruptionNamingIt() throws {
    let (main, wal) = try validDatabase()
    let errors = openFailures(main: patched(main, u32: 5000, at: 12), wal: wal)
    expect(errors, code: .corruption, mentions: ["invalid page size 5000", "power of two"])
    for error in errors { #expect(error.page == 0 && error.offset == 12) }
  }

  @Test func aBrokenChecksumOnPageZeroIsCorruptionOfPageZero() throws {
    var (main, wal) = try validDatabase()
    main[200] ^= 0x10  // a zero byte after the roots: only the checksum notices
    let errors = openFailures(main: main, wal: wal)
    expect(errors, code: .corruption, mentions: ["page 0", "fails its checksum"])
    for error in errors {
      #expect(error.page == 0)
      #expect(error.offset == 4092)
    }
  }

  @Test func aMainFileMissingAPageThatIsNotInTheWALIsTruncated() throws {
    let (main, wal) = try validDatabase(keys: 6)
    #expect(main.count == 8 * 4096, "header, directory and six data pages")
    let errors = openFailures(main: Array(main[..<(4 * 4096 + 100)]), wal: wal)
    expect(errors, code: .corruption, mentions: ["truncated", "page 4 is in neither the file nor the WAL"])
    for error in errors { #expect(error.page == 4) }
  }

  @Test func aWALForAnotherPageSizeIsCorruptionNamingTheWAL() throws {
    let (main, _) = try validDatabase()
    let foreign = WALHeader(pageSize: 8192, sequence: 0, salt1: 1, salt2: 2).encode()
    let errors = openFailures(main: main, wal: foreign)
    expect(errors, code: .corruption, mentions: ["WAL", "8192-byte pages", "4096-byte pages"])
    for error in errors { #expect(error.path == walPath) }
  }

  // MARK: Missing files

  @Test func aReadOnlyOpenOfAMissingFileIsNotFoundAndCreatesNothing() {
    #expect {
      try Database.open(path, options: .readOnly, storage: disk)
    } throws: { ($0 as? SombraError)?.code == .notFound }
    #expect(!disk.exists(path) && !disk.exists(walPath))
    #expect(disk.operations == 0)
  }

  // MARK: Real files

  @Test func onRealFilesTextAndLegacyFilesFailAndStayByteIdentical() throws {
    let dir = try ScratchDirectory()
    let cases: [(name: String, main: [UInt8], wal: [UInt8]?, code: SombraError.Code, mention: String)] = [
      ("text.db", Self.randomText, nil, .notASombraFile, Self.randomTextStart),
      (
        "empty-v0.2.0.db", try Self.fixture("empty-v0.2.0.db"), try Self.fixture("empty-v0.2.0.db.wal"), .legacyFormat,
        "format 1.1"
      ),
    ]
    for c in cases {
      let file = dir.path + "/" + c.name
      writeFile(file, c.main)
      if let wal = c.wal { writeFile(file + ".wal", wal) }
      for options in [OpenOptions.readOnly, OpenOptions()] {
        let mode = options.readOnly ? "read-only" : "read-write"
        if c.wal == nil { unlink(file + ".wal") }
        #expect("\(c.name) \(mode)") {
          _ = try Database.open(file, options: options)
        } throws: { error in
          guard let e = error as? SombraError else { return false }
          return e.code == c.code && e.message.contains(c.mention) && e.path == file
        }
        #expect(fileBytes(file) == c.main, "\(c.name): \(mode) open changed the main file")
        if let wal = c.wal {
          #expect(fileBytes(file + ".wal") == wal, "\(c.name): \(mode) open changed the WAL")
        } else {
          #expect(!POSIXStorageSystem().exists(file + ".wal"), "\(c.name): \(mode) open created a WAL")
        }
      }
    }
  }

  @Test func theCheckedInLegacyFixtureItselfStaysByteIdenticalAfterAReadOnlyOpen() throws {
    let main = try Self.fixture("empty-v0.2.0.db")
    let wal = try Self.fixture("empty-v0.2.0.db.wal")
    let file = Self.fixturePath("empty-v0.2.0.db")
    #expect {
      _ = try Database.open(file, options: .readOnly)
    } throws: { ($0 as? SombraError)?.code == .legacyFormat }
    #expect(try Self.fixture("empty-v0.2.0.db") == main)
    #expect(try Self.fixture("empty-v0.2.0.db.wal") == wal)
  }

  @Test func onRealFilesAReadOnlyOpenOfAMissingFileIsNotFoundAndCreatesNothing() throws {
    let dir = try ScratchDirectory()
    let file = dir.path + "/missing.sombra"
    #expect {
      _ = try Database.open(file, options: .readOnly)
    } throws: { ($0 as? SombraError)?.code == .notFound }
    #expect(!POSIXStorageSystem().exists(file))
    #expect(!POSIXStorageSystem().exists(file + ".wal"))
  }

  // MARK: Fixtures

  /// `Fixtures/legacy/NAME` of this repository, found from this file's path
  /// (…/Tests/SombraCoreTests/OpenErrorTests.swift → the repository root).
  static func fixturePath(_ name: String, filePath: String = #filePath) -> String {
    var parts = filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/Fixtures/legacy/" + name
  }

  static func fixture(_ name: String) throws -> [UInt8] {
    let path = fixturePath(name)
    guard let bytes = fileBytes(path) else { throw SombraError(.notFound, "cannot read the fixture", path: path) }
    return bytes
  }
}
