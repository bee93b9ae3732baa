/// Level `structure`, part 2: the catalog (layout in `Catalog.swift`).
///
/// Invariants checked (`CATALOG_INVALID` unless said otherwise):
/// 1. Every key has a known tag and kind and the exact length of its tag; every
///    value has its exact length; names are non-empty, valid UTF-8.
/// 2. The two name maps agree: name → id has id → name with the same name, and
///    the other way round; no id is 0.
/// 3. The last id given out of each kind is ≥ every id of that kind in use.
/// 4. Counts exist only for labels and edge types that have names.
/// 5. Each index definition names existing label (or 0, any) and key ids, and
///    its reverse entry (label, key) → index id agrees with it, both ways.
/// What the catalog holds is kept in `CatalogFacts` for the graph checks.
struct CatalogFacts {
  /// id → name, per kind.
  var names: [NameKind: [UInt32: String]] = [:]
  var counts: [CatalogKey.Count: UInt64] = [:]
  var indexes: [IndexDefinition] = []

  func has(_ kind: NameKind, _ id: UInt32) -> Bool { names[kind]?[id] != nil }

  func describe(_ kind: NameKind, _ id: UInt32) -> String {
    if let name = names[kind]?[id] { return "\(kind.noun) \(name)" }
    return "\(kind.noun) id \(id)"
  }
}

