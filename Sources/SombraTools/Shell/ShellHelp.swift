/// The text of `.help` and `.help COMMAND`: every command with its usage and
/// what it does (the same list as man/sombra.1).
enum ShellHelp {
  struct Entry {
    var name: String
    var usage: String
    var summary: String
    var details: [String] = []
  }

  static let explore: [Entry] = [
    Entry(name: "node", usage: "node ID", summary: "Show one node: labels and properties."),
    Entry(
      name: "nodes", usage: "nodes [:Label] [WHERE key OP value [AND ...]] [LIMIT n]",
      summary: "List nodes, by label and property conditions.",
      details: [
        "OP is one of = != < <= > >=; values are JSON-style literals: \"text\", 42, 4.2, true, null, [1,2].",
        "Comparisons are type-strict (1 never equals 1.0); a node without the key matches no condition.",
        "With a label, the first condition uses a property index when there is one.",
        "Example: nodes :Person WHERE born < 1900 AND name != \"Ada\" LIMIT 10",
      ]),
    Entry(name: "edge", usage: "edge ID", summary: "Show one edge: type, ends and properties."),
    Entry(name: "edges", usage: "edges ID [out|in|both] [:TYPE]", summary: "List the edges of a node (default both directions)."),
    Entry(
      name: "neighbors", usage: "neighbors ID [out|in|both] [:TYPE]",
      summary: "List the neighbouring nodes of a node, each once (default both directions)."),
    Entry(name: "hops", usage: "hops ID K", summary: "List the nodes exactly K outgoing hops away."),
    Entry(
      name: "bfs", usage: "bfs ID DEPTH",
      summary: "Breadth-first search along outgoing edges: nodes within DEPTH hops and their distance."),
    Entry(
      name: "path", usage: "path A B [MAXDEPTH]",
      summary: "A shortest path of outgoing edges from A to B (at most MAXDEPTH hops, default 16)."),
    Entry(name: "labels", usage: "labels", summary: "Labels with their node counts."),
    Entry(name: "types", usage: "types", summary: "Edge types with their edge counts."),
    Entry(name: "keys", usage: "keys", summary: "Every property key in the catalog."),
    Entry(name: "count", usage: "count [:Label]", summary: "The number of nodes (with the label)."),
  ]

  static let change: [Entry] = [
    Entry(
      name: "create", usage: "create node [:L1:L2] [{key: value, ...}] | create edge A -[:TYPE [{key: value}]]-> B",
      summary: "Create a node or an edge; prints its id.",
      details: [
        "Example: create node :Person:Author {name: \"Ada\", born: 1815}",
        "Example: create edge 1 -[:KNOWS {since: 2020}]-> 2",
        "Bytes values are written bytes(\"BASE64\").",
      ]),
    Entry(name: "set", usage: "set node|edge ID key=value ...", summary: "Set properties (replacing existing values)."),
    Entry(name: "unset", usage: "unset node|edge ID key ...", summary: "Remove properties."),
    Entry(
      name: "label", usage: "label node ID +Label -Label ...",
      summary: "Add (+) and remove (-) labels of a node (an edge's type cannot change)."),
    Entry(
      name: "delete", usage: "delete node ID [detach] | delete edge ID",
      summary: "Delete a node (with detach, its edges too) or an edge."),
    Entry(
      name: "index", usage: "index create :Label(key) | index drop :Label(key)",
      summary: "Create or drop a property index (without :Label, on every label)."),
    Entry(name: "indexes", usage: "indexes", summary: "List the property indexes."),
  ]

  static let transactions: [Entry] = [
    Entry(
      name: "begin", usage: "begin",
      summary: "Start a transaction; the prompt shows it. Without one, each command commits on its own."),
    Entry(name: "commit", usage: "commit", summary: "Make the transaction's changes durable."),
    Entry(name: "rollback", usage: "rollback", summary: "Discard the transaction's changes."),
  ]

