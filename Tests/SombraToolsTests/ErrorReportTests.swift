import SombraCLI
import SombraCore
import SombraTools
import Testing

@Suite struct ErrorReportTests {
  @Test func everyErrorCodeMapsToTheExitStatusOfTheContract() {
    let expected: [SombraError.Code: ExitCode] = [
      .io: .cannotOpen, .notFound: .cannotOpen, .notASombraFile: .cannotOpen, .unsupportedVersion: .cannotOpen,
      .legacyFormat: .cannotOpen, .locked: .busy, .busy: .busy, .corruption: .failure, .poisoned: .failure,
      .limitExceeded: .failure, .invalidArgument: .failure, .misuse: .failure, .timeout: .failure,
    ]
    for code in SombraError.Code.allCases {
      #expect(ErrorReport.exitCode(for: SombraError(code, "x")) == expected[code], "\(code)")
    }
  }

  @Test func aCodeThisBuildDoesNotKnowExitsWithFailureAndNoHint() {
    let error = SombraError(SombraError.Code(rawValue: "diskFull"), "a code from a later engine")
    #expect(ErrorReport.exitCode(for: error) == .failure)
    #expect(ErrorReport.hint(for: error) == nil)
    let out = MemoryOutput()
    #expect(ErrorReport.report(error, tool: "sombra-verify", to: out) == .failure)
    #expect(out.text == "sombra-verify: error: a code from a later engine\n")
  }

  @Test func aReportIsOneErrorLineAndAHintOnTheGivenStream() {
    let out = MemoryOutput()
    let status = ErrorReport.report(
      SombraError(.locked, "the database is open for writing by another process", path: "g.sombra"), tool: "sombra-verify",
      to: out)
    #expect(status == .busy)
    #expect(
      out.text == """
        sombra-verify: error: the database is open for writing by another process [g.sombra]
        sombra-verify: hint: another process has the database open for writing; retry later or raise --lock-timeout

        """)
  }

  @Test func controlCharactersInPathsAreEscaped() {
    let out = MemoryOutput()
    ErrorReport.report(SombraError(.notFound, "no such file", path: "a\u{1B}[2Jb"), tool: "t", to: out)
    #expect(out.text == "t: error: no such file [a\\u{1B}[2Jb]\n")
  }
}
