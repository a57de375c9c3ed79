// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: trailwatch → Replay → Engine → Rules → Events → Core.
// The C++ shims wrap Debian's simdjson (JSON parsing) and RE2 (linear-time regular expressions).
let package = Package(
    name: "trailwatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "trailwatch", targets: ["trailwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C interface over simdjson's DOM parser: one validating parse per line, then only the paths rules use.
        .target(
            name: "CSimdJSON",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        // C interface over RE2, so no rule or event can drive matching into catastrophic backtracking.
        .target(
            name: "CRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        .target(name: "TrailwatchCore"),
        .target(name: "TrailwatchEvents", dependencies: ["TrailwatchCore", "CSimdJSON"]),
        .target(name: "TrailwatchRules", dependencies: ["TrailwatchCore", "TrailwatchEvents", "CRE2"]),
        .target(
            name: "TrailwatchEngine",
            dependencies: [
                "TrailwatchCore", "TrailwatchEvents", "TrailwatchRules",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TrailwatchReplay",
            dependencies: ["TrailwatchCore", "TrailwatchEvents", "TrailwatchRules", "TrailwatchEngine"]
        ),
        .target(name: "TrailwatchCorpus"),
        .executableTarget(
            name: "trailwatch",
            dependencies: [
                "TrailwatchCore", "TrailwatchRules", "TrailwatchReplay", "TrailwatchCorpus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "TrailwatchCoreTests", dependencies: ["TrailwatchCore"]),
        .testTarget(name: "TrailwatchEventsTests", dependencies: ["TrailwatchEvents", "TrailwatchCore"]),
        .testTarget(name: "TrailwatchRulesTests", dependencies: ["TrailwatchRules", "TrailwatchEvents", "TrailwatchCore"]),
        .testTarget(
            name: "TrailwatchEngineTests",
            dependencies: ["TrailwatchEngine", "TrailwatchRules", "TrailwatchEvents", "TrailwatchCore"]
        ),
        .testTarget(name: "TrailwatchReplayTests", dependencies: ["TrailwatchReplay", "TrailwatchCore"]),
        .testTarget(name: "TrailwatchCorpusTests", dependencies: ["TrailwatchCorpus"]),
        // Runs the built `trailwatch` binary on real files: CLI behaviour, the conformance suite, the rule pack.
        .testTarget(name: "trailwatchCLITests", dependencies: ["trailwatch"]),
    ],
    cxxLanguageStandard: .cxx17
)
