#if canImport(Glibc)
  import Glibc
#endif
import Synchronization
import Testing

@testable import SombraCore

/// `SombraError`: codes that client code can switch over safely (an open set
/// with stable raw strings), and the cause a poisoned handle's error carries.
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
}
