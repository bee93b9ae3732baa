// swift-tools-version:6.1
//
// Sombra: an embedded single-file property-graph database and its operator
// toolkit. Module layout and dependency direction: DESIGN.md §2.
import PackageDescription

let package = Package(
  name: "Sombra",
  products: [
    .library(name: "SombraCore", targets: ["SombraCore"])
  ],
  targets: [
    // Hardware CRC-32C (SSE4.2); the portable path lives in SombraCore.
    .target(name: "CSombraCRC"),
    .target(
      name: "SombraCore",
      dependencies: ["CSombraCRC"],
      swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
    ),
    // libedit for the `sombra` REPL (readline-compatible API plus shim.h wrappers).
    .systemLibrary(
      name: "CLibedit",
      pkgConfig: "libedit",
      providers: [.apt(["libedit-dev"])]
    ),
    .testTarget(name: "SombraCoreTests", dependencies: ["SombraCore"]),
  ],
  swiftLanguageModes: [.v6]
)
