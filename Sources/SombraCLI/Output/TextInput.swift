/// Where a tool reads lines from (confirmation answers, scripts). Injected
/// so tests can supply the answers.
public protocol TextInput: AnyObject {
    /// The next line without its line terminator, or `nil` at end of input.
    func readLine() -> String?
}

/// Lines from the process's standard input.
public final class StandardInput: TextInput {
    /// Reads from descriptor 0 through the C library's buffered `stdin`.
    public init() {}

    public func readLine() -> String? {
        Swift.readLine(strippingNewline: true)
    }
}

/// Lines supplied up front, for tests.
public final class MemoryInput: TextInput {
    private var lines: [String]
    private var next = 0

    /// Input that yields `lines` in order, then end of input.
    public init(lines: [String]) {
        self.lines = lines
    }

    public func readLine() -> String? {
        guard next < lines.count else { return nil }
        defer { next += 1 }
        return lines[next]
    }
}
