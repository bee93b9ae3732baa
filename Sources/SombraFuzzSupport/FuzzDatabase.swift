import SombraCore
import SombraTestSupport

/// The database every engine fuzz target starts from, built once per process
/// on a simulated disk: a small graph that reaches every page kind (header,
/// B-tree leaves and interiors, overflow pages, free pages), adjacency lists
/// of more than one chunk, a property index and a catalog. Targets damage a
/// copy of its bytes and hand them to the engine's own read, recovery and
/// verify paths; nothing here is a copy of engine code.
package enum FuzzDatabase {
  package static let path = "/fuzz/g.sombra"
  package static var walPath: String { path + ".wal" }

  /// The main file after a checkpoint (its WAL is empty).
  package static let checkpointed: [UInt8] = build(checkpoint: true).main

  /// The main file and its WAL as a crash leaves them when nothing was ever
  /// checkpointed: every commit is in the WAL (the main file may be empty).
  package static let withWAL: (main: [UInt8], wal: [UInt8]) = {
    let files = build(checkpoint: false)
    return (files.main, files.wal)
  }()

  private static func build(checkpoint: Bool) -> (main: [UInt8], wal: [UInt8]) {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.autoCheckpointInterval = nil
    do {
      let database = try Database.open(path, options: options, storage: disk)
      try database.write { tx in
        try tx.createIndex(label: "Person", key: "name")
        var ids: [NodeID] = []
        for index in 0..<40 {
          let properties: [String: PropertyValue] = [
            "name": .string("person \(index)"), "age": .int(Int64(index)), "score": .double(Double(index) / 3),
            "ok": .bool(index % 2 == 0), "tags": .list([.string("a"), .int(Int64(index))]),
            "raw": .bytes([UInt8](repeating: UInt8(index), count: index % 5)),
          ]
          ids.append(try tx.createNode(labels: index % 3 == 0 ? ["Person", "Admin"] : ["Person"], properties: properties))
        }
        _ = try tx.createNode(labels: ["Blob"], properties: ["text": .string(String(repeating: "long value ", count: 1500))])
        for (index, id) in ids.enumerated() {
          _ = try tx.createEdge(from: ids[0], to: id, type: "KNOWS", properties: ["w": .int(Int64(index))])
          _ = try tx.createEdge(from: id, to: ids[(index + 1) % ids.count], type: "NEXT")
        }
      }
      try database.write { tx in
        for index in 0..<120 { _ = try tx.createNode(labels: ["Temp"], properties: ["i": .int(Int64(index))]) }
      }
      try database.write { tx in
        for id in try tx.nodeIDs(label: "Temp") { try tx.deleteNode(id) }
      }
      if checkpoint { _ = try database.checkpoint(.truncate) }
      try database.write { tx in
        _ = try tx.createNode(labels: ["Late"], properties: ["name": .string("after the checkpoint")])
        try tx.setProperties(["age": .int(99)], onNode: 1)
      }
      try database.write { tx in
        _ = try tx.createEdge(from: 2, to: 3, type: "LATE")
      }
      if checkpoint {
        _ = try database.checkpoint(.truncate)
        try database.close()
        return (disk.contents(path) ?? [], [])
      }
      // What a crash leaves: the durable bytes while the handle is open (a
      // close would checkpoint the WAL away).
      let files = (disk.durableContents(path) ?? [], disk.durableContents(walPath) ?? [])
      try database.close()
      return files
    } catch {
      // Empty files: `isBuilt` is false and every engine target reports it.
      return ([], [])
    }
  }

  /// Whether both base states were built (they are made from constants; a
  /// failure is an engine defect that the targets report on their first input).
  package static var isBuilt: Bool { !checkpointed.isEmpty && !withWAL.wal.isEmpty }

  /// Opens the files on a fresh simulated disk and drives every read path:
  /// counts, every node and edge with its properties, labels, index lookups,
  /// traversals, then a graph-level verify; read-write opens also write and
  /// checkpoint. Errors are expected (the files are damaged); a trap, a
  /// sanitizer report or a hang is the defect. Returns the verify report when
  /// the open succeeded (taken before any write of this function).
  @discardableResult
  package static func exercise(main: [UInt8], wal: [UInt8]?, readOnly: Bool) -> VerifyReport? {
    let disk = SimulatedDisk()
    disk.setContents(path, main)
    if let wal { disk.setContents(walPath, wal) }
    var options = OpenOptions()
    options.readOnly = readOnly
    options.create = false
    options.autoCheckpointInterval = nil
    options.cachePages = 16
    guard let database = try? Database.open(path, options: options, storage: disk) else { return nil }
    defer { try? database.close() }
    _ = try? database.read { tx in
      _ = try? tx.nodeCount
      _ = try? tx.edgeCount
      _ = try? tx.labels()
      _ = try? tx.edgeTypes()
      _ = try? tx.propertyKeys()
      _ = try? tx.indexes()
      var seen = 0
      try? tx.forEachNode { node in
        _ = try? tx.edges(of: node.id)
        _ = try? tx.neighbors(of: node.id, direction: .both)
        seen += 1
        return seen < 200
      }
      seen = 0
      try? tx.forEachEdge { edge in
        _ = try? tx.edge(edge.id)
        seen += 1
        return seen < 400
      }
      _ = try? tx.nodeIDs(label: "Person")
      _ = try? tx.nodeIDs(label: "Person", key: "name", .equals(.string("person 7")))
      _ = try? tx.bfs(from: 1, depth: 3)
      _ = try? tx.shortestPath(from: 1, to: 30, maxDepth: 6)
    }
    let report = try? database.verify(VerifyOptions(level: .graph, maxErrors: 20))
    guard !readOnly else { return report }
    _ = try? database.write { tx in
      let id = try tx.createNode(labels: ["Person"], properties: ["name": .string("new")])
      _ = try? tx.createEdge(from: id, to: 1, type: "KNOWS")
      try? tx.deleteNode(2, detach: true)
    }
    _ = try? database.checkpoint(.passive)
    return report
  }
}

/// Reads the input as patches: repeated [offset: UInt16 LE][count: UInt8]
/// [count bytes], each written over `bytes` at `offset % bytes.count`
/// (clipped at the end). Mutating a valid structure by patches keeps most of
/// it valid, so the decoders behind the first checks are reached.
package func applyPatches(_ input: ArraySlice<UInt8>, to bytes: inout [UInt8]) {
  guard !bytes.isEmpty else { return }
  var cursor = input.startIndex
  while input.endIndex - cursor >= 3 {
    let offset = (Int(input[cursor]) | Int(input[cursor + 1]) << 8) % bytes.count
    let count = Int(input[cursor + 2])
    cursor += 3
    let available = min(count, input.endIndex - cursor, bytes.count - offset)
    for index in 0..<available { bytes[offset + index] = input[cursor + index] }
    cursor += min(count, input.endIndex - cursor)
  }
}
