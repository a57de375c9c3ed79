import Foundation
import Testing
import TrailwatchState

/// `trailwatch run` speaking systemd's notify protocol to a real datagram socket: readiness only once
/// open, status, the watchdog (and its silence while the pipeline is stuck), reloads good and bad, stop.
@Suite(.serialized)
struct DaemonLifecycleTests {
    static let deleteRule = #"{"id": "deletes", "severity": "high", "match": {"field": "action", "suffix": ".delete"}}"#
    static let createRule = #"{"id": "creates", "severity": "low", "match": {"field": "action", "suffix": ".create"}}"#

    static func event(_ n: Int, _ action: String) -> String {
        #"{"id": "e\#(n)", "eventTime": "2026-03-01T10:00:\#(String(format: "%02d", n % 60))Z", "action": "\#(action)", "outcome": "success"}"# + "\n"
    }

    /// A directory holding a configuration, one rule file, an empty event log, and the paths tests use.
    struct Setup {
        let dir: URL
        var config: URL { dir.appendingPathComponent("trailwatch.json") }
        var rule: URL { dir.appendingPathComponent("rules/rule.json") }
        var events: URL { dir.appendingPathComponent("events.jsonl") }
        var alerts: URL { dir.appendingPathComponent("alerts.jsonl") }
        var state: String { dir.appendingPathComponent("state").path }

        init() throws {
            dir = try CLI.temporaryDirectory()
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
            try DaemonLifecycleTests.deleteRule.write(to: rule, atomically: true, encoding: .utf8)
            try "".write(to: events, atomically: true, encoding: .utf8)
            try """
            {"rules": ["rules"], "state_directory": "state",
             "sources": [{"name": "at", "type": "file", "paths": ["events.jsonl"]}],
             "sinks": [{"name": "out", "type": "file", "path": "alerts.jsonl"}], "default_sinks": ["out"],
             "live_time": {"wall_clock": false}}
            """.write(to: config, atomically: true, encoding: .utf8)
        }

        func append(_ text: String) throws {
            let handle = try FileHandle(forWritingTo: events)
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        }

        func alertRules() -> [String] {
            let text = (try? String(contentsOf: alerts, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["rule"] as? String
            }
        }
    }

    @Test func notifiesReadyStatusReloadAndStopping() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let notify = try NotifyReceiver()
        let daemon = try DaemonProcess(config: setup.config, in: setup.dir,
                                       environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "600000"])
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }

        let ready = try #require(await notify.waitFor { $0.contains("READY=1") }, "no READY=1: \(daemon.stderr)")
        #expect(ready.index == 0, "READY=1 must be the first message: \(notify.messages)")
        #expect(ready.message.contains("STATUS=1 rules, 1 sources"), "\(ready.message)")
        #expect(FileManager.default.fileExists(atPath: setup.state + "/state.sqlite"), "READY before the state was open")

        // The watchdog is fed at half of WATCHDOG_USEC while the pipeline turns.
        #expect(await notify.waitFor(after: ready.index) { $0 == "WATCHDOG=1" } != nil)

        try setup.append(Self.event(1, "db.user.delete") + Self.event(2, "db.user.create"))
        #expect(await eventually(timeout: .seconds(60)) { setup.alertRules() == ["deletes"] })
        #expect(await notify.waitFor { $0.hasPrefix("STATUS=") && $0.contains("2 events, 1 alerts") } != nil, "\(notify.messages)")

        // A good reload: the new rule runs, the unchanged one keeps its state.
        try "{\"rules\": [\(Self.deleteRule), \(Self.createRule)]}".write(to: setup.rule, atomically: true, encoding: .utf8)
        var seen = notify.messages.count
        daemon.signal(SIGHUP)
        let reloading = try #require(await notify.waitFor(after: seen) { $0.contains("RELOADING=1") })
        let monotonic = reloading.message.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        #expect(monotonic.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) }.map { $0 > 0 } == true, "\(reloading.message)")
        let reloaded = try #require(await notify.waitFor(after: reloading.index + 1) { $0.contains("READY=1") })
        #expect(reloaded.message.contains("reloaded"), "\(reloaded.message)")
        try setup.append(Self.event(3, "db.user.create"))
        #expect(await eventually(timeout: .seconds(60)) { setup.alertRules() == ["deletes", "creates"] })

        // A bad reload: every error logged, the previous rules keep running, STATUS says so.
        try #"{"id": "broken", "severity": "urgent", "kind": "threshold"}"#.write(to: setup.rule, atomically: true, encoding: .utf8)
        seen = notify.messages.count
        daemon.signal(SIGHUP)
        let failed = try #require(await notify.waitFor(after: seen) { $0.contains("READY=1") })
        #expect(failed.message.contains("reload failed with"), "\(failed.message)")
        #expect(daemon.stderr.contains("rule.json"), "rule errors are logged with their place")
        try setup.append(Self.event(4, "db.user.delete"))
        #expect(await eventually(timeout: .seconds(60)) { setup.alertRules() == ["deletes", "creates", "deletes"] })

        seen = notify.messages.count
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0, "\(daemon.stderr)")
        #expect(await notify.waitFor(after: seen) { $0.hasPrefix("STOPPING=1") } != nil, "\(notify.messages)")
    }

    @Test func watchdogFallsSilentWhileThePipelineIsStuck() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        let notify = try NotifyReceiver()
        let daemon = try DaemonProcess(config: setup.config, in: setup.dir,
                                       environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "400000"])
        defer { if daemon.process.isRunning { daemon.signal(SIGKILL) } }
        #expect(await notify.waitFor { $0.contains("READY=1") } != nil)
        #expect(await notify.waitFor { $0 == "WATCHDOG=1" } != nil)

        // Another process holds the database's write lock: the next commit waits, and the loop with it.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        locker.arguments = [setup.state + "/state.sqlite"]
        let input = Pipe()
        locker.standardInput = input
        try locker.run()
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\n".utf8))
        try await Task.sleep(for: .milliseconds(300))
        try setup.append(Self.event(1, "db.user.delete"))
        try await Task.sleep(for: .milliseconds(600))  // the pipeline reads the event and blocks in its commit
        let before = notify.messages.count
        try await Task.sleep(for: .milliseconds(1500))
        let whileStuck = notify.messages[before...].filter { $0 == "WATCHDOG=1" }.count
        input.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
        try input.fileHandleForWriting.close()
        locker.waitUntilExit()
        #expect(whileStuck == 0, "WATCHDOG=1 sent while the pipeline could not commit")
        #expect(await notify.waitFor(after: notify.messages.count) { $0 == "WATCHDOG=1" } != nil, "watchdog did not resume")
        #expect(await eventually(timeout: .seconds(60)) { setup.alertRules() == ["deletes"] })
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test func invalidConfigurationDoesNotStart() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.dir) }
        try #"{"id": "x", "severity": "urgent"}"#.write(to: setup.rule, atomically: true, encoding: .utf8)
        let notify = try NotifyReceiver()
        let daemon = try DaemonProcess(config: setup.config, in: setup.dir, environment: ["NOTIFY_SOCKET": notify.name])
        #expect(await daemon.waitForExit() == 1)
        #expect(daemon.stderr.contains("rule.json:1:"), "\(daemon.stderr)")
        #expect(!notify.messages.contains { $0.contains("READY=1") })
    }
}
