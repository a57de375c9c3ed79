import Foundation
import Testing
import TrailwatchState
import TrailwatchTestSupport

/// `kill -9` at random moments while events are appended and files rotated: after the last restart the
/// outbox holds exactly the alerts one `trailwatch replay` of the whole stream prints, in the same order,
/// and the file sink has each of them once.
@Suite(.serialized)
struct CrashRecoveryTests {
    static let kills = Int(ProcessInfo.processInfo.environment["TRAILWATCH_CRASH_KILLS"] ?? "") ?? 30
    static let events = Int(ProcessInfo.processInfo.environment["TRAILWATCH_CRASH_EVENTS"] ?? "") ?? 12_000

    @Test func killedAtRandomMomentsMatchesReplay() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededGenerator(seed: UInt64(ProcessInfo.processInfo.environment["TRAILWATCH_CRASH_SEED"] ?? "") ?? 20261121)

        // A realistic stream with the default pack's incidents in it, and what replay makes of it.
        let corpus = dir.appendingPathComponent("corpus.jsonl")
        let generated = try await CLI.run(["generate", "--events", "\(Self.events)", "--seed", "11", "-o", corpus.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        let rules = CLI.packageRoot.appendingPathComponent("rules").path
        let replay = try await CLI.run(["replay", "--rules", rules, corpus.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        let expected = replay.stdout.split(separator: "\n").map(String.init)
        #expect(expected.count > 50, "the stream should alert often: \(expected.count)")
        let lines = try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map { String($0) + "\n" }

        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let live = input.appendingPathComponent("events.jsonl")
        let config = dir.appendingPathComponent("trailwatch.json")
        try """
        {"rules": ["\(rules)"], "state_directory": "state",
         "sources": [{"name": "at", "type": "file", "paths": ["in/events.jsonl"]}],
         "sinks": [{"name": "out", "type": "file", "path": "alerts.jsonl"}], "default_sinks": ["out"],
         "pipeline": {"batch_max_events": 256, "batch_max_delay": "2ms"},
         "live_time": {"wall_clock": false}}
        """.write(to: config, atomically: true, encoding: .utf8)

        // The writer appends in random chunks (sometimes half a line), rotating by rename now and then.
        let writer = StreamWriter(lines: lines, live: live, seed: rng.next())
        let writing = Thread { writer.run() }
        writing.start()

        // Kills land while the writer is still going (it is paced to outlast them): mostly at a random moment
        // of the running pipeline (mid-batch, mid-commit, idle), sometimes during start-up (files rotated away
        // while the daemon is down are found again by name and age after the restart).
        var restarts = 0
        var startupKills = 0
        var lastWasStartup = false
        while restarts < Self.kills || !writer.done {
            let notify = try NotifyReceiver()
            let daemon = try DaemonProcess(config: config, in: dir, environment: ["NOTIFY_SOCKET": notify.name])
            if !lastWasStartup && Int.random(in: 0..<4, using: &rng) == 0 {
                try await Task.sleep(for: .microseconds(UInt32.random(in: 0...40_000, using: &rng)))
                lastWasStartup = true
                startupKills += 1
            } else {
                #expect(await notify.waitFor(timeout: .seconds(60)) { $0.contains("READY=1") } != nil, "\(daemon.stderr.suffix(1000))")
                try await Task.sleep(for: .microseconds(UInt32.random(in: 0...250_000, using: &rng)))
                lastWasStartup = false
            }
            daemon.signal(SIGKILL)
            #expect(await daemon.waitForExit() != nil)
            restarts += 1
        }

        let notify = try NotifyReceiver()
        let daemon = try DaemonProcess(config: config, in: dir, environment: ["NOTIFY_SOCKET": notify.name])
        // systemd sends SIGTERM only to a started service; before READY the default action would apply.
        #expect(await notify.waitFor { $0.contains("READY=1") } != nil)
        let state = dir.appendingPathComponent("state").path
        let caughtUp = try await eventually(timeout: .seconds(120)) {
            let loaded = try StateStore(directory: state).load()
            return loaded.events + loaded.rejected == lines.count
        }
        #expect(caughtUp, "the daemon did not read the whole stream: \(daemon.stderr.suffix(2000))")
        let deliveredAll = try await eventually {
            try StateStore(directory: state).deliveryCounts()["out"]?.pending == 0
        }
        #expect(deliveredAll)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0, "\(daemon.stderr.suffix(2000))")

        let outbox = try StateStore(directory: state).outbox().map(\.body)
        #expect(outbox.count == expected.count, "outbox \(outbox.count) vs replay \(expected.count)")
        #expect(outbox == expected, "first difference at \(zip(outbox, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")

        let written = try String(contentsOf: dir.appendingPathComponent("alerts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        // The sink finds alerts a kill between its write and the outbox's record left in the file: none twice.
        #expect(written == expected,
                "file sink lost, reordered or repeated alerts: \(written.count) lines, \(Set(written).count) distinct, \(expected.count) expected")
        print("crash test: \(restarts) kills (\(startupKills) during start-up), \(lines.count) events, "
            + "\(writer.rotations) rotations, \(expected.count) alerts compared, outbox identical to replay, "
            + "file sink identical")
    }
}

/// Appends `lines` to `live` in random chunks, splitting some lines across two writes, and rotates the
/// file by rename every so often (`events.jsonl` → `events.jsonl.N`), as logrotate does.
final class StreamWriter: @unchecked Sendable {
    let lines: [String]
    let live: URL
    private var rng: SeededGenerator
    private(set) var rotations = 0
    private let finished = NSLock()
    private var isDone = false

    init(lines: [String], live: URL, seed: UInt64) {
        self.lines = lines
        self.live = live
        rng = SeededGenerator(seed: seed)
    }

    var done: Bool { finished.withLock { isDone } }

    func run() {
        var index = 0
        var sinceRotation = 0
        var fd = open(live.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        while index < lines.count {
            let n = min(Int.random(in: 1...120, using: &rng), lines.count - index)
            var chunk = lines[index..<index + n].joined()
            index += n
            sinceRotation += n
            if Bool.random(using: &rng), index < lines.count {
                // Half of the next line now, the rest with the next chunk.
                let next = Array(lines[index].utf8)
                let cut = Int.random(in: 1..<next.count, using: &rng)
                chunk += String(decoding: next[..<cut], as: UTF8.self)
                write(fd, chunk)
                usleep(UInt32.random(in: 0...3000, using: &rng))
                write(fd, String(decoding: next[cut...], as: UTF8.self))
                index += 1
                sinceRotation += 1
            } else {
                write(fd, chunk)
            }
            if sinceRotation > 1500 {
                close(fd)
                rotations += 1
                rename(live.path, live.path + ".\(rotations)")
                fd = open(live.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                sinceRotation = 0
            }
            usleep(UInt32.random(in: 4000...36_000, using: &rng))
        }
        close(fd)
        finished.withLock { isDone = true }
    }

    private func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            precondition(n > 0, "writing the test stream failed")
            done += n
        }
    }
}
