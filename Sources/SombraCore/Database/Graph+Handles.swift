import Synchronization

/// Label and property-key names resolved once, for bulk loads.
///
/// `createNode(labels:properties:)` with strings looks every name up for every
/// node: a dictionary of string keys to walk, hash and match against the
/// catalog. A loader that names the same few labels and keys in every record
/// resolves them once per transaction instead, and passes the handles:
///
/// ```swift
/// try db.write { tx in
///   let person = try tx.nodeLabel("Person")
///   let name = try tx.propertyKey("name")
///   for row in rows { try tx.createNode(labels: [person], properties: [name: .string(row.name)]) }
/// }
/// ```
///
/// A handle holds its name and its catalog id. Within the transaction that
/// resolved it, the id is used as it is. Another transaction first checks that
/// the catalog has the name under that id: true once the resolving transaction
/// committed, false after it rolled back (the name may be gone, or have another
/// id) or for a handle of another database, which is `misuse`.

/// A node label resolved by ``WriteTransaction/nodeLabel(_:)``.
public struct NodeLabel: Sendable, Hashable, CustomStringConvertible {
  /// The label's name.
  public let name: String
  let id: UInt32
  /// The serial of the write transaction that resolved it.
  let origin: UInt64

  public var description: String { name }

  public static func == (a: NodeLabel, b: NodeLabel) -> Bool { a.id == b.id && a.name == b.name }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(id)
    hasher.combine(name)
  }
}

/// A property key resolved by ``WriteTransaction/propertyKey(_:)``.
public struct PropertyKey: Sendable, Hashable, CustomStringConvertible {
  /// The key's name.
  public let name: String
  let id: UInt32
  /// The serial of the write transaction that resolved it.
  let origin: UInt64

  public var description: String { name }

  public static func == (a: PropertyKey, b: PropertyKey) -> Bool { a.id == b.id && a.name == b.name }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(id)
    hasher.combine(name)
  }
}

/// Serials of write transactions, so a handle knows the one that resolved it
/// (an object's address can be reused; a serial is not).
private let writeSerials = Atomic<UInt64>(0)

extension WriteTransaction {
  static func nextSerial() -> UInt64 { writeSerials.add(1, ordering: .relaxed).newValue }

  /// The label named `name`, added to the catalog if it is new.
  ///
  /// ```swift
  /// let person = try tx.nodeLabel("Person")
  /// let ada = try tx.createNode(labels: [person], properties: [:])
  /// ```
  ///
  /// Throws `invalidArgument` for an empty name or one over 64 KiB of UTF-8.
  public func nodeLabel(_ name: String) throws -> NodeLabel {
    NodeLabel(name: name, id: try internName(.label, name), origin: serial)
  }

  /// The property key named `name`, added to the catalog if it is new.
  ///
  /// ```swift
  /// let born = try tx.propertyKey("born")
  /// let ada = try tx.createNode(labels: [], properties: [born: 1815])
  /// ```
  ///
  /// Throws `invalidArgument` for an empty name or one over 64 KiB of UTF-8.
  public func propertyKey(_ name: String) throws -> PropertyKey {
    PropertyKey(name: name, id: try internName(.key, name), origin: serial)
  }

  /// Creates a node from resolved labels and keys and returns its id: the same
  /// node as `createNode(labels:properties:)` with their names makes.
  ///
  /// ```swift
  /// let person = try tx.nodeLabel("Person")
  /// let (name, born) = (try tx.propertyKey("name"), try tx.propertyKey("born"))
  /// let ada = try tx.createNode(labels: [person], properties: [name: "Ada", born: 1815])
  /// ```
  ///
  /// A repeated label counts once. Throws `invalidArgument` for a key given
  /// twice or a value that cannot be stored, and `misuse` for a handle the
  /// catalog does not hold (see ``NodeLabel``); the graph is then unchanged.
  @discardableResult
  public func createNode(labels: [NodeLabel], properties: KeyValuePairs<PropertyKey, PropertyValue>) throws -> NodeID {
    var labelIDs: [UInt32] = []
    labelIDs.reserveCapacity(labels.count)
    for label in labels { labelIDs.append(try handleID(.label, label.name, label.id, label.origin)) }
    if labelIDs.count > 1 { sortAndDropRepeats(&labelIDs) }
    var stored: [(key: UInt32, value: PropertyValue)] = []
    stored.reserveCapacity(properties.count)
    for (key, value) in properties {
      if !value.isClearlyValid { try value.validate(key: key.name) }
      stored.append((try handleID(.key, key.name, key.id, key.origin), value))
    }
    stored.sort { $0.key < $1.key }
    for i in stored.indices.dropFirst() where stored[i - 1].key == stored[i].key {
      let name = properties.first { $0.key.id == stored[i].key }?.key.name ?? "?"
      throw SombraError.invalidArgument("property key '\(name)' is given twice; give each key once")
    }
    try ensureGraph()
    return try pages.batch { batch in
      let id = batch.header.nextNodeID
      guard id < UInt64.max else { throw SombraError(.limitExceeded, "no more node ids") }
      batch.updateHeader { $0.nextNodeID = id + 1 }
      try insertNode(id, StoredNode(labels: labelIDs, properties: stored), in: batch)
      return id
    }
  }

  /// The id of a handle's name, checked when another transaction resolved it.
  private func handleID(_ kind: NameKind, _ name: String, _ id: UInt32, _ origin: UInt64) throws -> UInt32 {
    if origin == serial { return id }
    guard try nameID(kind, name) == id else {
      throw SombraError.misuse(
        "the \(kind.noun) '\(name)' was resolved by a transaction that did not commit, or in another database; resolve it again in this transaction"
      )
    }
    return id
  }
}