extension Verifier {
  func checkCatalog() {
    let root = header.roots[GraphRoot.catalog.rawValue]
    guard root != 0 else {
      catalogUsable = !brokenTrees.contains(.catalog)
      return
    }
    guard !brokenTrees.contains(.catalog) else {
      skip("catalog entries: the catalog tree is damaged")
      return
    }
    beginPhase("catalog", total: treeEntries[.catalog] ?? 0)
    var facts = CatalogFacts()
    var nameKeys: [NameKind: [[UInt8]: UInt32]] = [:]
    var lastIDs: [UInt8: UInt32] = [:]
    var byTarget: [UInt64: UInt32] = [:]
    var entries = 0
    func invalid(_ what: String) {
      problem(.catalogInvalid, record: "catalog", what, hint: VerifyHint.salvage)
    }
    do {
      try BTree(root: root).scanBorrowing(in: tx) { key, value in
        entries += 1
        guard tick(entries) else { return false }
        guard key.count >= 2 else {
          invalid("a \(key.count)-byte key")
          return true
        }
        let tag = key[0]
        let kindByte = key[1]
        let kind = NameKind(rawValue: kindByte)
        switch tag {
        case 1:
          guard let kind, value.count == 4 else {
            invalid("name entry of kind \(kindByte) with a \(value.count)-byte id")
            return true
          }
          nameKeys[kind, default: [:]][Array(key)] = value.le(0, as: UInt32.self)
        case 2:
          guard let kind, key.count == 6, let id = KeyEncoding.readU32(raw: key, at: 2) else {
            invalid("id-to-name entry of kind \(kindByte) with a \(key.count)-byte key")
            return true
          }
          guard let name = String(validating: value, as: UTF8.self), !name.isEmpty else {
            invalid("the name of \(kind.noun) id \(id) is \(value.isEmpty ? "empty" : "not valid UTF-8")")
            return true
          }
          facts.names[kind, default: [:]][id] = name
        case 3:
          guard let kind, kind != .key, key.count == 6, let id = KeyEncoding.readU32(raw: key, at: 2), value.count == 8 else {
            invalid("count entry of kind \(kindByte): \(key.count)-byte key, \(value.count)-byte value")
            return true
          }
          facts.counts[kind == .label ? .label(id) : .type(id)] = value.le(0, as: UInt64.self)
        case 4:
          guard key.count == 2, kindByte <= 1, value.count == 8 else {
            invalid("total entry \(kindByte): \(key.count)-byte key, \(value.count)-byte value")
            return true
          }
          facts.counts[kindByte == 0 ? .nodes : .edges] = value.le(0, as: UInt64.self)
        case 5:
          guard key.count == 2, (1...4).contains(kindByte), value.count == 4 else {
            invalid("last-id entry of kind \(kindByte): \(key.count)-byte key, \(value.count)-byte value")
            return true
          }
          lastIDs[kindByte] = value.le(0, as: UInt32.self)
        case 6:
          guard key.count == 5, let id = KeyEncoding.readU32(raw: key, at: 1), value.count == 8 else {
            invalid("index definition with a \(key.count)-byte key and a \(value.count)-byte value")
            return true
          }
          facts.indexes.append(IndexDefinition(id: id, label: value.le(0, as: UInt32.self), key: value.le(4, as: UInt32.self)))
        case 7:
          guard key.count == 9, let label = KeyEncoding.readU32(raw: key, at: 1),
            let keyID = KeyEncoding.readU32(raw: key, at: 5),
            value.count == 4
          else {
            invalid("index lookup entry with a \(key.count)-byte key and a \(value.count)-byte value")
            return true
          }
          byTarget[UInt64(label) << 32 | UInt64(keyID)] = value.le(0, as: UInt32.self)
        default:
          invalid("an entry with unknown tag \(tag)")
        }
        return true
      }
    } catch {
      let e = error as? SombraError
      problem(.btreeNode, page: e?.page, record: "catalog tree", e?.message ?? "\(error)", hint: VerifyHint.salvage)
      brokenTrees.insert(.catalog)
      endPhase()
      return
    }
    report.counts.catalogEntries = entries

    for kind in NameKind.allCases {
      let ids = facts.names[kind] ?? [:]
      let keys = nameKeys[kind] ?? [:]
      for (nameKey, id) in keys.sorted(by: { $0.value < $1.value }) {
        guard let name = ids[id], CatalogKey.name(kind, name) == nameKey else {
          invalid(
            "a \(kind.noun) name maps to id \(id), whose id-to-name entry \(ids[id] == nil ? "is missing" : "names another")")
          continue
        }
      }
      for (id, name) in ids.sorted(by: { $0.key < $1.key }) {
        if id == 0 { invalid("\(kind.noun) '\(name)' has id 0") }
        if keys[CatalogKey.name(kind, name)] != id {
          invalid(
            "\(kind.noun) id \(id) is named '\(name)', but that name maps to \(keys[CatalogKey.name(kind, name)].map { "id \($0)" } ?? "nothing")"
          )
        }
        if let last = lastIDs[kind.rawValue], id <= last { continue }
        invalid("\(kind.noun) id \(id) is above the last id given out (\(lastIDs[kind.rawValue].map(String.init) ?? "none"))")
      }
    }
    for (which, _) in facts.counts {
      switch which {
      case .label(let id) where !facts.has(.label, id): invalid("a count for label id \(id), which has no name")
      case .type(let id) where !facts.has(.type, id): invalid("a count for edge type id \(id), which has no name")
      default: break
      }
    }
    let lastIndex = lastIDs[4] ?? 0
    var defined: [UInt32: IndexDefinition] = [:]
    for def in facts.indexes {
      defined[def.id] = def
      if def.id == 0 || def.id > lastIndex { invalid("index id \(def.id) is above the last index id given out (\(lastIndex))") }
      if def.label != 0 && !facts.has(.label, def.label) {
        invalid("index \(def.id) names label id \(def.label), which has no name")
      }
      if !facts.has(.key, def.key) { invalid("index \(def.id) names property key id \(def.key), which has no name") }
      if byTarget[UInt64(def.label) << 32 | UInt64(def.key)] != def.id { invalid("index \(def.id) has no matching lookup entry") }
    }
    for (target, id) in byTarget.sorted(by: { $0.key < $1.key }) {
      let def = defined[id]
      if def == nil || UInt64(def?.label ?? 0) << 32 | UInt64(def?.key ?? 0) != target {
        invalid(
          "the lookup entry for label id \(target >> 32), key id \(target & 0xFFFF_FFFF) names index \(id), which does not match")
      }
    }
    catalog = facts
    catalogUsable = true
    endPhase()
  }
}
