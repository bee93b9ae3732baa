// swift-tools-version:6.1
//
// Sombra: an embedded single-file property-graph database and its operator
// toolkit. Module layout and dependency direction: DESIGN.md §2.
import PackageDescription

let package = Package(
  name: "Sombra",
  products: [
    .library(name: "SombraCore", targets: ["SombraCore"]),
    .executable(name: "sombra", targets: ["sombra"]),
    .executable(name: "sombra-bench", targets: ["sombra-bench"]),
    .executable(name: "sombra-inspect", targets: ["sombra-inspect"]),
    .executable(name: "sombra-repair", targets: ["sombra-repair"]),
    .executable(name: "sombra-verify", targets: ["sombra-verify"]),
  ],
  dependencies: [
    // Logging for libraries: SombraCore takes a Logger, never bootstraps (DESIGN.md §2).
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0")
  ],
  targets: [
    // Hardware CRC-32C (SSE4.2); the portable path lives in SombraCore.
    .target(name: "CSombraCRC"),
    .target(
      name: "SombraCore", dependencies: ["CSombraCRC", .product(name: "Logging", package: "swift-log")],
      plugins: ["SombraBuildInfo"]),
    // Writes the commit and compiler of each build into SombraCore
    // (`SombraVersion`, every tool's `--version`); git, when there is a .git.
    .plugin(name: "SombraBuildInfo", capability: .buildTool()),
    // libedit for the `sombra` REPL (readline-compatible API plus shim.h wrappers).
    .systemLibrary(
      name: "CLibedit",
      pkgConfig: "libedit",
      providers: [.apt(["libedit-dev"])]
    ),
    // The hand-rolled command-line kit: arguments, help, terminal, rendering, JSON.
    .target(name: "SombraCLI"),
    // Each tool command as a function over the engine and the kit, writing to
    // injected streams and returning an exit status; the REPL reuses them.
    .target(name: "SombraTools", dependencies: ["SombraCore", "SombraCLI", .product(name: "Logging", package: "swift-log")]),
    // `sombra-inspect DB COMMAND`: parse, call SombraTools, exit.
    .executableTarget(name: "sombra-inspect", dependencies: ["SombraTools"]),
    // `sombra-repair DB COMMAND`: parse, call SombraTools, exit.
    .executableTarget(name: "sombra-repair", dependencies: ["SombraTools"]),
    // `sombra [options] DB`: the REPL (SombraTools' shell; libedit only for the
    // interactive loop).
    .executableTarget(name: "sombra", dependencies: ["SombraTools", "SombraCLI", "CLibedit"]),
    // `sombra-verify [options] DB`: parse, call SombraTools, exit.
    .executableTarget(name: "sombra-verify", dependencies: ["SombraTools"]),
    // The benchmark of shared/bench/WORKLOAD.md (build with -c release).
    .executableTarget(
      name: "sombra-bench", dependencies: ["SombraCore", "SombraCLI", .product(name: "Logging", package: "swift-log")]),
    // libFuzzer targets (scripts/fuzz; not products). A plain `swift build`
    // links each to an executable that does nothing.
    .executableTarget(name: "fuzz-text", dependencies: ["SombraFuzzSupport"]),
    .executableTarget(name: "fuzz-page", dependencies: ["SombraFuzzSupport"]),
    .executableTarget(name: "fuzz-wal", dependencies: ["SombraFuzzSupport"]),
    // The fuzz targets' bodies, base database and patching, shared with the
    // replay tests (not a product).
    .target(name: "SombraFuzzSupport", dependencies: ["SombraCore", "SombraCLI", "SombraTools", "SombraTestSupport"]),
    // `sombra-fixtures DIR`: writes Fixtures/ (scripts/make-fixtures; not a product).
    .executableTarget(name: "sombra-fixtures", dependencies: ["SombraCore"]),
    // What only tests use: the simulated disk (faults, power loss), storage
    // wrappers, threads, scratch directories and waits. No product depends on
    // it, so the engine ships no test doubles.
    .target(name: "SombraTestSupport", dependencies: ["SombraCore"]),
    .testTarget(
      name: "SombraCoreTests",
      dependencies: ["SombraCore", "SombraTestSupport", .product(name: "Logging", package: "swift-log")]),
    .testTarget(name: "SombraCLITests", dependencies: ["SombraCLI"]),
    .testTarget(name: "SombraFuzzTests", dependencies: ["SombraFuzzSupport", "SombraCore"]),
    .testTarget(
      name: "SombraToolsTests",
      dependencies: [
        "SombraTools", "SombraCore", "SombraCLI", "SombraTestSupport", "sombra-fixtures",
        .product(name: "Logging", package: "swift-log"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
