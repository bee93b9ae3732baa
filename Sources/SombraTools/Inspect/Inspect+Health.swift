import SombraCLI
import SombraCore

/// `sombra-inspect DB health`: the engine's health checks (`Database.health()`)
/// on a read-only open, for monitoring probes. Exit 0 when healthy, 1 when
/// degraded or unhealthy.
///
/// ```
/// graph.sombra: healthy
/// check              status     value        threshold
/// cache_hit_rate     healthy    -            0.8
/// ...
/// ```
/// A fresh read-only handle has not warmed its cache, so the cache check is
/// reported but not judged; corruption counts come from the file's lifetime facts.
extension SombraInspect {
  static func health(_ session: InspectSession, _ output: OutputOptions, _ context: ToolContext) throws -> ExitCode {
    let report = session.database.health()
    let status: ExitCode = report.status == .healthy ? .success : .failure
    if output.format == .json {
      context.writeJSON([
        JSONMember("command", "health"),
        JSONMember("path", .string(session.path)),
        JSONMember("status", .string(report.status.rawValue)),
        JSONMember(
          "checks",
          .array(
            report.checks.map { check in
              .object([
                JSONMember("name", .string(check.name)), JSONMember("status", .string(check.status.rawValue)),
                JSONMember("value", check.value.map(JSONValue.double) ?? .null),
                JSONMember("threshold", .double(check.threshold)),
                JSONMember("message", .string(check.message)),
              ])
            })),
      ])
      return status
    }
    context.standardOutput.writeLine("\(TerminalText.escapingControlCharacters(session.path)): \(report.status.rawValue)")
    var table = Table(columns: [
      Table.Column("check"), Table.Column("status"), Table.Column("value", alignment: .right),
      Table.Column("threshold", alignment: .right), Table.Column("detail"),
    ])
    for check in report.checks {
      table.append([check.name, check.status.rawValue, check.value.map(number) ?? "-", number(check.threshold), check.message])
    }
    context.standardOutput.write(table.render(style: context.boxStyle(output), maxWidth: context.width))
    return status
  }

  /// A value for the table: integers without a fraction, ratios with 3 decimals.
  static func number(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 9e15 { return String(Int64(value)) }
    return "\((value * 1000).rounded() / 1000)"
  }
}
