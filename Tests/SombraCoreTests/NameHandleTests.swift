import SombraTestSupport
import Testing

@testable import SombraCore

@Suite struct NameHandleTests {
  let disk = SimulatedDisk()

  func open(_ name: String = "graph") throws -> Database {
    var options = OpenOptions()
    options.pageSize = 4096
    return try Database.open("/db/\(name).sombra", options: options, storage: disk)
  }

  func code(_ error: any Error) -> SombraError.Code? { (error as? SombraError)?.code }

  @Test func nodesCreatedWithHandlesEqualNodesCreatedWithNames() throws {
    let byName = try open("names")
    let byHandle = try open("handles")
    let rows: [(label: String, name: String, born: Int64)] = (0..<300).map { (["Person", "Robot"][$0 % 2], "n\($0)", Int64($0)) }
    try byName.write { tx in
      for row in rows {
        try tx.createNode(
          labels: [row.label, "Thing"], properties: ["name": .string(row.name), "born": .int(row.born), "tags": ["a", 1]])
      }
    }
    try byHandle.write { tx in
      let (born, name, tags) = (try tx.propertyKey("born"), try tx.propertyKey("name"), try tx.propertyKey("tags"))
      let thing = try tx.nodeLabel("Thing")
      for row in rows {
        let label = try tx.nodeLabel(row.label)
        try tx.createNode(
          labels: [label, thing, label], properties: [name: .string(row.name), tags: ["a", 1], born: .int(row.born)])
      }
    }
    func dump(_ db: Database) throws -> [Node?] { try db.read { tx in try (1...NodeID(rows.count)).map { try tx.node($0) } } }
    #expect(try dump(byHandle) == dump(byName))
    let (second, robots, things, total) = try byHandle.read { tx in
      (try tx.node(2), try tx.nodeIDs(label: "Robot"), try tx.count(label: "Thing"), try tx.nodeCount)
    }
    #expect(second == Node(id: 2, labels: ["Robot", "Thing"], properties: ["name": "n1", "born": 1, "tags": ["a", 1]]))
    #expect(robots == Array(stride(from: NodeID(2), through: 300, by: 2)))
    #expect(things == 300 && total == 300)
    #expect(try byHandle.verify().isClean)
  }

  @Test func handlesOfACommittedTransactionServeLaterOnes() throws {
    let db = try open()
    let (person, name) = try db.write { tx in (try tx.nodeLabel("Person"), try tx.propertyKey("name")) }
    let ada = try db.write { tx in try tx.createNode(labels: [person], properties: [name: "Ada"]) }
    let node = try db.read { tx in try tx.node(ada) }
    #expect(node == Node(id: ada, labels: ["Person"], properties: ["name": "Ada"]))
  }

  @Test func handlesOfARolledBackTransactionAreMisuse() throws {
    let db = try open()
    let tx = try db.beginWrite()
    let (robot, serial) = (try tx.nodeLabel("Robot"), try tx.propertyKey("serial"))
    try tx.rollback()
    try db.write { tx in
      #expect { try tx.createNode(labels: [robot], properties: [:]) } throws: { code($0) == .misuse }
      #expect { try tx.createNode(labels: [], properties: [serial: 7]) } throws: { code($0) == .misuse }
      // Key id 1 now names "other", so the old "serial" handle stays refused;
      // "Robot" named again gets its old id back, and both of its handles hold.
      let other = try tx.propertyKey("other")
      let again = try tx.nodeLabel("Robot")
      #expect { try tx.createNode(labels: [again], properties: [serial: 7]) } throws: { code($0) == .misuse }
      let id = try tx.createNode(labels: [again, robot], properties: [other: 7])
      let node = try tx.node(id)
      #expect(id == 1 && node == Node(id: 1, labels: ["Robot"], properties: ["other": 7]))
    }
  }

  @Test func aHandleOfAnotherDatabaseIsMisuse() throws {
    let first = try open("first")
    let second = try open("second")
    try second.write { tx in _ = try tx.nodeLabel("Other") }
    let label = try first.write { tx in try tx.nodeLabel("Person") }
    try second.write { tx in
      #expect { try tx.createNode(labels: [label], properties: [:]) } throws: { code($0) == .misuse }
    }
  }

  @Test func aKeyGivenTwiceOrAnUnstorableValueIsRefusedAndChangesNothing() throws {
    let db = try open()
    try db.write { tx in
      let (name, tags) = (try tx.propertyKey("name"), try tx.propertyKey("tags"))
      #expect { try tx.createNode(labels: [], properties: [name: "a", tags: 1, name: "b"]) } throws: {
        code($0) == .invalidArgument && ($0 as? SombraError)?.message.contains("'name' is given twice") == true
      }
      #expect { try tx.createNode(labels: [], properties: [tags: [["nested"]]]) } throws: { code($0) == .invalidArgument }
      let count = try tx.nodeCount
      let id = try tx.createNode(labels: [], properties: [name: "ok"])
      #expect(count == 0 && id == 1)
    }
  }

  @Test func emptyOrOversizedNamesAreRefused() throws {
    let db = try open()
    try db.write { tx in
      #expect { try tx.nodeLabel("") } throws: { code($0) == .invalidArgument }
      #expect { try tx.propertyKey(String(repeating: "k", count: CatalogKey.maximumNameBytes + 1)) } throws: {
        code($0) == .invalidArgument
      }
    }
  }

  @Test func handlesCompareByNameAndID() throws {
    let db = try open()
    let (a, b) = try db.write { tx in (try tx.nodeLabel("A"), try tx.nodeLabel("A")) }
    let c = try db.write { tx in try tx.nodeLabel("A") }
    #expect(a == b && b == c)
    #expect(Set([a, b, c]).count == 1)
    #expect(a.name == "A" && a.description == "A")
    let key = try db.write { tx in try tx.propertyKey("k") }
    #expect(key.name == "k" && "\(key)" == "k")
  }
}
