import SombraCLI
import SombraCore

/// `sombra-inspect DB header`: page 0 of the main file, field by field, in the
/// byte map of `DatabaseHeader.swift` (and `sombra.5`, HEADER PAGE). When the
/// WAL holds a newer committed page 0 (not yet checkpointed) a note says so;
/// when the main file has no header yet, the WAL's page 0 is shown instead.
extension SombraInspect {
  /// One field of the header page.
  struct HeaderField {
    var offset: Int
    var size: Int
    var name: String
    /// The bytes as stored, in file order, as hex.
    var raw: String
    /// The value as a number, when it is one.
    var number: UInt64?
    /// What the value means, for people.
    var meaning: String
  }

  static func header(_ session: InspectSession, _ output: OutputOptions, _ context: ToolContext) throws -> ExitCode {
    let pending = session.origin(of: 0)
    let pendingFrame = pending.frame
    let mainPage = try session.database.mainFileHeaderPage()
    let source: String
    let page: [UInt8]
    if let mainPage {
      page = mainPage
      source = "main file"
    } else {
      page = try session.database.rawPage(0, in: session.transaction)
      source = pending.text
    }
    let fields = headerFields(page)
    var note: String?
    if mainPage != nil, let frame = pendingFrame {
      let frames = session.frames
      let transaction = frame < frames.count ? frames[frame].transaction : 0
      note =
        "a newer page 0 (transaction \(transaction)) is committed in \(pending.text) and not yet checkpointed; 'info' shows the current values"
    } else if mainPage == nil {
      note = "the main file has no header yet (a new database): showing page 0 from the WAL"
    }

    if output.format == .json {
      context.writeJSON([
        JSONMember("command", "header"),
        JSONMember("path", .string(session.path)),
        JSONMember("source", .string(mainPage == nil ? "wal" : "main")),
        JSONMember("pendingWALFrame", pendingFrame.map { json($0) } ?? .null),
        JSONMember("fields", .array(fields.map(json))),
      ])
      return .success
    }
    let style = context.boxStyle(output)
    var table = Table(columns: [
      Table.Column("offset", alignment: .right), Table.Column("size", alignment: .right), Table.Column("field"),
      Table.Column("raw", alignment: .left), Table.Column("value", alignment: .left),
    ])
    for field in fields {
      table.append(["\(field.offset)", "\(field.size)", field.name, field.raw, field.meaning])
    }
    table.footer = "page 0 of the \(source), \(page.count) bytes"
    context.standardOutput.write(table.render(style: style, maxWidth: context.width))
    if let note { context.standardOutput.writeLine("note: " + note) }
    return .success
  }

  static func json(_ field: HeaderField) -> JSONValue {
    [
      "offset": json(field.offset), "size": json(field.size), "name": .string(field.name), "raw": .string(field.raw),
      "value": field.number.map { json($0) } ?? .null, "meaning": .string(field.meaning),
    ]
  }

  /// The fields of a header page (`page.count` is the page size, at least
  /// 4096, checked by the open; reads past the end give empty fields).
  static func headerFields(_ page: [UInt8]) -> [HeaderField] {
    var fields: [HeaderField] = []
    func bytes(_ offset: Int, _ size: Int) -> ArraySlice<UInt8> {
      guard offset >= 0, size >= 0, offset <= page.count, size <= page.count - offset else { return [] }
      return page[offset..<offset + size]
    }
    func number(_ offset: Int, _ size: Int) -> UInt64 {
      bytes(offset, size).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    func add(_ offset: Int, _ size: Int, _ name: String, _ meaning: (UInt64) -> String) {
      let value = number(offset, size)
      fields.append(
        HeaderField(
          offset: offset, size: size, name: name, raw: ByteText.hex(bytes(offset, size)), number: value, meaning: meaning(value)))
    }
    let magic = bytes(0, 8)
    let magicText = String(decoding: magic.prefix(7).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
    fields.append(
      HeaderField(
        offset: 0, size: 8, name: "magic", raw: ByteText.hex(magic), number: nil,
        meaning: magic.elementsEqual(DatabaseHeader.magic) ? "GRPHITE\\0 (ok)" : "\(magicText) (not GRPHITE\\0)"))
    add(8, 2, "format major") { "\($0)" }
    add(10, 2, "format minor") { "\($0)" }
    add(12, 4, "page size") { "\($0) bytes" }
    add(16, 4, "page count") { "\($0) pages" }
    add(20, 4, "free-list head") { $0 == 0 ? "0 (empty list)" : "page \($0)" }
    add(24, 4, "free-list length") { "\($0) pages" }
    add(28, 4, "flags") { $0 & 1 != 0 ? "clean shutdown" : "not clean (open or crashed)" }
    add(32, 8, "change counter") { "transaction \($0)" }
    add(40, 8, "last checkpoint") { "transaction \($0)" }
    add(48, 8, "next node id") { "\($0)" }
    add(56, 8, "next edge id") { "\($0)" }
    add(64, 4, "creator version") { "Sombra " + versionText(UInt32(truncatingIfNeeded: $0)) }
    add(68, 4, "durable WAL frames") { "\($0) (claimed)" }
    for slot in 0..<DatabaseHeader.rootSlots {
      let tree = InspectSession.treeName(slot: slot)
      add(72 + 4 * slot, 4, "root \(slot)") { value in
        switch (value, tree) {
        case (0, nil): "unused"
        case (0, let tree?): "\(tree): none"
        case (let page, let tree?): "\(tree): page \(page)"
        case (let page, nil): "page \(page) (no tree uses slot \(slot))"
        }
      }
    }
    add(136, 8, "commits") { "\($0) (lifetime)" }
    add(144, 8, "checkpoints") { "\($0) (lifetime)" }
    add(152, 8, "last checkpoint time") { $0 == 0 ? "never" : utcText($0) }
    add(160, 8, "unclean shutdowns") { "\($0) (lifetime)" }
    add(168, 8, "corruption events") { "\($0) (lifetime)" }
    add(176, 8, "database id") { $0 == 0 ? "none (made before format 3.1)" : ByteText.hex($0) }
    let trailer = page.count - 4
    let padding = bytes(184, max(trailer - 184, 0))
    let nonZero = padding.filter { $0 != 0 }.count
    fields.append(
      HeaderField(
        offset: 184, size: padding.count, name: "zero", raw: nonZero == 0 ? "(all zero)" : "(\(nonZero) non-zero)",
        number: nil, meaning: nonZero == 0 ? "ok" : "should be zero"))
    let stored = UInt32(truncatingIfNeeded: number(trailer, 4))
    let computed = CRC32C.checksum(Array(page.prefix(max(trailer, 0))))
    add(trailer, 4, "checksum") { _ in
      stored == computed ? "CRC-32C (valid)" : "CRC-32C: computed \(ByteText.hex(computed)), MISMATCH"
    }
    return fields
  }
}
