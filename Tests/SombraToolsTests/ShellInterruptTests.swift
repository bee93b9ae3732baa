import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

/// Ctrl-C during a running command: the command stops, an open transaction
/// is rolled back, and the shell goes on (the interrupt flag is what the
/// SIGINT handler of the interactive loop sets).
@Suite struct ShellInterruptTests {
  @Test func anInterruptedCommandRollsBackTheTransactionAndTheShellGoesOn() throws {
    let scratch = try ScratchDirectory(prefix: "sombra-shell")
    let path = scratch.file("g.sombra")
    let db = try Database.open(path)
    try db.write { tx in for i in 0..<3000 { try tx.createNode(labels: ["N"], properties: ["i": .int(Int64(i))]) } }
    try db.close()

    let (context, out, err) = ToolContext.capturing(["COLUMNS": "80", "NO_COLOR": "1"])
    let session = try ShellSession(path: path, readOnly: false, context: context)
    defer { session.close() }
    var polls = 0
    session.isInterrupted = {
      polls += 1
      return polls >= 2  // Ctrl-C arrives while the scan is under way
    }
    try session.run("begin")
    try session.run("create node :Temp {}")
    #expect(session.inTransaction)
    #expect(throws: ShellInterrupted.self) { try session.run("nodes :N WHERE i >= 0 LIMIT 100000") }
    #expect(err.text.hasSuffix("interrupted: the transaction was rolled back\n"))
    #expect(!session.inTransaction)
    #expect(polls >= 2)

    session.isInterrupted = { false }
    let before = out.text.count
    try session.run("count :Temp")
    let temp = String(out.text.dropFirst(before))
    try session.run("count :N")
    let all = String(out.text.dropFirst(before + temp.count))
    #expect(temp.contains("0") && !temp.contains("1"), "the node created in the interrupted transaction is gone: \(temp)")
    #expect(all.contains("3000"))
  }
}
