import Glibc
import SombraCLI
import SombraCore

/// `.import FILE`: JSON Lines in the APOC export format (see `.export`).
///
/// Invariants:
/// 1. Lines are applied in batches of ``importBatchLines`` lines, each batch
///    in one write transaction: a batch is imported whole or not at all.
/// 2. A malformed line (bad JSON, an unknown `type`, a node id given twice, a
///    relationship whose `start` or `end` names no node defined on an earlier
///    line, a property no value can hold) stops the import: its batch is
///    rolled back, earlier batches stay, and the error names the line.
/// 3. File ids map to new database ids (nodes are created in file order), so
///    importing into an empty database keeps a dense export's ids.
/// 4. Blank lines are skipped; a progress line goes to stderr on a terminal.
/// 5. The file is streamed: memory holds one line (at most 16 MiB, see
///    ``LineReader``) and the id map, never the whole file. A longer line
///    stops the import like a malformed one.
extension ShellSession {
  static let importBatchLines = 1000

  func importFile(_ file: String) throws -> ShellResult {
    guard !readOnly else { throw readOnlyError("the database is open read-only (--readonly); .import changes it") }
    guard transaction == nil else { throw ShellError("commit or rollback the open transaction before .import") }
    let database = try openDatabase()
    let input = try ImportInput(path: file)
    defer { input.close() }
    let progress = ProgressLine(terminal: context.terminal, output: context.standardError)
    defer { progress.finish() }
    var nodeIDs: [String: NodeID] = [:]
    var counts = (nodes: 0, edges: 0)
    var finished = false
    while !finished {
      let first = input.reader.lineNumber + 1
      var batchIDs: [String: NodeID] = [:]
      var batchCounts = (nodes: 0, edges: 0)
      do {
        try database.write { tx in
          for _ in 0..<Self.importBatchLines {
            if input.reader.lineNumber % 256 == 0 { try checkInterrupt() }
            guard let line = try input.nextLine(file) else {
              finished = true
              break
            }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
              let isNode = try Self.importLine(line[...], tx, known: nodeIDs, batch: &batchIDs)
              if isNode { batchCounts.nodes += 1 } else { batchCounts.edges += 1 }
            } catch let error as ShellError {
              throw ShellError("\(file):\(input.reader.lineNumber): \(error.message)")
            } catch let error as SombraError {
              throw ShellError("\(file):\(input.reader.lineNumber): \(error.message)")
            }
          }
        }
      } catch let error as ShellError {
        let kept =
          counts.nodes + counts.edges > 0
          ? "; kept \(Self.plural(counts.nodes, "node")) and \(Self.plural(counts.edges, "relationship")) from lines before \(first)"
          : ""
        throw ShellError(error.message + " (nothing from line \(first) on was imported\(kept))")
      }
      nodeIDs.merge(batchIDs) { old, _ in old }
      counts.nodes += batchCounts.nodes
      counts.edges += batchCounts.edges
      progress.update("importing \(file): line \(input.reader.lineNumber)" + input.percent)
    }
    return .message("imported \(Self.plural(counts.nodes, "node")) and \(Self.plural(counts.edges, "relationship")) from \(file)")
  }

  /// Applies one line; returns whether it was a node.
  static func importLine(
    _ line: ArraySlice<UInt8>, _ tx: WriteTransaction, known: [String: NodeID], batch: inout [String: NodeID]
  ) throws -> Bool {
    switch try ImportRecord.decode(Array(line)) {
    case .node(let id, let labels, let properties):
      guard known[id] == nil, batch[id] == nil else { throw ShellError("node id \(id) is defined twice") }
      batch[id] = try tx.createNode(labels: labels, properties: properties)
      return true
    case .relationship(let type, let start, let end, let properties):
      func endpoint(_ name: String, _ id: String) throws -> NodeID {
        guard let node = known[id] ?? batch[id] else {
          throw ShellError("\"\(name)\" names node id \(id), which no earlier line defines")
        }
        return node
      }
      _ = try tx.createEdge(
        from: try endpoint("start", start), to: try endpoint("end", end), type: type, properties: properties)
      return false
    }
  }

  /// An id written as a string or a whole number.
  fileprivate static func fileID(_ value: JSONValue?, _ name: String) throws -> String {
    switch value {
    case .string(let text)? where !text.isEmpty: return text
    case .integer(let number)?: return String(number)
    default: throw ShellError("\"\(name)\" must be a string or a whole number")
    }
  }

  fileprivate static func importProperties(_ value: JSONValue?) throws -> [String: PropertyValue] {
    switch value {
    case nil, .null?: return [:]
    case .object(let members)?:
      var properties: [String: PropertyValue] = [:]
      for member in members {
        switch ShellValues.property(member.value) {
        case .success(let value): properties[member.key] = value
        case .failure(let error): throw ShellError("property \"\(member.key)\": \(error.message)")
        }
      }
      return properties
    default: throw ShellError("\"properties\" must be an object")
    }
  }
}

