import Foundation
import Testing

/// Runs the built `trailwatch` binary on real files, as users do.
enum CLI {
    /// The package root (this file is Tests/trailwatchCLITests/Support.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The binary beside the test bundle, or `$TRAILWATCH_BIN`.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["TRAILWATCH_BIN"] { return env }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("trailwatch").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/trailwatch").path
    }()

    /// The shared conformance suite: `$TRAILWATCH_CONFORMANCE`, else `../shared/conformance` beside the repository.
    static let conformance: URL = {
        if let env = ProcessInfo.processInfo.environment["TRAILWATCH_CONFORMANCE"] { return URL(fileURLWithPath: env) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started child whose output goes to files, so a large output can never block it on a full pipe.
    struct Launched {
        let process: Process
        let scratch: URL
        let out: FileHandle
        let err: FileHandle

        init(_ executable: String, _ arguments: [String], in directory: URL?, stdin: String?,
             onExit: (@Sendable (Process) -> Void)? = nil) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = directory ?? packageRoot
            scratch = try temporaryDirectory()
            for name in ["stdout", "stderr"] {
                _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent(name).path, contents: nil)
            }
            out = try FileHandle(forWritingTo: scratch.appendingPathComponent("stdout"))
            err = try FileHandle(forWritingTo: scratch.appendingPathComponent("stderr"))
            let input = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = input
            process.terminationHandler = onExit
            try process.run()
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try input.fileHandleForWriting.close()
        }

        /// The result once the child has exited; removes the scratch files.
        func result() throws -> Result {
            defer { try? FileManager.default.removeItem(at: scratch) }
            try out.close()
            try err.close()
            return Result(status: process.terminationStatus,
                          stdout: String(decoding: try Data(contentsOf: scratch.appendingPathComponent("stdout")), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: scratch.appendingPathComponent("stderr")), as: UTF8.self))
        }
    }

    static func run(_ arguments: [String], executable: String = binary, in directory: URL? = nil,
                    stdin: String? = nil) throws -> Result {
        let launched = try Launched(executable, arguments, in: directory, stdin: stdin)
        launched.process.waitUntilExit()
        return try launched.result()
    }

    /// `run`, awaiting the exit without blocking a thread of the cooperative pool: on 2 cores a blocked
    /// thread halves the parallelism of the rest of the suite.
    static func run(_ arguments: [String], executable: String = binary, in directory: URL? = nil,
                    stdin: String? = nil) async throws -> Result {
        let exited = AsyncStream.makeStream(of: Void.self)
        let launched = try Launched(executable, arguments, in: directory, stdin: stdin) { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        for await _ in exited.stream {}
        while launched.process.isRunning { try await Task.sleep(for: .milliseconds(1)) }
        return try launched.result()
    }

    /// An executable other than trailwatch, awaited without blocking a thread.
    static func runAsync(_ executable: String, _ arguments: [String]) async throws -> Result {
        try await run(arguments, executable: executable)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trailwatch-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
