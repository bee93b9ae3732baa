import SombraCLI
import Testing

@Suite("Display width, escaping, truncation and wrapping")
struct TerminalTextTests {
  @Test func asciiIsOneColumnPerCharacter() {
    #expect(TerminalText.width(of: "") == 0)
    #expect(TerminalText.width(of: "hello") == 5)
  }

  @Test func eastAsianWideAndFullwidthCharactersAreTwoColumns() {
    #expect(TerminalText.width(of: "東京") == 4)
    #expect(TerminalText.width(of: "한국어") == 6)
    #expect(TerminalText.width(of: "ｶﾀｶﾅ") == 4)  // half-width katakana stay narrow
    #expect(TerminalText.width(of: "ＡＢ") == 4)  // fullwidth Latin
    #expect(TerminalText.width(of: "　") == 2)  // ideographic space
  }

  @Test func emojiAreTwoColumnsIncludingJoinedSequencesAndFlags() {
    #expect(TerminalText.width(of: "🙂") == 2)
    #expect(TerminalText.width(of: "👨‍👩‍👧") == 2)
    #expect(TerminalText.width(of: "🇯🇵") == 2)
    #expect(TerminalText.width(of: "👍🏽") == 2)
  }

  @Test func variationSelectorsChooseEmojiOrTextPresentation() {
    #expect(TerminalText.width(of: "☺") == 1)
    #expect(TerminalText.width(of: "☺\u{FE0F}") == 2)
    #expect(TerminalText.width(of: "☔\u{FE0E}") == 1)
  }

  @Test func combiningMarksAndZeroWidthCharactersTakeNoColumns() {
    #expect(TerminalText.width(of: "e\u{301}") == 1)
    #expect(TerminalText.width(of: "a\u{200B}b") == 2)
    #expect(TerminalText.width(of: "\u{301}") == 0)
    #expect(TerminalText.width(of: "\u{1100}\u{1161}\u{11A8}") == 2)  // conjoining jamo: one syllable
  }

  @Test func controlCharactersAreEscapedVisibly() {
    #expect(TerminalText.escapingControlCharacters("a\nb\tc\r") == "a\\nb\\tc\\r")
    #expect(TerminalText.escapingControlCharacters("\u{1B}[31m\u{0}\u{7F}") == "\\u{1B}[31m\\u{00}\\u{7F}")
    #expect(TerminalText.escapingControlCharacters("\u{85}\u{9B}\u{2028}\u{202E}") == "\\u{85}\\u{9B}\\u{2028}\\u{202E}")
    #expect(TerminalText.escapingControlCharacters("plain\\path é 東") == "plain\\path é 東")
  }

  @Test func escapingSplitsCarriageReturnLineFeedIntoTwoEscapes() {
    #expect(TerminalText.escapingControlCharacters("a\r\nb") == "a\\r\\nb")
  }

  @Test func textThatFitsIsNotTruncated() {
    #expect(TerminalText.truncate("hello", toWidth: 5) == "hello")
    #expect(TerminalText.truncate("東京", toWidth: 4) == "東京")
  }

  @Test func truncationEndsInAnEllipsisWithinTheWidth() {
    #expect(TerminalText.truncate("hello world", toWidth: 6) == "hello…")
    #expect(TerminalText.truncate("hello world", toWidth: 6, ascii: true) == "hel...")
  }

  @Test func truncationNeverSplitsAWideCharacter() {
    #expect(TerminalText.truncate("東京タワー", toWidth: 4) == "東…")
    #expect(TerminalText.width(of: TerminalText.truncate("東京タワー", toWidth: 4)) == 3)
    #expect(TerminalText.truncate("ab🙂cd", toWidth: 4) == "ab…")
    #expect(TerminalText.truncate("e\u{301}e\u{301}e\u{301}", toWidth: 2) == "e\u{301}…")
  }

  @Test func widthsSmallerThanTheEllipsisGiveWhatFits() {
    #expect(TerminalText.truncate("hello", toWidth: 0) == "")
    #expect(TerminalText.truncate("hello", toWidth: 1) == "…")
    #expect(TerminalText.truncate("hello", toWidth: 2, ascii: true) == "..")
  }

  @Test func paddingCountsDisplayColumns() {
    #expect(TerminalText.pad("東", toWidth: 4) == "東  ")
    #expect(TerminalText.pad("42", toWidth: 5, alignment: .right) == "   42")
    #expect(TerminalText.pad("toolong", toWidth: 3) == "toolong")
  }

  @Test func wrappingBreaksAtSpacesAndSplitsOverlongWords() {
    #expect(TerminalText.wrap("the quick brown fox", width: 10) == ["the quick", "brown fox"])
    #expect(TerminalText.wrap("abcdefghij xy", width: 4) == ["abcd", "efgh", "ij", "xy"])
    #expect(TerminalText.wrap("東京タワー", width: 5) == ["東京", "タワ", "ー"])
    #expect(TerminalText.wrap("", width: 10) == [""])
    #expect(TerminalText.wrap("  spaced   out  ", width: 20) == ["spaced out"])
  }

  @Test func numbersAreRecognisedForRightAlignment() {
    for number in ["0", "-12", "1,024", "3.25", "99%", "1_000"] {
      #expect(TerminalText.looksNumeric(number), "\(number)")
    }
    for text in ["", "-", "1.2.3", "12a", ".5", "5.", "v1", "1e5"] {
      #expect(!TerminalText.looksNumeric(text), "\(text)")
    }
  }
}
