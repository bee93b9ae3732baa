import Glibc
import SombraCLI
import SombraCore

/// `.export FILE`: the whole graph as JSON Lines in the APOC export format
/// (DESIGN.md §8), every node in id order, then every edge in id order:
///
/// ```
/// {"type":"node","id":"1","labels":["Person"],"properties":{"name":"Ada"}}
/// {"type":"relationship","id":"1","label":"KNOWS","properties":{},"start":{"id":"1"},"end":{"id":"2"}}
/// ```
///
/// Ids are the database's; properties are written with sorted keys, bytes as
/// `{"$base64": "..."}`, so the same graph always exports to the same bytes.
/// The export reads one snapshot (or the open transaction). It never destroys
/// a file: it writes a new file beside FILE and renames it over FILE only once
/// it is whole and synced; an error or Ctrl-C removes only that new file. An
/// existing FILE is replaced only with `--force`.
extension ShellSession {
  func exportFile(_ file: String, replacing: Bool = false) throws -> ShellResult {
    if !replacing && access(file, F_OK) == 0 {
      throw ShellError("\(file) exists; '.export \(file) --force' replaces it")
    }
    let writer = try ShellFileWriter(path: file)
    var counts = (nodes: 0, edges: 0)
    do {
      try reading { tx in
        try tx.forEachNode { node in
          counts.nodes += 1
          if counts.nodes % 1024 == 0 { try checkInterrupt() }
          try writer.writeLine(JSONWriter.compact.string(from: Self.exportLine(node)))
          return true
        }
        try tx.forEachEdge { edge in
          counts.edges += 1
          if counts.edges % 1024 == 0 { try checkInterrupt() }
          try writer.writeLine(JSONWriter.compact.string(from: Self.exportLine(edge)))
          return true
        }
      }
      try writer.close()
    } catch {
      writer.abandon()
      throw error
    }
    return .message("exported \(Self.plural(counts.nodes, "node")) and \(Self.plural(counts.edges, "relationship")) to \(file)")
  }

  static func exportLine(_ node: Node) -> JSONValue {
    .object([
      JSONMember("type", "node"), JSONMember("id", .string(String(node.id))),
      JSONMember("labels", .array(node.labels.map { .string($0) })), JSONMember("properties", ShellValues.json(node.properties)),
    ])
  }

  static func exportLine(_ edge: Edge) -> JSONValue {
    .object([
      JSONMember("type", "relationship"), JSONMember("id", .string(String(edge.id))), JSONMember("label", .string(edge.type)),
      JSONMember("properties", ShellValues.json(edge.properties)),
      JSONMember("start", .object([JSONMember("id", .string(String(edge.source)))])),
      JSONMember("end", .object([JSONMember("id", .string(String(edge.target)))])),
    ])
  }

  static func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
  }
}

/// A file written through a 64 KiB buffer into `PATH.export-tmp-PID` (created
/// exclusively beside it), fsynced and renamed over `path` by `close()`;
/// errors name the file and errno.
final class ShellFileWriter {
  let path: String
  let temporary: String
  private var file: UnsafeMutablePointer<FILE>?
  private var buffer: [UInt8] = []

  init(path: String) throws {
    self.path = path
    self.temporary = path + ".export-tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0, let file = fdopen(fd, "wb") else {
      throw ShellError("cannot write \(temporary): \(String(cString: strerror(errno)))")
    }
    self.file = file
  }

  func writeLine(_ line: String) throws {
    buffer += line.utf8
    buffer.append(UInt8(ascii: "\n"))
    if buffer.count >= 1 << 16 { try flush() }
  }

  func flush() throws {
    guard let file, !buffer.isEmpty else { return }
    let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == buffer.count else { throw ShellError("cannot write \(path): \(String(cString: strerror(errno)))") }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, syncs and closes the new file, then renames it over `path`.
  func close() throws {
    try flush()
    guard let file else { return }
    self.file = nil
    let synced = fflush(file) == 0 && fsync(fileno(file)) == 0
    let error = errno
    guard fclose(file) == 0, synced else {
      unlink(temporary)
      throw ShellError("cannot write \(path): \(String(cString: strerror(synced ? errno : error)))")
    }
    guard rename(temporary, path) == 0 else {
      let error = errno
      unlink(temporary)
      throw ShellError("cannot replace \(path): \(String(cString: strerror(error)))")
    }
  }

  /// Closes and removes the new file; `path` is left as it was.
  func abandon() {
    if let file { fclose(file) }
    file = nil
    unlink(temporary)
  }

  deinit {
    if let file {
      fclose(file)
      unlink(temporary)
    }
  }
}