/// The file `.import` reads, line by line through a ``LineReader`` (at most
/// 16 MiB a line), so memory stays bounded whatever the file holds.
final class ImportInput {
  let reader: LineReader
  private let descriptor: Int32
  /// The file's size when it is a regular file (for the progress percentage).
  private let size: UInt64?

  init(path: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw ShellError("cannot read \(path): \(String(cString: strerror(errno)))") }
    var status = stat()
    let statFailed = fstat(descriptor, &status) != 0
    guard !statFailed, status.st_mode & S_IFMT != S_IFDIR else {
      let reason = statFailed ? String(cString: strerror(errno)) : "it is a directory"
      Glibc.close(descriptor)
      throw ShellError("cannot read \(path): \(reason)")
    }
    self.descriptor = descriptor
    size = status.st_mode & S_IFMT == S_IFREG ? UInt64(clamping: status.st_size) : nil
    reader = LineReader(descriptor: descriptor)
  }

  /// The next line, or nil at the end; a line too long or unreadable is an
  /// error naming `file` and the line.
  func nextLine(_ file: String) throws -> [UInt8]? {
    do {
      return try reader.nextLine()
    } catch {
      throw ShellError("\(file):\(error.line): \(error.message)")
    }
  }

  /// " (P%)" for a regular file, "" otherwise.
  var percent: String {
    guard let size, size > 0 else { return "" }
    return " (\(min(reader.bytesRead, size) * 100 / size)%)"
  }

  func close() {
    Glibc.close(descriptor)
  }
}

/// One line of an import file, decoded but not yet applied: everything
/// `.import` checks before it touches the database (the fuzz target
/// `fuzz-text` drives it directly).
package enum ImportRecord: Equatable, Sendable {
  case node(id: String, labels: [String], properties: [String: PropertyValue])
  case relationship(type: String, start: String, end: String, properties: [String: PropertyValue])

  /// Decodes one line of JSON Lines in the APOC format; a line that is not
  /// one throws a ``ShellError`` saying what is wrong.
  package static func decode(_ line: [UInt8]) throws -> ImportRecord {
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes: line)
    } catch {
      throw ShellError("invalid JSON: \(error.message) at column \(error.column)")
    }
    guard case .object = json else { throw ShellError("expected a JSON object") }
    let properties = try ShellSession.importProperties(json["properties"])
    switch json["type"]?.stringValue {
    case "node":
      let id = try ShellSession.fileID(json["id"], "id")
      var labels: [String] = []
      switch json["labels"] {
      case nil, .null?: break
      case .array(let items)?:
        for item in items {
          guard let label = item.stringValue, !label.isEmpty else { throw ShellError("labels must be non-empty strings") }
          labels.append(label)
        }
      default: throw ShellError("\"labels\" must be an array of strings")
      }
      return .node(id: id, labels: labels, properties: properties)
    case "relationship":
      guard let type = json["label"]?.stringValue, !type.isEmpty else {
        throw ShellError("a relationship needs a non-empty \"label\" (its type)")
      }
      let start = try ShellSession.fileID(json["start"]?["id"], "start.id")
      let end = try ShellSession.fileID(json["end"]?["id"], "end.id")
      return .relationship(type: type, start: start, end: end, properties: properties)
    case let other:
      throw ShellError("\"type\" must be \"node\" or \"relationship\", not \(other.map { "\"\($0)\"" } ?? "missing")")
    }
  }
}
