import SombraCore
import SombraTestSupport
import Testing

/// Counters in page 0 come from the file: a damaged or forged header whose
/// change counter or lifetime facts sit at the top of their range gives an
/// error or a count that stops, never a trap.
@Suite struct HeaderCounterLimitTests {
  /// Rewrites page 0 of `path` on `disk` through `change`, resealing its CRC.
  static func rewriteHeader(_ disk: SimulatedDisk, _ path: String, _ change: (inout DatabaseHeader) -> Void) throws {
    var bytes = try #require(disk.contents(path))
    let pageSize = PageLayout.defaultPageSize
    var header = try bytes.withUnsafeBytes {
      try DatabaseHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<pageSize]), path: path)
    }
    change(&header)
    bytes.withUnsafeMutableBytes { all in
      let page = UnsafeMutableRawBufferPointer(rebasing: all[0..<pageSize])
      header.encode(into: page)
      PageLayout.seal(page)
    }
    disk.setContents(path, bytes)
  }

  @Test func aChangeCounterAtItsLargestValueRefusesTheNextCommitAndLifetimeFactsStopAtTheTop() throws {
    // Used to trap: `changeCounter + 1` and `lifetime.commits += 1` on values
    // read from page 0.
    let disk = SimulatedDisk()
    let path = "/db/top.sombra"
    var options = OpenOptions()
    options.autoCheckpointInterval = nil
    try Database.open(path, options: options, storage: disk).close()
    try Self.rewriteHeader(disk, path) { header in
      header.changeCounter = UInt64.max - 3
      header.lifetime = LifetimeFacts(
        commits: .max, checkpoints: .max, lastCheckpointTime: 1, uncleanShutdowns: .max, corruptionEvents: .max)
    }
    let database = try Database.open(path, options: options, storage: disk)
    // The open may itself commit (it marks the session); commits go on until
    // the counter reaches the top, and the one after is refused.
    var committed = 0
    var refused: SombraError?
    for _ in 0..<5 where refused == nil {
      do {
        _ = try database.write { try $0.createNode(labels: ["Last"]) }
        committed += 1
      } catch let error as SombraError {
        refused = error
      }
    }
    #expect(committed >= 1)
    #expect(refused?.code == .corruption)
    #expect(refused?.message.contains("change counter is at its largest value") == true, "\(String(describing: refused))")
    #expect(database.metrics().lifetime.commits == .max)
    _ = try database.checkpoint(.truncate)
    #expect(database.metrics().lifetime.checkpoints == .max)
    // Closing commits the clean-shutdown flag, which cannot follow either: the
    // close says so, still lets the file go, and nothing committed is lost.
    let closing = #expect(throws: SombraError.self) { try database.close() }
    #expect(closing?.message.contains("change counter is at its largest value") == true, "\(String(describing: closing))")
    options.readOnly = true
    let reopened = try Database.open(path, options: options, storage: disk)
    defer { try? reopened.close() }
    #expect(try reopened.read { try $0.nodeIDs(label: "Last").count } == committed)
  }
}
