import SombraCLI
import Testing

@Suite("Terminal capabilities")
struct TerminalTests {
  func terminal(_ environment: [String: String], tty: Bool = true, window: Int? = 120, ascii: Bool = false) -> Terminal {
    Terminal(
      environment: environment, standardInputIsTerminal: tty, standardOutputIsTerminal: tty,
      standardErrorIsTerminal: tty, windowWidth: window, forcesASCII: ascii)
  }

  @Test func theWindowWidthWinsOnATerminal() {
    #expect(terminal(["COLUMNS": "100"]).width == 120)
  }

  @Test func columnsIsUsedWhenNotATerminalOrWhenTheWindowSizeIsUnknown() {
    #expect(terminal(["COLUMNS": "100"], tty: false).width == 100)
    #expect(terminal(["COLUMNS": "100"], window: nil).width == 100)
    #expect(terminal(["COLUMNS": "100"], window: 0).width == 100)
  }

  @Test func widthFallsBackToEightyForMissingOrBadColumns() {
    #expect(terminal([:], tty: false).width == 80)
    #expect(terminal(["COLUMNS": "wide"], tty: false).width == 80)
    #expect(terminal(["COLUMNS": "-3"], tty: false).width == 80)
    #expect(terminal(["COLUMNS": "0"], tty: false).width == 80)
  }

  @Test func theFirstNonEmptyLocaleVariableDecidesUTF8() {
    #expect(terminal(["LANG": "en_US.UTF-8"]).isUTF8)
    #expect(terminal(["LC_CTYPE": "de_DE.utf8", "LANG": "C"]).isUTF8)
    #expect(!terminal(["LC_ALL": "C", "LANG": "en_US.UTF-8"]).isUTF8)
    #expect(terminal(["LC_ALL": "", "LANG": "en_US.UTF-8"]).isUTF8)
    #expect(!terminal(["LANG": "POSIX"]).isUTF8)
    #expect(!terminal(["LANG": "en_US.ISO-8859-1"]).isUTF8)
    #expect(!terminal([:]).isUTF8)
  }

  @Test func unicodeDrawingNeedsAUTF8TerminalAndNoASCIIOverride() {
    #expect(terminal(["LANG": "C.UTF-8"]).boxStyle == .unicode)
    #expect(terminal(["LANG": "C.UTF-8"], tty: false).boxStyle == .ascii)
    #expect(terminal(["LANG": "C.UTF-8"], ascii: true).boxStyle == .ascii)
    #expect(terminal(["LANG": "C"]).boxStyle == .ascii)
  }

  @Test func colourNeedsATerminalWithoutNoColorOrDumbTerm() {
    #expect(terminal(["TERM": "xterm-256color"]).usesColor)
    #expect(terminal(["NO_COLOR": ""]).usesColor)
    #expect(!terminal(["NO_COLOR": "1"]).usesColor)
    #expect(!terminal(["TERM": "dumb"]).usesColor)
    #expect(!terminal([:], tty: false).usesColor)
  }

  @Test func styledTextGetsANSICodesOnlyWithColour() {
    #expect(terminal([:]).styled("bad", .red) == "\u{1B}[31mbad\u{1B}[0m")
    #expect(terminal(["NO_COLOR": "1"]).styled("bad", .red) == "bad")
  }

  @Test func detectionOfTheTestProcessDoesNotCrashAndHasAPositiveWidth() {
    let detected = Terminal.detect(environment: ["COLUMNS": "80", "NO_COLOR": "1"])
    #expect(detected.width >= 1)
    #expect(!detected.usesColor)
    #expect(Terminal.processEnvironment().keys.allSatisfy(Terminal.variables.contains))
  }
}
