import Testing

/// The real executables, built next to the test bundle, run as users run them.
enum ToolBinary {
  /// The path of the tool `name` (`sombra`, `sombra-verify`, ...).
  static func path(_ name: String) throws -> String {
    let inspect = try #require(InspectBinary.find(), "the tools are not built next to the test bundle")
    return String(inspect.dropLast("sombra-inspect".count)) + name
  }

  /// Runs the tool `name` with `arguments`; standard input is the file `input`
  /// when given; `environment` (`NAME=value`) adds to `COLUMNS=80 NO_COLOR=1 LANG=C`.
  static func run(
    _ name: String, _ arguments: [String], input: String? = nil, environment: [String] = []
  ) throws -> (status: Int32, out: String, err: String) {
    try InspectBinary.run(try path(name), arguments, input: input, environment: environment)
  }
}
