/// Asking the user to confirm a destructive operation.
public enum Confirmation {
  /// Writes `question` followed by ` [y/N] ` to `output`, reads one line
  /// and returns whether the answer was `y` or `yes` (any case, surrounding
  /// spaces ignored). Anything else, an empty line or end of input is "no";
  /// at end of input a newline is written so the next output starts on a
  /// fresh line. A line too long to read is "no" as well.
  public static func ask(_ question: String, input: any TextInput, output: any TextOutput) -> Bool {
    output.write(question + " [y/N] ")
    guard let answer = (try? input.readLine()) ?? nil else {
      output.write("\n")
      return false
    }
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    var word = Substring(answer)
    while let first = word.first, isBlank(first) { word.removeFirst() }
    while let last = word.last, isBlank(last) { word.removeLast() }
    let normalized = word.lowercased()
    return normalized == "y" || normalized == "yes"
  }
}
