import SombraTestSupport
import Synchronization
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// `SombraError`: codes that client code can switch over safely (an open set
/// with stable raw strings), the cause a poisoned handle's error carries, and
/// where corruption errors say the damage is.
@Suite struct SombraErrorTests {
  // MARK: Codes

  /// What a client that knows only some codes does with each: a `switch` that
  /// ends in `default:`, as the documentation says to write it.
  static func action(for code: SombraError.Code) -> String {
    switch code {
    case .locked, .busy: "retry"
    case .poisoned: "reopen"
    case .corruption: "verify"
    default: "report"
    }
  }

  @Test func everyRawStringIsTheOneJSONAndTheDocumentationCarry() {
    let expected: [(SombraError.Code, String)] = [
      (.io, "io"), (.corruption, "corruption"), (.notASombraFile, "notASombraFile"),
      (.unsupportedVersion, "unsupportedVersion"), (.legacyFormat, "legacyFormat"), (.locked, "locked"),
      (.poisoned, "poisoned"), (.limitExceeded, "limitExceeded"), (.invalidArgument, "invalidArgument"),
      (.notFound, "notFound"), (.misuse, "misuse"), (.busy, "busy"), (.timeout, "timeout"),
    ]
    #expect(SombraError.Code.allCases.map(\.rawValue) == expected.map(\.1))
    for (code, raw) in expected {
      #expect(code.rawValue == raw)
      #expect("\(code)" == raw)
    }
  }

  @Test func aCodeRoundTripsThroughItsRawString() {
    for code in SombraError.Code.allCases {
      #expect(SombraError.Code(rawValue: code.rawValue) == code)
    }
    #expect(Set(SombraError.Code.allCases).count == SombraError.Code.allCases.count)
    let literal: SombraError.Code = "locked"
    #expect(literal == .locked)
    #expect(SombraError.Code(rawValue: "Locked") != .locked)
  }

  @Test func aSwitchWithDefaultTakesCodesItDoesNotKnow() {
    #expect(Self.action(for: .locked) == "retry")
    #expect(Self.action(for: .busy) == "retry")
    #expect(Self.action(for: .poisoned) == "reopen")
    #expect(Self.action(for: .corruption) == "verify")
    #expect(Self.action(for: .timeout) == "report")
    // A code a later release might add: not one of this build's, still handled.
    let future = SombraError.Code(rawValue: "diskFull")
    #expect(!SombraError.Code.allCases.contains(future))
    #expect(Self.action(for: future) == "report")
    #expect(SombraError(future, "x").code.rawValue == "diskFull")
  }

  @Test func aCodeMatchesAnErrorInCatchClausesAndCases() {
    func caught(_ error: any Error) -> String {
      do {
        throw error
      } catch SombraError.Code.busy {
        return "busy"
      } catch let error as SombraError where error.code == .locked {
        return "locked"
      } catch {
        return "other"
      }
    }
    #expect(caught(SombraError(.busy, "readers are active")) == "busy")
    #expect(caught(SombraError(.locked, "held")) == "locked")
    #expect(caught(SombraError(.io, "failed")) == "other")
    #expect(caught(CancellationError()) == "other")

    let error: any Error = SombraError(.timeout, "too long")
    let matched: Bool
    switch error {
    case SombraError.Code.timeout: matched = true
    default: matched = false
    }
    #expect(matched)
    #expect(SombraError.Code.timeout ~= error)
    #expect(!(SombraError.Code.busy ~= error))
    #expect(!(SombraError.Code.timeout ~= CancellationError()))
  }

  @Test func aCauseIsPartOfTheErrorButNotOfItsDescription() {
    let failure = SombraError.io("fdatasync", errno: EIO, path: "/db/a.sombra.wal")
    let poisoned = SombraError(.poisoned, "reopen", path: "/db/a.sombra", cause: failure)
    #expect(poisoned.cause == failure)
    #expect(poisoned.cause?.cause == nil)
    #expect(poisoned != SombraError(.poisoned, "reopen", path: "/db/a.sombra"))
    #expect(poisoned == SombraError(.poisoned, "reopen", path: "/db/a.sombra", cause: failure))
    #expect(poisoned.description == "reopen [/db/a.sombra]")
    var changed = poisoned
    changed.cause = nil
    #expect(changed.cause == nil)
  }

  // MARK: A poisoned handle

