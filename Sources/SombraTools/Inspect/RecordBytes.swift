import SombraCore

/// `stats`' bytes per label, edge type and property index: the record and
/// index trees streamed once (`BTree.scanBorrowing` on the session's snapshot).
///
/// - per label: node records (key + value as stored, without cell, slot or
///   page overhead) of the nodes that have the label; a node with several
///   labels counts for each, so the rows can add up to more than the nodes
///   tree; nodes without a label are the row `(no label)`;
/// - per edge type: edge records (key + value) of the edges of that type;
/// - per property index: the key bytes of its entries (an entry is all key).
/// Index names are `:Label(key)`, or `*(key)` on any label. Names are the catalog's; an id without a name prints as `#ID`. A record
/// that does not decode is counted under `(undecodable)`: the verifier
/// reports it. Stops at the first unreadable page of a tree (the counts are
/// then lower bounds and `incomplete` names the tree), and on Ctrl-C (exit 130).
struct RecordBytes {
  struct Row: Equatable {
    var name: String
    var records = 0
    var bytes = 0

    /// Counts one record of `size` bytes.
    mutating func add(_ size: Int) {
      records += 1
      bytes += size
    }
  }

  var labels: [Row] = []
  var types: [Row] = []
  var indexes: [Row] = []
  var incomplete: [String] = []

  init(_ session: InspectSession, context: ToolContext) throws(ToolExit) {
    let tx = session.transaction
    let header = session.header
    let labelNames = (try? tx.catalogNames(.label)) ?? [:]
    let typeNames = (try? tx.catalogNames(.type)) ?? [:]
    let keyNames = (try? tx.catalogNames(.key)) ?? [:]
    let definitions = (try? tx.indexDefinitionList()) ?? []
    func name(_ id: UInt32, _ names: [UInt32: String]) -> String { names[id] ?? "#\(id)" }
    var seen = 0
    var stopped = false
    // Asked every 4096 records: the closure is cheap, the stop must be prompt.
    func keepGoing() -> Bool {
      seen += 1
      if seen & 4095 == 0, context.isInterrupted() { stopped = true }
      return !stopped
    }

    var byLabel: [UInt32: Row] = [:]
    var unlabeled = Row(name: "(no label)")
    var undecodableNodes = Row(name: "(undecodable)")
    if header.roots[GraphRoot.nodes.rawValue] != 0 {
      do {
        try BTree(root: header.roots[GraphRoot.nodes.rawValue]).scanBorrowing(in: tx) { key, value in
          let size = key.count + value.count
          guard let id = KeyEncoding.readU64(raw: key, at: 0), let node = try? StoredNode.decode(raw: value, id: id) else {
            undecodableNodes.add(size)
            return keepGoing()
          }
          if node.labels.isEmpty {
            unlabeled.add(size)
          }
          for label in node.labels {
            byLabel[label, default: Row(name: name(label, labelNames))].add(size)
          }
          return keepGoing()
        }
      } catch {
        incomplete.append("nodes")
      }
    }
    labels = byLabel.sorted { $0.key < $1.key }.map(\.value) + [unlabeled, undecodableNodes].filter { $0.records > 0 }
    if stopped { throw context.interrupted(tool: SombraInspect.tool) }

    var byType: [UInt32: Row] = [:]
    var undecodableEdges = Row(name: "(undecodable)")
    if header.roots[GraphRoot.edges.rawValue] != 0 {
      do {
        try BTree(root: header.roots[GraphRoot.edges.rawValue]).scanBorrowing(in: tx) { key, value in
          let size = key.count + value.count
          guard let id = KeyEncoding.readU64(raw: key, at: 0), let edge = try? StoredEdge.decode(raw: value, id: id) else {
            undecodableEdges.add(size)
            return keepGoing()
          }
          byType[edge.type, default: Row(name: name(edge.type, typeNames))].add(size)
          return keepGoing()
        }
      } catch {
        incomplete.append("edges")
      }
    }
    types = byType.sorted { $0.key < $1.key }.map(\.value) + [undecodableEdges].filter { $0.records > 0 }
    if stopped { throw context.interrupted(tool: SombraInspect.tool) }

    var byIndex: [UInt32: Row] = [:]
    for def in definitions {
      let label = def.label == 0 ? "*" : ":" + name(def.label, labelNames)
      byIndex[def.id] = Row(name: "\(label)(\(name(def.key, keyNames)))")
    }
    if header.roots[GraphRoot.properties.rawValue] != 0 {
      do {
        try BTree(root: header.roots[GraphRoot.properties.rawValue]).scanBorrowing(in: tx) { key, _ in
          let id = KeyEncoding.readU32(raw: key, at: 0) ?? 0
          byIndex[id, default: Row(name: "#\(id)")].add(key.count)
          return keepGoing()
        }
      } catch {
        incomplete.append("properties")
      }
    }
    indexes = byIndex.sorted { $0.key < $1.key }.map(\.value)
    if stopped { throw context.interrupted(tool: SombraInspect.tool) }
  }
}
