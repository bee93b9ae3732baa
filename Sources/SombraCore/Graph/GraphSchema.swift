/// Where the graph lives: six B-trees whose roots are header slots 1...6, and
/// the byte layout of their keys and values. Nothing is rebuilt at open.
///
/// | slot | tree        | key                                              | value          |
/// |------|-------------|--------------------------------------------------|----------------|
/// | 1    | catalog     | see `CatalogKey`                                 | see there      |
/// | 2    | nodes       | node id (u64 BE)                                 | node record    |
/// | 3    | edges       | edge id (u64 BE)                                 | edge record    |
/// | 4    | adjacency   | node u64 BE, direction u8 (0 out, 1 in)          | packed list of |
/// |      |             | [, first item: type u32, neighbour u64, edge u64]| (type, neighbour, |
/// |      |             | (see `AdjacencyList.swift`)                      | edge) items    |
/// | 5    | labels      | label id u32 BE, node id u64 BE                  | empty          |
/// | 6    | properties  | index id u32 BE, indexed value (`KeyEncoding`),  | empty          |
/// |      |             | node id u64 BE                                   |                |
///
/// Node record: varint label count, label ids (varint, ascending); varint
/// property count, then per property its key id (varint, ascending) and its
/// value (`PropertyValue` encoding).
/// Edge record: source varint, target varint, type id varint, then properties as
/// in a node record.
/// Slot 0 is not used by the graph.
package enum GraphRoot: Int, CaseIterable {
  case catalog = 1
  case nodes, edges, adjacency, labels, properties

  /// The tree's name in tool output and maintenance results.
  package var treeName: String {
    switch self {
    case .catalog: "catalog"
    case .nodes: "nodes"
    case .edges: "edges"
    case .adjacency: "adjacency"
    case .labels: "labels"
    case .properties: "properties"
    }
  }
}

package enum GraphKeys {
  package static func label(_ label: UInt32, _ node: NodeID? = nil) -> [UInt8] {
    var key: [UInt8] = []
    key.reserveCapacity(12)
    KeyEncoding.append(label, to: &key)
    if let node { KeyEncoding.append(node, to: &key) }
    return key
  }

  /// Calls `body` with the bytes of `label(label, node)`, kept on the stack.
  @inline(__always)
  package static func withLabel<R>(_ label: UInt32, _ node: NodeID, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    // Three u32 words: 12 bytes without padding.
    let words = (label.bigEndian, UInt32(truncatingIfNeeded: node >> 32).bigEndian, UInt32(truncatingIfNeeded: node).bigEndian)
    return try withUnsafeBytes(of: words, body)
  }

  /// The property-index key, or nil for a value that is not indexed (a list).
  package static func property(_ index: UInt32, _ value: PropertyValue, _ node: NodeID?) -> [UInt8]? {
    var key: [UInt8] = []
    KeyEncoding.append(index, to: &key)
    var cut = false
    guard KeyEncoding.append(value, to: &key, truncated: &cut) else { return nil }
    if let node { KeyEncoding.append(node, to: &key) }
    return key
  }
}

/// A node or edge record in its stored form (names as catalog ids).
package struct StoredNode: Equatable {
  package var labels: [UInt32]
  package var properties: [(key: UInt32, value: PropertyValue)]

  package static func == (a: StoredNode, b: StoredNode) -> Bool {
    a.labels == b.labels && a.properties.elementsEqual(b.properties) { $0.key == $1.key && $0.value == $1.value }
  }

  package func encode() -> [UInt8] {
    // Room for small records (ids, numbers, short strings) without regrowing.
    var w = ByteWriter(capacity: 16 + 5 * labels.count + 16 * properties.count)
    encode(into: &w)
    return w.bytes
  }

  /// Appends the record to `w` (a writer reused from record to record).
  package func encode(into w: inout ByteWriter) {
    w.varint(UInt64(labels.count))
    for label in labels { w.varint(UInt64(label)) }
    encodeProperties(properties, into: &w)
  }

  package static func decode(_ bytes: [UInt8], id: NodeID) throws -> StoredNode {
    try bytes.withUnsafeBytes { try decode(raw: $0, id: id) }
  }

  /// Decodes a record from borrowed bytes (a page's, during a lookup or scan).
  package static func decode(raw: UnsafeRawBufferPointer, id: NodeID) throws -> StoredNode {
    var r = ByteReader(raw)
    let count = try r.varint()
    guard count <= UInt64(r.remaining) else { throw r.error("node \(id): \(count) labels in a \(raw.count)-byte record") }
    var labels: [UInt32] = []
    labels.reserveCapacity(Int(count))
    for _ in 0..<count { labels.append(try catalogID(&r)) }
    let properties = try decodeProperties(&r, owner: "node \(id)")
    guard r.remaining == 0 else { throw r.error("node \(id): \(r.remaining) bytes after the record") }
    return StoredNode(labels: labels, properties: properties)
  }
}

