import Glibc
import SombraCore
import SombraFuzzSupport
import Testing

/// Every file under `Fixtures/fuzz/TARGET/` (the seed corpus and each input
/// that once crashed a fuzz target) run through the target's body in the
/// ordinary suite, so a fixed crash stays fixed without libFuzzer.
@Suite struct FuzzReplayTests {
  /// `Fixtures/fuzz`, found from this file's path (Tests/SombraFuzzTests/).
  static var fuzzDirectory: String {
    #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/") + "/Fixtures/fuzz"
  }

  static func files(in directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if !name.hasPrefix("."), name != "README.md" { names.append(name) }
    }
    return names.sorted()
  }

  static func contents(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      bytes += chunk[0..<count]
      if count < chunk.count { return bytes }
    }
  }

  @Test(arguments: FuzzEntry.targets.keys.sorted())
  func everySeedAndRegressionInputRunsCleanly(target: String) throws {
    let body = try #require(FuzzEntry.targets[target])
    let inputs = Self.files(in: Self.fuzzDirectory + "/" + target)
    #expect(!inputs.isEmpty, "Fixtures/fuzz/\(target)/ has no seed")
    for name in inputs {
      let bytes = try #require(Self.contents(Self.fuzzDirectory + "/" + target + "/" + name))
      #expect(body(bytes) == nil, "\(target) on \(name)")
    }
  }

  /// The base database the engine targets start from is whole: it verifies
  /// clean, reopened read-only and read-write, with and without its WAL.
  @Test func theBaseDatabaseVerifiesCleanWithAndWithoutItsWAL() {
    #expect(FuzzDatabase.checkpointed.count >= 8 * 8192)
    #expect(!FuzzDatabase.withWAL.wal.isEmpty)
    for readOnly in [true, false] {
      let plain = FuzzDatabase.exercise(main: FuzzDatabase.checkpointed, wal: nil, readOnly: readOnly)
      #expect(plain?.isClean == true, "\(plain?.problems ?? [])")
      let logged = FuzzDatabase.exercise(main: FuzzDatabase.withWAL.main, wal: FuzzDatabase.withWAL.wal, readOnly: readOnly)
      #expect(logged?.isClean == true, "\(logged?.problems ?? [])")
      #expect(logged?.counts.nodes == 42, "the WAL's commits are there: \(logged?.counts.nodes ?? -1) nodes")
    }
  }
}
