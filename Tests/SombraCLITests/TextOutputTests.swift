import Glibc
import SombraCLI
import Testing

@Suite("Text output streams")
struct TextOutputTests {
  @Test func memoryOutputCollectsEverythingWritten() {
    let output = MemoryOutput()
    output.write("a")
    output.writeLine("b")
    output.writeLine()
    #expect(output.text == "ab\n\n")
  }

  @Test func fileDescriptorOutputWritesEveryByteOfALargeTextToAPipe() async throws {
    var descriptors: [Int32] = [0, 0]
    try #require(pipe(&descriptors) == 0)
    let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
    defer { close(readEnd) }
    let text = String(repeating: "東京 line\n", count: 2_000)  // more than one pipe write
    let reader = Task.detached { () -> [UInt8] in
      var received: [UInt8] = []
      var chunk = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = read(readEnd, &chunk, chunk.count)
        if count <= 0 { return received }
        received += chunk[0..<count]
      }
    }
    FileDescriptorOutput(fileDescriptor: writeEnd).write(text)
    close(writeEnd)
    let received = await reader.value
    #expect(String(decoding: received, as: UTF8.self) == text)
  }

  @Test func writingToAClosedDescriptorFailsQuietly() {
    FileDescriptorOutput(fileDescriptor: -1).write("lost")
  }
}
