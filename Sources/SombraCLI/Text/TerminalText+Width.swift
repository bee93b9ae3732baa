/// Measuring, escaping, truncating and wrapping text for a terminal.
///
/// Widths are in terminal columns. A grapheme cluster (a Swift `Character`)
/// is measured as the widest of its scalars, so `e` + combining acute is 1,
/// a ZWJ emoji sequence or a flag is 2, and a Hangul syllable spelled in
/// conjoining jamo is 2. U+FE0F (emoji presentation) makes a cluster 2 wide,
/// U+FE0E (text presentation) makes it at most 1.
///
/// `wcwidth` is not usable from Swift here (TOOLCHAIN.md), so the tables
/// below are our own: the main East Asian Wide/Fullwidth and emoji blocks,
/// and the zero-width ranges the general category does not already give
/// (conjoining jamo, variation selectors, tags). Nonspacing and enclosing
/// marks and format characters (ZWJ, ZWNJ, BOM, bidi controls) are found by
/// their Unicode general category and are zero width.
public enum TerminalText {
  /// The number of terminal columns `text` occupies.
  public static func width(of text: some StringProtocol) -> Int {
    var total = 0
    for character in text {
      total += width(of: character)
    }
    return total
  }

  /// The number of columns one grapheme cluster occupies: 0, 1 or 2.
  public static func width(of character: Character) -> Int {
    if let ascii = character.asciiValue {
      return ascii < 0x20 || ascii == 0x7F ? 0 : 1
    }
    var widest = 0
    var textPresentation = false
    for scalar in character.unicodeScalars {
      switch scalar.value {
      case 0xFE0F: widest = 2
      case 0xFE0E: textPresentation = true
      default: widest = max(widest, width(of: scalar))
      }
    }
    return textPresentation ? min(widest, 1) : widest
  }

  /// The width of a single scalar outside any cluster.
  static func width(of scalar: Unicode.Scalar) -> Int {
    let value = scalar.value
    if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
    if value < 0x300 { return 1 }
    if contains(zeroWidthRanges, value) { return 0 }
    if contains(wideRanges, value) { return 2 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: return 1
    }
  }

  /// Binary search in sorted, disjoint ranges.
  static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].upperBound < value {
        low = middle + 1
      } else if ranges[middle].lowerBound > value {
        high = middle
      } else {
        return true
      }
    }
    return false
  }

  /// Zero-width ranges not covered by the general category check.
  static let zeroWidthRanges: [ClosedRange<UInt32>] = [
    0x0300...0x036F,  // combining diacritical marks
    0x1160...0x11FF,  // Hangul jamo medial vowels and final consonants
    0x1AB0...0x1AFF,  // combining diacritical marks extended
    0x1DC0...0x1DFF,  // combining diacritical marks supplement
    0x200B...0x200F,  // zero width space, ZWNJ, ZWJ, direction marks
    0x20D0...0x20FF,  // combining marks for symbols
    0xD7B0...0xD7FF,  // Hangul jamo extended-B
    0xFE00...0xFE0F,  // variation selectors
    0xFE20...0xFE2F,  // combining half marks
    0xFEFF...0xFEFF,  // zero width no-break space
    0xE0000...0xE007F,  // tags
    0xE0100...0xE01EF,  // variation selectors supplement
  ]

  /// East Asian Wide and Fullwidth ranges, and emoji shown two wide.
  static let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F,  // Hangul jamo initial consonants
    0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
    0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653,
    0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB,
    0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4,
    0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA,
    0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
    0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757,
    0x2795...0x2797, 0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C,
    0x2B50...0x2B50, 0x2B55...0x2B55,  // emoji-presentation symbols
    0x2E80...0x303E,  // CJK radicals, ideographic description, CJK punctuation
    0x3041...0x33FF,  // kana, bopomofo, Hangul compatibility jamo, CJK compatibility
    0x3400...0x4DBF,  // CJK extension A
    0x4E00...0x9FFF,  // CJK unified ideographs
    0xA000...0xA4CF,  // Yi
    0xA960...0xA97F,  // Hangul jamo extended-A
    0xAC00...0xD7A3,  // Hangul syllables
    0xF900...0xFAFF,  // CJK compatibility ideographs
    0xFE10...0xFE19,  // vertical forms
    0xFE30...0xFE6F,  // CJK compatibility forms, small form variants
    0xFF00...0xFF60,  // fullwidth forms
    0xFFE0...0xFFE6,  // fullwidth signs
    0x16FE0...0x16FE4, 0x17000...0x18CFF,  // Tangut, Khitan
    0x1B000...0x1B2FF,  // kana supplement and extensions
    0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A,
    0x1F1E6...0x1F1FF,  // regional indicators (flags)
    0x1F200...0x1F2FF,  // enclosed ideographic supplement
    0x1F300...0x1F64F,  // pictographs, emoticons
    0x1F680...0x1F6FF,  // transport and map symbols
    0x1F7E0...0x1F7EB,  // coloured circles and squares
    0x1F90C...0x1F9FF,  // supplemental symbols and pictographs
    0x1FA70...0x1FAFF,  // symbols and pictographs extended-A
    0x20000...0x2FFFD, 0x30000...0x3FFFD,  // CJK extensions B and later
  ]
}
