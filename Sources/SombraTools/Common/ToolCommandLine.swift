import SombraCLI
import SombraCore

/// The front of every tool: parse the arguments against the declaration,
/// print help or the version line (stdout, exit 0) or a usage error (stderr,
/// exit 2), run the body, and turn a thrown ``ToolExit`` or engine error into
/// the exit status. Every tool answers `--version` with
/// `TOOL 0.4.0 (format 3.1, commit 1a2b3c4, Swift 6.3.1)` (`SombraVersion`).
///
/// ```swift
/// public static func main(_ arguments: [String], context: ToolContext) -> ExitCode {
///   ToolCommandLine(spec).run(arguments, context: context) { parsed in
///     ... return .success
///   }
/// }
/// ```
public struct ToolCommandLine: Sendable {
  /// The tool's declaration (the root command).
  public let spec: CommandSpec

  /// A front for the tool declared by `spec`; it gains `--version` when the
  /// declaration has none of its own.
  public init(_ spec: CommandSpec) {
    var spec = spec
    spec.version = spec.version ?? SombraVersion.description
    self.spec = spec
  }

  /// Parses `arguments` (without the program name) and runs `body` with the
  /// result; returns the exit status.
  public func run(
    _ arguments: [String], context: ToolContext, body: (ParsedArguments) throws -> ExitCode
  ) -> ExitCode {
    do {
      return try body(try parse(arguments, context: context))
    } catch {
      return context.exit(for: error, tool: spec.name).exitCode
    }
  }

  /// The parsed arguments; help and usage errors are written and thrown as a
  /// ``ToolExit`` (0 and 2).
  public func parse(_ arguments: [String], context: ToolContext) throws(ToolExit) -> ParsedArguments {
    let formatter = HelpFormatter(root: spec)
    do {
      switch try ArgumentParser(spec).parse(arguments) {
      case .run(let parsed):
        return parsed
      case .help(let path):
        context.standardOutput.write(formatter.help(for: path, width: context.terminal.width))
        throw ToolExit(.success)
      case .version:
        context.standardOutput.writeLine(formatter.versionLine ?? spec.name)
        throw ToolExit(.success)
      }
    } catch let error as UsageError {
      throw usageError(error.message, commandPath: error.commandPath, context: context)
    } catch let exit as ToolExit {
      throw exit
    } catch {
      throw context.exit(for: error, tool: spec.name)
    }
  }

  /// Writes a usage error found after parsing (a value the declaration cannot
  /// check) the contract's way: `error: ...`, the usage line of the command at
  /// `commandPath` and `see '... --help'`; returns the exit (status 2).
  public func usageError(_ message: String, commandPath: [String], context: ToolContext) -> ToolExit {
    HelpFormatter(root: spec).report(UsageError(message, commandPath: commandPath), to: context.standardError)
    return ToolExit(.usage)
  }
}
