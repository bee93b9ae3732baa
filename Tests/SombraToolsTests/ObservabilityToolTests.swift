import Glibc
import Logging
import SombraCLI
import SombraCore
import SombraTestSupport
import SombraTools
import Testing

/// The tools' side of observability: `sombra-inspect DB health`,
/// `sombra-verify --metrics-file`, and `--log-level`/`--log-format` with
/// `SOMBRA_LOG_LEVEL`, run in-process with `COLUMNS=80 NO_COLOR=1`.
@Suite struct ObservabilityToolTests {
  func verify(_ arguments: [String], environment: [String: String] = InspectFixture.environment) -> (
    status: ExitCode, out: String, err: String
  ) {
    let (context, out, err) = ToolContext.capturing(environment)
    let status = SombraVerify.main(arguments, context: context)
    return (status, out.text, err.text)
  }

  @Test func healthOfACleanDatabaseExitsZeroAndListsEveryCheck() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let result = inspect([path, "health", "--json"])
    #expect(result.err == "")
    let document = try JSONParser.parse(result.out)
    guard case .object(let members) = document else {
      Issue.record("not an object: \(result.out)")
      return
    }
    let byName = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    #expect(byName["schema"] == .integer(1))
    #expect(byName["command"] == .string("health"))
    guard case .array(let checks)? = byName["checks"] else {
      Issue.record("no checks")
      return
    }
    let names = checks.compactMap { check -> String? in
      guard case .object(let m) = check, case .string(let name)? = m.first(where: { $0.key == "name" })?.value else { return nil }
      return name
    }
    #expect(names == ["cache_hit_rate", "wal_size", "corruption_errors", "checkpoint_age", "poisoned", "free_disk"])
    // The scratch file system may be short of the 256 MiB default: the exit
    // status follows the verdict either way.
    let healthy = byName["status"] == .string("healthy")
    #expect(result.status == (healthy ? .success : .failure))
    let text = inspect([path, "health"])
    #expect(text.out.hasPrefix("\(path): \(healthy ? "healthy" : "degraded")"))
    #expect(text.out.contains("| corruption_errors | healthy"))
  }

  @Test func healthIsDegradedWhenTheFileHasSeenCorruption() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    // Stamp a corruption event into the lifetime facts, as a session that met one would.
    let db = try Database.open(path, options: InspectFixture.options)
    try db.write { tx in try tx.pages.updateHeader { $0.nextNodeID += 0 } }
    try db.close()
    var bytes = fileBytes(path) ?? []
    try #require(bytes.count >= 4096)
    bytes[168] = 2
    let crc = CRC32C.checksum(Array(bytes[0..<4092]))
    for i in 0..<4 { bytes[4092 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    writeFile(path, bytes)
    let result = inspect([path, "health"])
    #expect(result.status == .failure)
    #expect(result.out.contains("| corruption_errors | degraded"))
  }

  @Test func verifyWritesAPrometheusTextfileAtomically() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = try VerifyToolTests().damagedGraph(dir)
    let metrics = dir.file("text.txt")
    let clean = dir.file("w.sombra")
    try InspectFixture.makeGraph(at: clean)

    #expect(verify(["-q", "--metrics-file", metrics, clean]).status == .success)
    let first = String(decoding: fileBytes(metrics) ?? [], as: UTF8.self)
    let lastClean = try #require(value(first, "sombra_verify_last_clean_timestamp_seconds"))
    #expect(value(first, "sombra_verify_success") == 1)
    #expect(value(first, "sombra_verify_problems") == 0)
    #expect(value(first, "sombra_verify_database_bytes") == Double(fileBytes(clean)?.count ?? -1))
    #expect(lastClean > 1_700_000_000)
    for line in first.split(separator: "\n") {
      if line.hasPrefix("#") {
        #expect(line.hasPrefix("# HELP sombra_verify_") || line.hasPrefix("# TYPE sombra_verify_"))
      } else {
        #expect(line.contains("{database=\"\(clean)\"} "))
      }
    }

    #expect(verify(["-q", "--metrics-file", metrics, path]).status == .failure)
    let second = String(decoding: fileBytes(metrics) ?? [], as: UTF8.self)
    #expect(value(second, "sombra_verify_success") == 0)
    #expect((value(second, "sombra_verify_problems") ?? 0) >= 1)
    #expect(value(second, "sombra_verify_last_clean_timestamp_seconds") == lastClean, "carried over from the clean run")
    #expect(!POSIXStorageSystem().exists(metrics + ".tmp-\(getpid())"))
  }

  @Test func logLevelWritesEngineEventsToStderrAsTextOrJSONLines() throws {
    let dir = try ScratchDirectory(prefix: "sombra-inspect")
    let path = dir.file("g.sombra")
    try InspectFixture.makeGraph(at: path)
    let quiet = verify([path])
    #expect(quiet.err == "", "no logging unless asked")

    let text = verify(["--log-level", "info", path])
    #expect(text.status == .success)
    let line = try #require(text.err.split(separator: "\n").first)
    #expect(line.contains(" info sombra: opened "))
    #expect(line.contains("read_only=true"))
    #expect(line.contains("sombra.path=\(path)"))

    var environment = InspectFixture.environment
    environment["SOMBRA_LOG_LEVEL"] = "info"
    let json = verify(["--log-format", "json", path], environment: environment)
    let first = try #require(json.err.split(separator: "\n").first)
    guard case .object(let members) = try JSONParser.parse(String(first)) else {
      Issue.record("not a JSON object: \(first)")
      return
    }
    #expect(members.map(\.key) == ["ts", "level", "label", "message", "metadata"])
    #expect(members.first { $0.key == "message" }?.value == .string("opened"))
    #expect(members.first { $0.key == "level" }?.value == .string("info"))
  }

  @Test func theHandlerWritesOneLinePerEventWithSortedMetadata() {
    let lines = Lines()
    var logger = Logger(label: "sombra") { label in
      ToolLogHandler(label: label, json: false, clock: { "T" }) { lines.append($0) }
    }
    logger.logLevel = .debug
    logger.debug("commit", metadata: ["tx": "7", "pages": "3", "note": "a\nb"])
    logger.trace("dropped")
    var json = Logger(label: "sombra") { label in ToolLogHandler(label: label, json: true, clock: { "T" }) { lines.append($0) } }
    json.logLevel = .info
    json.warning("slow \"op\"", metadata: ["operation": "commit"])
    #expect(
      lines.all == [
        "T debug sombra: commit note=a\\nb pages=3 tx=7\n",
        "{\"ts\":\"T\",\"level\":\"warning\",\"label\":\"sombra\",\"message\":\"slow \\\"op\\\"\",\"metadata\":{\"operation\":\"commit\"}}\n",
      ])
  }

  func value(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
      if let space = line.lastIndex(of: " ") { return Double(line[line.index(after: space)...]) }
    }
    return nil
  }
}

/// Lines collected by a test log handler.
final class Lines: @unchecked Sendable {
  private var lines: [String] = []
  private let lock = NSLockLike()
  func append(_ line: String) { lock.locked { lines.append(line) } }
  var all: [String] { lock.locked { lines } }
}

/// A pthread mutex (the tests run without Foundation).
final class NSLockLike: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  init() { pthread_mutex_init(&mutex, nil) }
  deinit { pthread_mutex_destroy(&mutex) }
  func locked<R>(_ body: () -> R) -> R {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return body()
  }
}
