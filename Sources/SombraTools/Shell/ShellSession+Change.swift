import SombraCore

/// Change commands: each in its own write transaction, or in the explicit one
/// after `begin`. Each prints one line naming what changed.
extension ShellSession {
  func change(_ command: ShellCommand) throws -> ShellResult {
    try writing { tx in
      switch command {
      case .createNode(let labels, let properties):
        return .message("created node \(try tx.createNode(labels: labels, properties: properties))")
      case .createEdge(let from, let to, let type, let properties):
        return .message("created edge \(try tx.createEdge(from: from, to: to, type: type, properties: properties))")
      case .set(.node(let id), let properties):
        try requireNode(tx, id)
        try tx.setProperties(properties, onNode: id)
        return .message("updated node \(id)")
      case .set(.edge(let id), let properties):
        try requireEdge(tx, id)
        try tx.setProperties(properties, onEdge: id)
        return .message("updated edge \(id)")
      case .unset(.node(let id), let keys):
        try requireNode(tx, id)
        try tx.removeProperties(keys, fromNode: id)
        return .message("updated node \(id)")
      case .unset(.edge(let id), let keys):
        try requireEdge(tx, id)
        try tx.removeProperties(keys, fromEdge: id)
        return .message("updated edge \(id)")
      case .relabel(let id, let add, let remove):
        try requireNode(tx, id)
        if !add.isEmpty { try tx.addLabels(add, toNode: id) }
        if !remove.isEmpty { try tx.removeLabels(remove, fromNode: id) }
        return .message("updated node \(id)")
      case .deleteNode(let id, let detach):
        try requireNode(tx, id)
        if !detach, try tx.degree(of: id) > 0 {
          throw ShellError("node \(id) has edges; delete them first or use 'delete node \(id) detach'")
        }
        try tx.deleteNode(id, detach: detach)
        return .message("deleted node \(id)")
      case .deleteEdge(let id):
        try requireEdge(tx, id)
        try tx.deleteEdge(id)
        return .message("deleted edge \(id)")
      case .createIndex(let label, let key):
        try tx.createIndex(label: label, key: key)
        return .message("created index \(PropertyIndex(label: label, key: key))")
      case .dropIndex(let label, let key):
        try tx.dropIndex(label: label, key: key)
        return .message("dropped index \(PropertyIndex(label: label, key: key))")
      default:
        return .none
      }
    }
  }

  func requireNode(_ tx: Transaction, _ id: NodeID) throws {
    guard try tx.nodeExists(id) else { throw ShellError("node \(id) does not exist") }
  }

  func requireEdge(_ tx: Transaction, _ id: EdgeID) throws {
    guard try tx.edge(id) != nil else { throw ShellError("edge \(id) does not exist") }
  }
}
