import SombraCLI
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Ctrl-C for the batch tools (`sombra-inspect`, `sombra-verify`,
/// `sombra-repair`): DESIGN.md §6 exit status 130.
///
/// A SIGINT handler installed without SA_RESTART only sets a flag (the one
/// thing a handler may safely do); the commands read it through
/// ``ToolContext/isInterrupted`` at their safe points, write `TOOL: interrupted`
/// and exit 130. Where each command stops is documented with the command
/// (`SombraVerify`, `PageSurvey`, `RepairRun.checkInterrupted()`). Tests set
/// `isInterrupted` to a closure of their own instead of sending a signal.
///
/// ```swift
/// var context = ToolContext.process()
/// context.handleInterrupts()                                   // main.swift
/// ```
enum ToolInterrupt {
  /// Set by the SIGINT handler, never cleared: the process is on its way out.
  static let flag = Atomic<Bool>(false)

  /// Installs the handler (once per process; later calls reinstall the same one).
  static func installHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in ToolInterrupt.flag.store(true, ordering: .relaxed) }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
  }
}

extension ToolContext {
  /// Installs the SIGINT handler and makes ``isInterrupted`` read its flag.
  public mutating func handleInterrupts() {
    ToolInterrupt.installHandler()
    isInterrupted = { ToolInterrupt.flag.load(ordering: .relaxed) }
  }

  /// At a safe point: when Ctrl-C was pressed, writes `TOOL: interrupted` to
  /// stderr and throws the exit (130).
  public func checkInterrupted(tool: String) throws(ToolExit) {
    guard isInterrupted() else { return }
    throw interrupted(tool: tool)
  }

  /// Writes `TOOL: interrupted` and returns the exit (130) to throw.
  public func interrupted(tool: String) -> ToolExit {
    standardError.writeLine("\(tool): interrupted")
    return ToolExit(.interrupted)
  }
}