  /// The WAL sync of the second commit fails: that commit throws the `io`
  /// error, and every later call, the close included, throws `poisoned` with
  /// that error as its cause and its system call and path in the message.
  @Test func aPoisonedHandlesErrorNamesTheFailedSyncAsItsCause() throws {
    let disk = SimulatedDisk()
    let path = "/db/poisoned.sombra"
    let db = try Database.open(path, options: OpenOptions(), storage: disk)
    _ = try db.write { try $0.createNode(labels: ["First"]) }
    disk.beforeSync = { [disk] file in
      guard file.hasSuffix(".wal") else { return }
      // The sync about to run is the next operation.
      disk.inject(.syncFailure, atOperation: disk.operations + 1)
      disk.beforeSync = nil
    }
    let failure = try #require(#expect(throws: SombraError.self) { try db.write { _ = try $0.createNode(labels: ["Second"]) } })
    #expect(failure.code == .io)
    #expect(failure.syscall == "fdatasync")
    #expect(failure.errno == EIO)
    #expect(failure.path == path + ".wal")
    #expect(db.isPoisoned)

    for call in ["read", "write"] {
      let later = #expect(throws: SombraError.self) {
        if call == "read" { try db.read { _ in } } else { try db.write { _ = try $0.createNode(labels: ["Third"]) } }
      }
      #expect(later?.code == .poisoned, "\(call)")
      #expect(later?.cause == failure, "\(call)")
      #expect(later?.path == path, "\(call)")
      #expect(later?.message.contains("fdatasync") == true, "\(call): \(later?.message ?? "")")
      #expect(later?.message.contains(path + ".wal") == true, "\(call): \(later?.message ?? "")")
    }
    let closing = #expect(throws: SombraError.self) { try db.close() }
    #expect(closing?.code == .poisoned)
    #expect(closing?.cause == failure)
    #expect(closing?.message.contains("fdatasync") == true, "\(closing?.message ?? "")")
  }

  // MARK: Where corruption is

  static let marker = "corruption-marker-4d1f"

  /// A closed database holding one node whose property is `marker`, its main
  /// file (every page checkpointed into it) and where the marker's bytes are.
  static func databaseWithMarker() throws -> (bytes: [UInt8], node: NodeID, page: Int, offsetInPage: Int) {
    let disk = SimulatedDisk()
    let db = try Database.open("/db/source.sombra", options: OpenOptions(), storage: disk)
    let node = try db.write { try $0.createNode(labels: ["Marked"], properties: ["text": .string(marker)]) }
    try db.close()
    let bytes = try #require(disk.contents("/db/source.sombra"))
    let needle = Array(marker.utf8)
    let at = try #require(bytes.indices.first { bytes[$0..<min(bytes.count, $0 + needle.count)].elementsEqual(needle) })
    let pageSize = OpenOptions().pageSize
    return (bytes, node, at / pageSize, at % pageSize)
  }

  static func open(_ bytes: [UInt8]) throws -> Database {
    let disk = SimulatedDisk()
    disk.setContents("/db/damaged.sombra", bytes)
    return try Database.open("/db/damaged.sombra", options: .readOnly, storage: disk)
  }

  @Test func aPageThatFailsItsChecksumNamesItsPageAndTheTrailersOffset() throws {
    let (original, node, page, at) = try Self.databaseWithMarker()
    var bytes = original
    let pageSize = OpenOptions().pageSize
    bytes[page * pageSize + at] ^= 0x01
    let db = try Self.open(bytes)
    defer { try? db.close() }
    let error = #expect(throws: SombraError.self) { try db.read { try $0.node(node) } }
    #expect(error?.code == .corruption)
    #expect(error?.page == UInt32(page))
    #expect(error?.offset == UInt64(pageSize - PageLayout.trailerSize))
    #expect(error?.path == "/db/damaged.sombra")
    #expect(error?.message.contains("fails its checksum") == true, "\(error?.message ?? "")")
  }

  /// The page is sealed again after the damage, so it passes its checks and
  /// the record itself is what fails: the error names the leaf and where in it
  /// the bad string starts.
  @Test func aRecordThatDoesNotDecodeNamesItsLeafAndTheOffsetInIt() throws {
    let (original, node, page, at) = try Self.databaseWithMarker()
    var bytes = original
    let pageSize = OpenOptions().pageSize
    bytes[page * pageSize + at] = 0xFF
    bytes.withUnsafeMutableBytes {
      PageLayout.seal(UnsafeMutableRawBufferPointer(rebasing: $0[page * pageSize..<(page + 1) * pageSize]))
    }
    let db = try Self.open(bytes)
    defer { try? db.close() }
    for way in ["lookup", "scan"] {
      let error = #expect(throws: SombraError.self) {
        if way == "lookup" { _ = try db.read { try $0.node(node) } } else { try db.read { try $0.forEachNode { _ in true } } }
      }
      #expect(error?.code == .corruption, "\(way)")
      #expect(error?.page == UInt32(page), "\(way)")
      #expect(error?.offset == UInt64(at), "\(way)")
      #expect(error?.message.contains("invalid UTF-8") == true, "\(way): \(error?.message ?? "")")
    }
  }

  /// A sync had covered the damaged frame (a later commit says so): the
  /// refusal names the WAL and the frame's offset in it.
  @Test func aDamagedWALFrameIsRefusedWithItsOffsetInTheWAL() throws {
    let path = "/db/wal.sombra"
    let disk = SimulatedDisk()
    let db = try Database.open(path, options: OpenOptions(), storage: disk)
    for label in ["A", "B", "C", "D"] { _ = try db.write { try $0.createNode(labels: [label]) } }
    let main = try #require(disk.contents(path))
    let wal = try #require(disk.contents(path + ".wal"))
    try db.close()

    let frames = try WALDamageTests.frames(wal)
    let transaction = try #require(frames.first?.transaction)
    let damaged = try WALDamageTests.damaging(wal, transaction: transaction)
    let frame = try #require(frames.firstIndex { $0.transaction == transaction })
    let refusal = #expect(throws: SombraError.self) {
      try Database.open(path, options: OpenOptions(), storage: WALDamageTests.disk(main: main, wal: damaged, at: path))
    }
    #expect(refusal?.code == .corruption)
    #expect(refusal?.path == path + ".wal")
    #expect(refusal?.page == nil)
    #expect(refusal?.offset == WALFormat.frameOffset(frame, pageSize: OpenOptions().pageSize))
    #expect(refusal?.message.contains("WAL frame \(frame) is damaged") == true, "\(refusal?.message ?? "")")
  }
}
