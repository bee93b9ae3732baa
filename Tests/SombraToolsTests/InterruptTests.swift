import Glibc
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

/// Ctrl-C in the batch tools: exit 130 and `TOOL: interrupted`, simulated by
/// an `isInterrupted` that answers yes from its Nth question on (the SIGINT
/// handler of `handleInterrupts` only sets the flag it reads).
@Suite struct InterruptTests {
  /// Says yes from the `from`th time it is asked; counts the questions.
  final class Trigger {
    let from: Int
    var asked = 0
    init(from: Int) { self.from = from }
    func ask() -> Bool {
      asked += 1
      return asked >= from
    }
  }

  func interruptible(_ trigger: Trigger) -> (ToolContext, MemoryOutput, MemoryOutput) {
    var (context, out, err) = ToolContext.capturing(InspectFixture.environment)
    context.isInterrupted = trigger.ask
    return (context, out, err)
  }

  @Test func verifyStopsAtTheFirstProgressStepAndExits130() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let trigger = Trigger(from: 1)
    let (context, out, err) = interruptible(trigger)
    let status = SombraVerify.main([path], context: context)
    #expect(status == .interrupted)
    #expect(status.rawValue == 130)
    #expect(out.text == "")
    #expect(err.text == "sombra-verify: interrupted\n")
    #expect(trigger.asked == 1)
  }

  @Test func verifyInterruptedInAnyPhaseExits130WithOneLine() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    // Count the questions of a run that is never stopped, then stop at each.
    let counter = Trigger(from: Int.max)
    let (context, _, _) = interruptible(counter)
    #expect(SombraVerify.main([path], context: context) == .success)
    #expect(counter.asked > 3)
    for n in 1...counter.asked {
      let (context, out, err) = interruptible(Trigger(from: n))
      #expect(SombraVerify.main([path], context: context) == .interrupted, "stopped at question \(n)")
      #expect(out.text == "")
      #expect(err.text == "sombra-verify: interrupted\n")
    }
  }

  @Test func databaseVerifyThrowsVerifyInterruptedWhenToldToStop() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let db = try Database.open(path, options: .readOnly)
    defer { try? db.close() }
    #expect(throws: VerifyInterrupted.self) { try db.verify(VerifyOptions(), progress: nil, shouldStop: { true }) }
    #expect(try db.verify(VerifyOptions(), progress: nil, shouldStop: { false }).isClean)
  }

  @Test func inspectStatsAndPagesExit130WhenInterrupted() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    for command in [["stats"], ["stats", "--json"], ["pages"]] {
      let (context, out, err) = interruptible(Trigger(from: 1))
      #expect(SombraInspect.main([path] + command, context: context) == .interrupted)
      #expect(out.text == "")
      #expect(err.text == "sombra-inspect: interrupted\n")
    }
  }

  @Test func anInterruptedVacuumLeavesTheDatabaseIntactAndVerifiable() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try RepairFixture.makeGraphWithGarbage(at: path)
    let before = try RepairFixture.dump(path)
    let bytes = fileBytes(path)
    // Every safe point of vacuum: stop at the first, second, ... question.
    var n = 1
    while true {
      let trigger = Trigger(from: n)
      var (context, out, err) = ToolContext.capturing(InspectFixture.environment)
      context.isInterrupted = trigger.ask
      let status = SombraRepair.run([path, "vacuum", "--yes"], context: context, timestamp: { RepairFixture.stamp })
      if status == .success { break }
      #expect(status == .interrupted, "stopped at question \(n)")
      #expect(out.text == "")
      #expect(err.text == "sombra-repair: interrupted\n")
      // Before the exclusive open not a byte changes; later the checkpoint and
      // close may rewrite the header, but every record stays.
      if n == 1 { #expect(fileBytes(path) == bytes) }
      let now = try RepairFixture.dump(path)
      #expect(now.nodes == before.nodes && now.edges == before.edges, "stopped at question \(n)")
      #expect(dir.entries().allSatisfy { !$0.contains("vacuum-tmp") && !$0.contains("backup") }, "\(dir.entries())")
      let db = try Database.open(path, options: .readOnly)
      #expect(try db.verify().isClean)
      try db.close()
      n += 1
      #expect(n < 20)
      if n >= 20 { break }
    }
    #expect(n == 5)  // confirmation, step 1, step 4, step 5
    let after = try RepairFixture.dump(path)
    #expect(after.nodes == before.nodes)
    #expect(after.edges == before.edges)
  }

  @Test func anInterruptedRebuildOrSalvageChangesNothing() throws {
    let dir = try ScratchDirectory(prefix: "sombra-repair")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let bytes = fileBytes(path)
    for arguments in [
      [path, "rebuild-indexes", "--yes", "--no-backup"], [path, "salvage", "--yes", "-o", dir.file("new.sombra")],
      [path, "checkpoint", "--yes"],
    ] {
      var (context, out, err) = ToolContext.capturing(InspectFixture.environment)
      context.isInterrupted = { true }
      #expect(SombraRepair.run(arguments, context: context, timestamp: { RepairFixture.stamp }) == .interrupted)
      #expect(out.text == "")
      #expect(err.text == "sombra-repair: interrupted\n")
      #expect(fileBytes(path) == bytes)
      #expect(dir.entries() == ["g.sombra"] || dir.entries() == ["g.sombra", "g.sombra.wal"], "\(dir.entries())")
    }
  }
}
