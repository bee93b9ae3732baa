import SombraCLI
import SombraTestSupport
import Testing

/// `.stats` ends with this shell's live metrics (its own handle's counters and
/// latencies), after the file's statistics.
@Suite struct ShellStatsTests {
  @Test func statsShowTheSessionsLiveMetrics() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    let run = ShellRun.run([path], script: "begin\ncreate node :B\nrollback\ncreate node :A {x: 1}\n.stats\n")
    #expect(run.status == .success, "\(run.standardError)")
    let lines = run.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let start = lines.firstIndex(of: "this session") ?? lines.count
    let session = lines[min(start + 1, lines.count)...]
    #expect(start < lines.count, "no session section: \(run.standardOutput)")
    // The open's own commit (it marks the session unclean) and the create; one rollback.
    #expect(session.contains("  transactions    2 committed, 1 rolled back"), "\(session)")
    #expect(session.contains("  checkpoints     0"))
    #expect(session.contains { $0.hasPrefix("  commit latency  2, p50 ") })
  }
}