extension StoredNode {
  /// Checks a record as `decode` does, without building it.
  package static func check(raw: UnsafeRawBufferPointer, id: NodeID) throws {
    var r = ByteReader(raw)
    let count = try r.varint()
    guard count <= UInt64(r.remaining) else { throw r.error("node \(id): \(count) labels in a \(raw.count)-byte record") }
    for _ in 0..<count { _ = try catalogID(&r) }
    try skipProperties(&r, owner: "node \(id)") { _ in }
    guard r.remaining == 0 else { throw r.error("node \(id): \(r.remaining) bytes after the record") }
  }

  /// Walks a record that `check` accepted: each label id, then each property
  /// key id with its encoded value (for `PropertyValue.decode`), in order.
  package static func walk(
    raw: UnsafeRawBufferPointer, label: (UInt32) -> Void, property: (UInt32, UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var r = ByteReader(raw)
    let count = try r.varint()
    for _ in 0..<count { label(try catalogID(&r)) }
    let properties = try r.varint()
    for _ in 0..<properties {
      let key = try catalogID(&r)
      let start = r.offset
      try PropertyValue.skip(from: &r)
      try property(key, UnsafeRawBufferPointer(rebasing: raw[start..<r.offset]))
    }
  }
}

package struct StoredEdge: Equatable {
  package var source: NodeID
  package var target: NodeID
  package var type: UInt32
  package var properties: [(key: UInt32, value: PropertyValue)]

  package static func == (a: StoredEdge, b: StoredEdge) -> Bool {
    a.source == b.source && a.target == b.target && a.type == b.type
      && a.properties.elementsEqual(b.properties) { $0.key == $1.key && $0.value == $1.value }
  }

  package func encode() -> [UInt8] {
    var w = ByteWriter(capacity: 32)
    encode(into: &w)
    return w.bytes
  }

  package func encode(into w: inout ByteWriter) {
    w.varint(source)
    w.varint(target)
    w.varint(UInt64(type))
    encodeProperties(properties, into: &w)
  }

  package static func decode(_ bytes: [UInt8], id: EdgeID) throws -> StoredEdge {
    try bytes.withUnsafeBytes { try decode(raw: $0, id: id) }
  }

  /// Decodes a record from borrowed bytes.
  package static func decode(raw: UnsafeRawBufferPointer, id: EdgeID) throws -> StoredEdge {
    var r = ByteReader(raw)
    let source = try r.varint()
    let target = try r.varint()
    let type = try catalogID(&r)
    let properties = try decodeProperties(&r, owner: "edge \(id)")
    guard r.remaining == 0 else { throw r.error("edge \(id): \(r.remaining) bytes after the record") }
    return StoredEdge(source: source, target: target, type: type, properties: properties)
  }

  /// Checks a record as `decode` does and returns its endpoints and type,
  /// calling `key` with each property key id, without building the record
  /// (the verifier's pass over every edge).
  package static func check(raw: UnsafeRawBufferPointer, id: EdgeID, key: (UInt32) -> Void) throws -> (
    source: NodeID, target: NodeID, type: UInt32
  ) {
    var r = ByteReader(raw)
    let source = try r.varint()
    let target = try r.varint()
    let type = try catalogID(&r)
    try skipProperties(&r, owner: "edge \(id)", key: key)
    guard r.remaining == 0 else { throw r.error("edge \(id): \(r.remaining) bytes after the record") }
    return (source, target, type)
  }
}

private func encodeProperties(_ properties: [(key: UInt32, value: PropertyValue)], into w: inout ByteWriter) {
  w.varint(UInt64(properties.count))
  for (key, value) in properties {
    w.varint(UInt64(key))
    value.encode(into: &w)
  }
}

private func catalogID(_ r: inout ByteReader) throws -> UInt32 {
  let start = r.offset
  guard let id = UInt32(exactly: try r.varint()), id != 0 else { throw r.error("catalog id out of range", at: start) }
  return id
}

/// `decodeProperties` without building them: checks and reports each key.
private func skipProperties(_ r: inout ByteReader, owner: @autoclosure () -> String, key: (UInt32) -> Void) throws {
  let count = try r.varint()
  guard count <= UInt64(r.remaining) else { throw r.error("\(owner()): \(count) properties in \(r.remaining) bytes") }
  var previous: UInt32 = 0
  for _ in 0..<count {
    let id = try catalogID(&r)
    guard id > previous else { throw r.error("\(owner()): property keys out of order") }
    previous = id
    try PropertyValue.skip(from: &r)
    key(id)
  }
}

private func decodeProperties(_ r: inout ByteReader, owner: @autoclosure () -> String) throws -> [(
  key: UInt32, value: PropertyValue
)] {
  let count = try r.varint()
  guard count <= UInt64(r.remaining) else { throw r.error("\(owner()): \(count) properties in \(r.remaining) bytes") }
  var properties: [(key: UInt32, value: PropertyValue)] = []
  properties.reserveCapacity(Int(count))
  var previous: UInt32 = 0
  for _ in 0..<count {
    let key = try catalogID(&r)
    guard key > previous else { throw r.error("\(owner()): property keys out of order") }
    previous = key
    properties.append((key, try PropertyValue.decode(from: &r)))
  }
  return properties
}