  static let meta: [Entry] = [
    Entry(name: ".open", usage: ".open FILE", summary: "Close this database and open (or create) FILE."),
    Entry(name: ".info", usage: ".info", summary: "Summary of the database (sombra-inspect info)."),
    Entry(
      name: ".stats", usage: ".stats",
      summary: "Page and space statistics (sombra-inspect stats), then this session's live metrics."),
    Entry(name: ".verify", usage: ".verify [--quick]", summary: "Verify the database (sombra-verify)."),
    Entry(name: ".checkpoint", usage: ".checkpoint", summary: "Copy committed WAL frames into the database file."),
    Entry(
      name: ".import", usage: ".import FILE",
      summary: "Import JSON Lines in the APOC export format; ids are remapped.",
      details: [
        "Lines: {\"type\":\"node\",\"id\":\"1\",\"labels\":[...],\"properties\":{...}} and",
        "{\"type\":\"relationship\",\"id\":\"7\",\"label\":\"KNOWS\",\"properties\":{...},\"start\":{\"id\":\"1\"},\"end\":{\"id\":\"2\"}}.",
        "Bytes are {\"$base64\": \"...\"}. Lines are committed in batches of 1000; a malformed line",
        "is reported with its line number, its batch is rolled back and the import stops.",
        "The file is streamed; a line longer than 16 MiB stops the import the same way.",
      ]),
    Entry(
      name: ".export", usage: ".export FILE [--force]",
      summary: "Export every node, then every edge, as JSON Lines (APOC format); an existing FILE needs --force."),
    Entry(name: ".mode", usage: ".mode [table|json|line]", summary: "How results are printed (json: one object per line)."),
    Entry(name: ".timer", usage: ".timer on|off", summary: "Print each command's run time on stderr."),
    Entry(name: ".width", usage: ".width [N]", summary: "Fit tables to N columns (0: the terminal's width)."),
    Entry(name: ".limit", usage: ".limit [N]", summary: "Print at most N rows of a result (default 100; 0 or none: all)."),
    Entry(name: ".help", usage: ".help [COMMAND]", summary: "List the commands, or explain one."),
    Entry(name: ".quit", usage: ".quit", summary: "Leave the shell (also .exit, Ctrl-D); an open transaction is rolled back."),
  ]

  static var all: [Entry] { explore + change + transactions + meta }

  /// The usage line of `name` (for arity errors).
  static func usage(of name: String) -> String {
    all.first { $0.name == name }?.usage ?? name
  }

  /// `.help` (nil) or `.help COMMAND`.
  static func text(for command: String?) throws -> String {
    guard let command else { return overview() }
    let wanted = command.hasPrefix(".") || all.contains(where: { $0.name == command }) ? command : command.lowercased()
    guard let entry = all.first(where: { $0.name == wanted || $0.name == "." + wanted }) else {
      throw ShellError(ShellError.withSuggestion("no help for '\(command)'", word: command, among: all.map(\.name)))
    }
    return (["usage: " + entry.usage, "", entry.summary] + entry.details).joined(separator: "\n")
  }

  static func overview() -> String {
    var lines: [String] = []
    for (title, entries) in [("Explore", explore), ("Change", change), ("Transactions", transactions), ("Meta-commands", meta)] {
      lines.append(title + ":")
      let width = entries.map(\.usage.count).filter { $0 <= 40 }.max() ?? 0
      for entry in entries {
        let usage = entry.usage.count <= 40 ? entry.usage.padding(to: width) : entry.usage
        lines.append(
          entry.usage.count <= 40 ? "  \(usage)  \(entry.summary)" : "  \(usage)\n  \("".padding(to: width))  \(entry.summary)")
      }
      lines.append("")
    }
    lines.append("'.help COMMAND' explains one command; Ctrl-C cancels the line or the running command, Ctrl-D leaves.")
    return lines.joined(separator: "\n")
  }
}

extension String {
  /// The string padded with spaces on the right to `width` characters.
  fileprivate func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
