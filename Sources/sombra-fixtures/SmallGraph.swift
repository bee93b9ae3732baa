import SombraCore

/// The small graph every fixture starts from (`valid/small.sombra`):
///
/// - index on Person(name);
/// - 8 Person nodes (Alice ... Heidi) with `name` and `age`; Alice is also Admin;
/// - 3 City nodes: Paris, Oslo (residents 1-4 and 5-7) and Lima (only Heidi);
/// - 56 KNOWS edges (every person knows every other, `since`, and a `note`
///   long enough that the edges tree has an interior root over two leaves: the
///   child-cycle fixture needs one) and 8 LIVES_IN edges;
/// - node 12, made with a 2000-byte `blob` (an overflow page) and then deleted:
///   an id gap and one page on the free list.
///
/// 4096-byte pages; ten pages in all (40960 bytes). Everything is fixed: the
/// same calls make the same bytes on every run (see `make` for the one thing
/// that takes care).
enum SmallGraph {
  static let people = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"]
  static let cities = ["Paris", "Oslo", "Lima"]
  /// Node ids as created: people 1...8, cities 9...11, the deleted node 12.
  static let lima: NodeID = 11
  static let deletedNode: NodeID = 12

  static var options: OpenOptions {
    var options = OpenOptions()
    options.pageSize = FixtureGenerator.pageSize
    options.sync = .off  // durability does not change a byte of the result
    // Reproducible bytes: a fixed checkpoint time (2026-01-01) and no checkpoint
    // that depends on how long the generator takes.
    options.wallClock = { 1_767_225_600 }
    options.autoCheckpointInterval = nil
    options.newDatabaseID = 0x5EED_0000_DB1D_0001
    return options
  }

  /// Creates the graph at `path` (which must not exist) and closes it cleanly.
  ///
  /// The transactions are cut so that none adds two catalog entries whose order
  /// the engine takes from a `Dictionary` (new property keys of one
  /// `properties` argument are named in its iteration order; count changes are
  /// written at commit in `countDeltas` order), because that order changes from
  /// process to process and with it the catalog page's bytes. So: at most one
  /// new property key per call and at most one new count per transaction; the
  /// edge total is stored (as 0) before the first edge, the way any database
  /// whose last edge was deleted stores it.
  static func make(at path: String) throws {
    let db = try Database.open(path, options: options)
    try db.write { tx in try tx.createIndex(label: "Person", key: "name") }
    // Node 1 (Alice) step by step: each new count and new key alone.
    let alice = try db.write { tx in try tx.createNode() }
    try db.write { tx in try tx.addLabels(["Person"], toNode: alice) }
    try db.write { tx in try tx.setProperties(["name": .string(people[0])], onNode: alice) }
    try db.write { tx in try tx.setProperties(["age": .int(30)], onNode: alice) }
    try db.write { tx in try tx.addLabels(["Admin"], toNode: alice) }
    // The other people (known names and counts), then the cities (new: City).
    let others = try db.write { tx in
      try people.indices.dropFirst().map { i in
        try tx.createNode(labels: ["Person"], properties: ["name": .string(people[i]), "age": .int(Int64(30 + 3 * i))])
      }
    }
    let everyone = [alice] + others
    let cities = try db.write { tx in
      try Self.cities.map { try tx.createNode(labels: ["City"], properties: ["name": .string($0)]) }
    }
    try db.write { tx in
      try BTree(root: tx.header.roots[GraphRoot.catalog.rawValue]).insert([4, 1], Damage.le64(0), in: tx.pages)
    }
    // New: type KNOWS, key since.
    try db.write { tx in
      for (i, person) in everyone.enumerated() {
        for (j, other) in everyone.enumerated() where j != i {
          try tx.createEdge(from: person, to: other, type: "KNOWS", properties: ["since": .int(Int64(2000 + i + j))])
        }
      }
    }
    // New: key note, long enough that the edges tree needs two leaves.
    try db.write { tx in
      for edge in 1...UInt64(everyone.count * (everyone.count - 1)) {
        guard let known = try tx.edge(edge) else { continue }
        guard let a = everyone.firstIndex(of: known.source), let b = everyone.firstIndex(of: known.target) else { continue }
        try tx.setProperties(["note": .string("\(people[a]) and \(people[b]) met at the Thursday reading group")], onEdge: edge)
      }
    }
    // New: type LIVES_IN. Lima has one resident, Heidi.
    try db.write { tx in
      for (i, person) in everyone.enumerated() {
        let city = i == everyone.count - 1 ? cities[2] : cities[i < 4 ? 0 : 1]
        try tx.createEdge(from: person, to: city, type: "LIVES_IN")
      }
    }
    let blob = try db.write { tx in
      try tx.createNode(properties: ["blob": .bytes([UInt8](repeating: 0xB5, count: 2000))])
    }
    try db.write { tx in try tx.deleteNode(blob) }
    try db.close()
    guard cities[2] == lima, blob == deletedNode else {
      throw SombraError.invalidArgument("the small graph's ids moved (Lima \(cities[2]), deleted node \(blob))")
    }
  }

  /// The committed transactions of `valid/wal-pending`: a new person who knows
  /// Alice, then Bob's age changed.
  static func pendingTransactions(_ db: Database) throws {
    try db.write { tx in
      let ivan = try tx.createNode(labels: ["Person"], properties: ["name": .string("Ivan"), "age": .int(40)])
      try tx.createEdge(from: ivan, to: 1, type: "KNOWS", properties: ["since": .int(2024)])
    }
    try db.write { tx in try tx.setProperties(["age": .int(34)], onNode: 2) }
  }

  /// The transaction torn off the end of `broken/torn-wal-tail`: Carol's age
  /// changed (two frames: page 0 and the nodes leaf, the commit frame).
  static func tornTransaction(_ db: Database) throws {
    try db.write { tx in try tx.setProperties(["age": .int(37)], onNode: 3) }
  }
}
