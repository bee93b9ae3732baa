import SombraCLI
import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// Everything a tool command touches outside the database: its streams, its
/// environment, the terminal's capabilities and the storage its files live on.
/// Every command function takes one, so tests run commands in-process with
/// ``MemoryOutput``s, a fixed environment (`COLUMNS=80 NO_COLOR=1`) and, for
/// crash simulation, a simulated disk; the REPL runs them on its own streams.
///
/// ```swift
/// let context = ToolContext.process()                        // main.swift
/// let (context, out, err) = ToolContext.capturing(["COLUMNS": "80"])  // tests
/// ```
public struct ToolContext {
  /// Results (DESIGN.md §6: stdout carries results).
  public var standardOutput: any TextOutput
  /// Errors, warnings, hints and progress.
  public var standardError: any TextOutput
  /// Answers to confirmations and scripts.
  public var standardInput: any TextInput
  /// The environment variables the tool may read (see `Terminal.variables`).
  public var environment: [String: String]
  /// Width, UTF-8, colour and which streams are terminals.
  public var terminal: Terminal
  /// Whether Ctrl-C was pressed; long commands check it at safe points and
  /// exit 130 (``checkInterrupted(tool:)``). Never, unless
  /// ``handleInterrupts()`` or a test sets it.
  public var isInterrupted: () -> Bool = { false }
  /// Every file the command opens, creates, renames, links, removes or syncs
  /// goes through this (POSIX, unless a test injects a simulated disk).
  package var storage: any StorageSystem = POSIXStorageSystem()

  /// A context from explicit parts.
  public init(
    standardOutput: any TextOutput, standardError: any TextOutput, standardInput: any TextInput,
    environment: [String: String], terminal: Terminal
  ) {
    self.standardOutput = standardOutput
    self.standardError = standardError
    self.standardInput = standardInput
    self.environment = environment
    self.terminal = terminal
  }

  /// The variables the tools document beyond the terminal's
  /// (`Terminal.variables`): every one must be listed here, or the real
  /// executables never see it.
  public static let variables = ["SOMBRA_LOG_LEVEL", "SOMBRA_HISTORY", "XDG_STATE_HOME", "HOME"]

  /// The running process: descriptors 0, 1 and 2, its environment (the
  /// terminal's variables and the tools' own), and the terminal detected from them.
  public static func process() -> ToolContext {
    var environment = Terminal.processEnvironment()
    for name in variables {
      if let value = getenv(name) { environment[name] = String(cString: value) }
    }
    return ToolContext(
      standardOutput: FileDescriptorOutput.standardOutput, standardError: FileDescriptorOutput.standardError,
      standardInput: StandardInput(), environment: environment, terminal: Terminal.detect(environment: environment))
  }

  /// A context writing into memory, for tests: no stream is a terminal, the
  /// terminal is decided from `environment` alone, and stdin yields `input`.
  public static func capturing(
    _ environment: [String: String], input: [String] = []
  ) -> (context: ToolContext, standardOutput: MemoryOutput, standardError: MemoryOutput) {
    let out = MemoryOutput()
    let err = MemoryOutput()
    let terminal = Terminal(
      environment: environment, standardInputIsTerminal: false, standardOutputIsTerminal: false,
      standardErrorIsTerminal: false)
    let context = ToolContext(
      standardOutput: out, standardError: err, standardInput: MemoryInput(lines: input), environment: environment,
      terminal: terminal)
    return (context, out, err)
  }
}
