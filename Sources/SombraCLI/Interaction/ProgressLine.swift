/// A one-line progress indicator on standard error.
///
/// It draws only when enabled, which ``init(terminal:output:)`` does only
/// when stderr is a terminal; otherwise every call does nothing, so tools
/// can report progress unconditionally and pipes and logs stay clean.
/// Each update returns to the start of the line (`\r`), writes the message
/// (escaped and cut to one column less than the width, so the cursor never
/// wraps) and erases the rest of the line (`ESC [K`). ``finish()`` erases
/// the line.
public final class ProgressLine {
  private let output: any TextOutput
  private let width: Int
  private let ascii: Bool
  private var lastMessage: String?

  /// Whether updates are drawn.
  public let isEnabled: Bool

  /// A progress line drawn on `output` only when `isEnabled`.
  public init(output: any TextOutput, isEnabled: Bool, width: Int, ascii: Bool = false) {
    self.output = output
    self.isEnabled = isEnabled
    self.width = width
    self.ascii = ascii
  }

  /// A progress line on `output` (standard error) enabled when standard
  /// error is a terminal.
  public convenience init(terminal: Terminal, output: any TextOutput) {
    self.init(
      output: output,
      isEnabled: terminal.standardErrorIsTerminal,
      width: terminal.width,
      ascii: !terminal.usesUnicode
    )
  }

  /// Replaces the line with `message`; an unchanged message is not redrawn.
  public func update(_ message: String) {
    guard isEnabled, message != lastMessage else { return }
    lastMessage = message
    let text = TerminalText.escapingControlCharacters(message)
    output.write("\r" + TerminalText.truncate(text, toWidth: width - 1, ascii: ascii) + "\u{1B}[K")
  }

  /// Erases the line if anything was drawn.
  public func finish() {
    guard isEnabled, lastMessage != nil else { return }
    lastMessage = nil
    output.write("\r\u{1B}[K")
  }
}
