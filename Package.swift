// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: trailwatch → Daemon → (State, Sources, Systemd, Replay) → Engine → Rules → Events → Core.
// The C++ shims wrap Debian's simdjson (JSON parsing) and RE2 (linear-time regular expressions);
// CSystemd is Debian's libsystemd (sd_notify, the journal).
let package = Package(
    name: "trailwatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "trailwatch", targets: ["trailwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C interface over simdjson: stage 1 plus one validating pass that extracts only the paths rules use
        // (the DOM parser where that pass declines a line).
        .target(
            name: "CSimdJSON",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        // C interface over RE2, so no rule or event can drive matching into catastrophic backtracking.
        .target(
            name: "CRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        // libsystemd: readiness, status and watchdog for systemd, structured logging to the journal.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
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
        .target(name: "TrailwatchSystemd", dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]),
        // Decoding of the daemon's configuration blocks: located errors, member paths, secrets.
        .target(name: "TrailwatchConfiguration", dependencies: ["TrailwatchCore"]),
        // One folder per sink: settings, a pure payload builder, the transport.
        .target(
            name: "TrailwatchSinks",
            dependencies: [
                "TrailwatchCore", "TrailwatchConfiguration", "TrailwatchSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(name: "TrailwatchSources", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(
            name: "TrailwatchState",
            dependencies: ["TrailwatchCore", "TrailwatchEngine", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "TrailwatchDaemon",
            dependencies: [
                "TrailwatchCore", "TrailwatchEvents", "TrailwatchRules", "TrailwatchEngine", "TrailwatchReplay",
                "TrailwatchState", "TrailwatchSources", "TrailwatchSystemd", "TrailwatchConfiguration", "TrailwatchSinks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "trailwatch",
            dependencies: [
                "TrailwatchCore", "TrailwatchRules", "TrailwatchReplay", "TrailwatchCorpus", "TrailwatchDaemon",
                "TrailwatchSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Fixtures and helpers shared by several test targets.
        .target(
            name: "TrailwatchTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TrailwatchTestSupport"
        ),
        .testTarget(name: "TrailwatchCoreTests", dependencies: ["TrailwatchCore"]),
        .testTarget(name: "TrailwatchEventsTests", dependencies: ["TrailwatchEvents", "TrailwatchCore"]),
        .testTarget(name: "TrailwatchRulesTests", dependencies: ["TrailwatchRules", "TrailwatchEvents", "TrailwatchCore"]),
        .testTarget(
            name: "TrailwatchEngineTests",
            dependencies: [
                "TrailwatchEngine", "TrailwatchRules", "TrailwatchEvents", "TrailwatchCore", "TrailwatchTestSupport",
                "TrailwatchCorpus",
            ]
        ),
        .testTarget(name: "TrailwatchReplayTests", dependencies: ["TrailwatchReplay", "TrailwatchCore"]),
        .testTarget(name: "TrailwatchCorpusTests", dependencies: ["TrailwatchCorpus"]),
        .testTarget(
            name: "TrailwatchSystemdTests",
            dependencies: ["TrailwatchSystemd", "CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TrailwatchSinksTests",
            dependencies: [
                "TrailwatchSinks", "TrailwatchConfiguration", "TrailwatchCore", "TrailwatchTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Email/smtp-receiver.py"],
            resources: [.copy("Golden")]
        ),
        .testTarget(name: "TrailwatchSourcesTests", dependencies: ["TrailwatchSources", "TrailwatchTestSupport"]),
        .testTarget(
            name: "TrailwatchStateTests",
            dependencies: [
                "TrailwatchState", "TrailwatchEngine", "TrailwatchRules", "TrailwatchEvents", "TrailwatchCore",
                "TrailwatchTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "TrailwatchDaemonTests",
            dependencies: [
                "TrailwatchDaemon", "TrailwatchState", "TrailwatchSources", "TrailwatchSystemd", "TrailwatchCore",
                "TrailwatchConfiguration", "TrailwatchSinks", "TrailwatchEngine", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Runs the built `trailwatch` binary on real files: CLI behaviour, the conformance suite, the rule pack.
        .testTarget(name: "trailwatchCLITests", dependencies: ["trailwatch", "TrailwatchState", "TrailwatchTestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)
