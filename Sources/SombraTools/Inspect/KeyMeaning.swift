import SombraCore

/// What a B-tree key means in the tree that holds it (`GraphSchema.swift` and
/// `Catalog.swift` have the layouts), for `page N`. Keys are untrusted bytes:
/// every read is bounds-checked, and a key that does not parse (interior
/// separators are often shortened prefixes) has no meaning rather than a
/// wrong one.
struct KeyMeaning {
  var labels: [UInt32: String] = [:]
  var types: [UInt32: String] = [:]
  var keys: [UInt32: String] = [:]

  /// Names from the catalog of `transaction`, best effort (a damaged catalog
  /// leaves ids unnamed).
  init(_ transaction: ReadTransaction) {
    labels = (try? transaction.catalogNames(.label)) ?? [:]
    types = (try? transaction.catalogNames(.type)) ?? [:]
    keys = (try? transaction.catalogNames(.key)) ?? [:]
  }

  func describe(_ key: [UInt8], tree: GraphRoot?) -> String? {
    switch tree {
    case .nodes?:
      return key.count == 8 ? KeyEncoding.readU64(key, at: 0).map { "node \($0)" } : nil
    case .edges?:
      return key.count == 8 ? KeyEncoding.readU64(key, at: 0).map { "edge \($0)" } : nil
    case .adjacency?:
      guard let chunk = AdjacencyList.parseKey(key) else { return nil }
      let list = "node \(chunk.node) \(chunk.outgoing ? "out" : "in")-edges"
      guard let bound = chunk.lowerBound else { return list }
      let arrow = chunk.outgoing ? "->" : "<-"
      return "\(list) from \(arrow) node \(bound.neighbour) \(named(types, bound.type)), edge \(bound.edge)"
    case .labels?:
      guard key.count == 12, let label = KeyEncoding.readU32(key, at: 0), let node = KeyEncoding.readU64(key, at: 4) else {
        return nil
      }
      return "\(named(labels, label)), node \(node)"
    case .properties?:
      guard key.count >= 12, let index = KeyEncoding.readU32(key, at: 0), let node = KeyEncoding.readU64(key, at: key.count - 8)
      else {
        return nil
      }
      return "index \(index), node \(node)"
    case .catalog?:
      return catalog(key)
    case nil:
      return nil
    }
  }

  func catalog(_ key: [UInt8]) -> String? {
    guard key.count >= 2 else { return nil }
    let kind = key[1]
    let noun = kind == 1 ? "label" : kind == 2 ? "edge type" : kind == 3 ? "property key" : kind == 4 ? "index" : nil
    let id = key.count == 6 ? KeyEncoding.readU32(key, at: 2) : nil
    switch key[0] {
    case 1:
      guard let noun, let name = String(validating: key.dropFirst(2), as: UTF8.self) else { return nil }
      return "id of \(noun) \"\(name)\""
    case 2:
      guard let noun, let id else { return nil }
      return "name of \(noun) \(id)"
    case 3:
      guard let id, kind == 1 || kind == 2 else { return nil }
      return kind == 1 ? "count of \(named(labels, id))" : "count of \(named(types, id))"
    case 4:
      guard key.count == 2, kind <= 1 else { return nil }
      return kind == 0 ? "node total" : "edge total"
    case 5:
      guard let noun, key.count == 2 else { return nil }
      return "last \(noun) id"
    case 6:
      guard key.count == 5, let index = KeyEncoding.readU32(key, at: 1) else { return nil }
      return "definition of index \(index)"
    case 7:
      guard key.count == 9, let label = KeyEncoding.readU32(key, at: 1), let property = KeyEncoding.readU32(key, at: 5) else {
        return nil
      }
      return
        "index on \(label == 0 ? "any label" : named(labels, label)), key \(keys[property].map { "\"\($0)\"" } ?? "\(property)")"
    default:
      return nil
    }
  }

  func named(_ names: [UInt32: String], _ id: UInt32) -> String {
    names[id].map { "\"\($0)\"" } ?? "#\(id)"
  }
}
