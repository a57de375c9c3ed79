import Foundation
import Testing
import TrailwatchCore
import TrailwatchConfiguration
import TrailwatchDaemon

/// A temporary directory holding a configuration file and whatever it names, removed after the test.
final class ConfigFixture {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trailwatch-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try makeDirectory("rules")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> String { dir + "/" + name }

    @discardableResult
    func write(_ text: String, to name: String = "trailwatch.json") throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func makeDirectory(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
    }

    /// Loads `text` as `trailwatch.json`.
    func load(_ text: String, environment: [String: String] = [:]) throws -> DaemonConfiguration {
        try ConfigurationLoader.load(file: try write(text), environment: environment)
    }

    /// The errors loading `text` gives, with this directory's path removed from the front
    /// (`trailwatch.json:3:5: ...`; paths in messages stay absolute); empty when it loads.
    func errors(_ text: String, environment: [String: String] = [:]) throws -> [String] {
        errors(file: try write(text), environment: environment)
    }

    /// `<dir>/trailwatch.json:1:1: ...` → `trailwatch.json:1:1: ...`
    func stripDirectory(_ line: String) -> String {
        line.hasPrefix(dir + "/") ? String(line.dropFirst(dir.count + 1)) : line
    }

    func errors(file: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigurationLoader.load(file: file, environment: environment)
            return []
        } catch {
            return error.items.map { stripDirectory($0.description) }
        }
    }
}

/// The repository root (this file is Tests/TrailwatchDaemonTests/Configuration/ConfigFixture.swift,
/// possibly reached through a scratch package's symbolic link).
let repositoryRoot: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
