import SombraCLI
import Testing

@Suite("Progress lines and confirmations")
struct InteractionTests {
  @Test func progressIsDrawnWithCarriageReturnsAndClearedAtTheEnd() {
    let stderr = MemoryOutput()
    let progress = ProgressLine(output: stderr, isEnabled: true, width: 12)
    progress.update("page 1 of 9")
    progress.update("page 1 of 9")
    progress.update("page 20 of 900")
    progress.finish()
    #expect(stderr.text == "\rpage 1 of 9\u{1B}[K\rpage 20 of…\u{1B}[K\r\u{1B}[K")
  }

  @Test func progressIsSilentWhenStandardErrorIsNotATerminal() {
    let stderr = MemoryOutput()
    let terminal = Terminal(
      environment: [:], standardInputIsTerminal: false, standardOutputIsTerminal: false,
      standardErrorIsTerminal: false)
    let progress = ProgressLine(terminal: terminal, output: stderr)
    progress.update("working")
    progress.finish()
    #expect(!progress.isEnabled)
    #expect(stderr.text == "")
  }

  @Test func progressMessagesAreEscaped() {
    let stderr = MemoryOutput()
    ProgressLine(output: stderr, isEnabled: true, width: 80, ascii: true).update("a\nb")
    #expect(stderr.text == "\ra\\nb\u{1B}[K")
  }

  @Test func finishingWithoutAnyUpdateWritesNothing() {
    let stderr = MemoryOutput()
    ProgressLine(output: stderr, isEnabled: true, width: 80).finish()
    #expect(stderr.text == "")
  }

  @Test func yesInAnyCaseConfirms() {
    for answer in ["y", "Y", "yes", " YES ", "Yes\r"] {
      let output = MemoryOutput()
      #expect(Confirmation.ask("Vacuum graph.sombra?", input: MemoryInput(lines: [answer]), output: output))
      #expect(output.text == "Vacuum graph.sombra? [y/N] ")
    }
  }

  @Test func anythingElseDeclines() {
    for answer in ["", "n", "no", "yess", "y es", "sure"] {
      #expect(!Confirmation.ask("Go?", input: MemoryInput(lines: [answer]), output: MemoryOutput()))
    }
  }

  @Test func endOfInputDeclinesAndEndsThePromptLine() {
    let output = MemoryOutput()
    #expect(!Confirmation.ask("Go?", input: MemoryInput(lines: []), output: output))
    #expect(output.text == "Go? [y/N] \n")
  }
}
