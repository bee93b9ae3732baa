import SombraTestSupport
import Testing

@testable import SombraCore

/// The per-database table of committed names, and what write transactions
/// teach it (`Catalog.swift`: `NameTable`, `RecentNames`).
@Suite struct NameTableTests {
  let disk = SimulatedDisk()

  func open() throws -> Database {
    var options = OpenOptions()
    options.pageSize = 4096
    return try Database.open("/db/names.sombra", options: options, storage: disk)
  }

  /// A database reopened with the label "Person", the key "name" and the type "KNOWS".
  func reopenedWithNames() throws -> Database {
    let db = try open()
    try db.write { tx in
      let a = try tx.createNode(labels: ["Person"], properties: ["name": "Ada"])
      try tx.createEdge(from: a, to: a, type: "KNOWS")
    }
    try db.close()
    return try open()
  }

  @Test func aCommittedWriteTransactionSharesTheNamesItFoundInTheCatalog() throws {
    let db = try reopenedWithNames()
    #expect(db.names.id(.label, "Person") == nil)  // nothing read yet
    let tx = try db.beginWrite()
    let node = try tx.createNode(labels: ["Person"], properties: ["name": "Charles"])
    try tx.createEdge(from: node, to: 1, type: "KNOWS")
    // Found in the writer's tree: not shared before the commit.
    #expect(db.names.id(.label, "Person") == nil)
    try tx.commit()
    #expect(db.names.id(.label, "Person") == 1)
    #expect(db.names.id(.key, "name") == 1)
    #expect(db.names.id(.type, "KNOWS") == 1)
    #expect(db.names.name(.label, 1) == "Person")
    try db.read { tx throws in #expect(try tx.count(label: "Person") == 2) }
  }

  @Test func aRolledBackWriteTransactionSharesNoName() throws {
    let db = try reopenedWithNames()
    let tx = try db.beginWrite()
    try tx.createNode(labels: ["Person", "Robot"], properties: ["name": "R2", "model": "astromech"])
    try tx.rollback()
    #expect(db.names.id(.label, "Robot") == nil)
    #expect(db.names.id(.key, "model") == nil)
    #expect(db.names.id(.label, "Person") == nil)
    // The next transaction gets the ids afresh: "Robot" is label 2 again.
    let robot = try db.write { tx in try tx.nodeLabel("Robot") }
    #expect(robot.id == 2)
  }

  @Test func theNextWriteTransactionStartsWithTheRecentNamesOfTheLastCommit() throws {
    let db = try reopenedWithNames()
    var before = db.names.committedRecentNames()
    #expect(before.id(.label, "Person") == nil)
    try db.write { tx in try tx.createNode(labels: ["Person"], properties: ["name": "Charles"]) }
    var recent = db.names.committedRecentNames()
    #expect(recent.id(.label, "Person") == 1)
    #expect(recent.id(.key, "name") == 1)
    let tx = try db.beginWrite()
    #expect(tx.recentNames.id(.label, "Person") == 1)
    try tx.rollback()
  }

  @Test func recentNamesOfARolledBackTransactionAreNotHandedOn() throws {
    let db = try reopenedWithNames()
    try db.write { tx in try tx.createNode(labels: ["Person"]) }
    let tx = try db.beginWrite()
    try tx.createNode(labels: ["Ghost"], properties: ["boo": true])
    try tx.rollback()
    var recent = db.names.committedRecentNames()
    #expect(recent.id(.label, "Ghost") == nil)
    #expect(recent.id(.key, "boo") == nil)
    #expect(recent.id(.label, "Person") == 1)
    // A new "Ghost" gets a fresh id and is named correctly.
    let ghost = try db.write { tx in try tx.createNode(labels: ["Ghost"]) }
    try db.read { tx throws in #expect(try tx.node(ghost)?.labels == ["Ghost"]) }
  }

  @Test func namesCreatedInACommittedTransactionAreFoundByTheNextOnes() throws {
    let db = try open()
    for i in 0..<40 {
      try db.write { tx in
        try tx.createNode(labels: ["L\(i % 20)"], properties: ["k\(i % 7)": .int(Int64(i))])
      }
    }
    try db.read { tx throws in
      for i in 0..<20 { #expect(try tx.count(label: "L\(i)") == 2) }
      #expect(try tx.nodeCount == 40)
    }
    #expect(try db.verify().problems == [])
  }
}
