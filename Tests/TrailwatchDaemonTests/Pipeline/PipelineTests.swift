import Foundation
import Logging
import Testing
import TrailwatchCore
@testable import TrailwatchDaemon
import TrailwatchState

/// The pipeline in-process, on real files and a real SQLite file, with a manual wall clock.
struct PipelineTests {
    /// A scratch directory with a configuration file, a rules file and an event log.
    struct Scratch {
        let dir: URL
        var config: URL { dir.appendingPathComponent("trailwatch.json") }
        var rules: URL { dir.appendingPathComponent("rules.json") }
        var events: URL { dir.appendingPathComponent("events.jsonl") }
        var state: String { dir.appendingPathComponent("state").path }

        init(rules: String, wallClock: Bool, pipeline: String = #"{"batch_max_delay": "0ms"}"#) throws {
            dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("trailwatch-pipeline-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try rules.write(to: self.rules, atomically: true, encoding: .utf8)
            try "".write(to: events, atomically: true, encoding: .utf8)
            try """
            {"rules": ["rules.json"], "state_directory": "state",
             "sources": [{"name": "at", "type": "file", "paths": ["events.jsonl"]}],
             "sinks": [{"name": "out", "type": "file", "path": "alerts.jsonl"}], "default_sinks": ["out"],
             "pipeline": \(pipeline),
             "live_time": {"wall_clock": \(wallClock), "delay": "1m"}}
            """.write(to: config, atomically: true, encoding: .utf8)
        }

        func append(_ lines: String...) throws {
            let handle = try FileHandle(forWritingTo: events)
            handle.seekToEndOfFile()
            handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
            try handle.close()
        }

        func pipeline(clock: any WallClock) throws -> (Pipeline, StateStore) {
            let configuration = try ConfigurationLoader.load(file: config.path)
            let store = try StateStore(directory: configuration.stateDirectory)
            let pipeline = try Pipeline(configuration: configuration, store: store, clock: clock,
                                        logger: Logger(label: "test"), dispatcher: nil, observer: nil)
            return (pipeline, store)
        }

        func alerts(_ store: StateStore) throws -> [Alert] {
            try store.outbox().compactMap { Alert(jsonText: $0.body) }
        }
    }

    static func time(_ text: String) -> Int64 { EventTime.parse(text)! }

    /// Steps until `condition` holds (sources are read on each step), at most 200 steps.
    func step(_ pipeline: Pipeline, until condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<200 {
            pipeline.step(waitMilliseconds: 5)
            pipeline.flush()
            if try condition() { return true }
        }
        return false
    }

    @Test func absenceFiresFromTheWallClockWhenTheStreamGoesQuiet() throws {
        let scratch = try Scratch(rules: """
            {"id": "backup-missing", "severity": "high", "kind": "absence", "window": "1h", "group_by": ["target"],
             "match": {"field": "action", "equals": "backup.create"}}
            """, wallClock: true)
        let clock = ManualWallClock(Self.time("2026-03-01T10:00:05Z"))
        let (pipeline, store) = try scratch.pipeline(clock: clock)
        try scratch.append(#"{"id": "b1", "eventTime": "2026-03-01T10:00:00Z", "action": "backup.create", "target": "db1"}"#)
        #expect(step(pipeline) { pipeline.events == 1 })

        // Deadline 11:00; the watermark follows the clock 1m behind, so nothing is due at 11:00:30.
        clock.set(Self.time("2026-03-01T11:00:30Z"))
        pipeline.step(waitMilliseconds: 0)
        pipeline.flush()
        #expect(try scratch.alerts(store).isEmpty)

        clock.set(Self.time("2026-03-01T11:01:01Z"))
        #expect(try step(pipeline) { try !scratch.alerts(store).isEmpty })
        let fired = try scratch.alerts(store)
        #expect(fired.map(\.rule) == ["backup-missing"])
        #expect(fired.first?.time == Self.time("2026-03-01T11:00:00Z"))
        #expect(fired.first?.count == 0)

        // A restart remembers that it fired: later clock ticks send nothing new.
        let (restarted, _) = try scratch.pipeline(clock: clock)
        clock.set(Self.time("2026-03-01T15:00:00Z"))
        for _ in 0..<5 { restarted.step(waitMilliseconds: 0) }
        restarted.flush()
        #expect(try scratch.alerts(store).count == 1)

        // The awaited event arrives: the alert is resolved, to the sinks it went to, and nothing fires.
        try scratch.append(#"{"id": "b2", "eventTime": "2026-03-01T14:59:00Z", "action": "backup.create", "target": "db1"}"#)
        #expect(try step(restarted) { try !store.outbox(kind: "resolved").isEmpty })
        let resolved = try store.outbox(kind: "resolved")
        #expect(resolved.map(\.alertID) == fired.map(\.id))
        #expect(try store.deliveries(sink: "out").map(\.alertID) == [fired[0].id, fired[0].id])
        #expect(try scratch.alerts(store).count == 1)
    }

    @Test func withoutTheWallClockOnlyEventTimeMovesTime() throws {
        let scratch = try Scratch(rules: """
            {"id": "backup-missing", "severity": "high", "kind": "absence", "window": "1h",
             "match": {"field": "action", "equals": "backup.create"}}
            """, wallClock: false)
        let clock = ManualWallClock(Self.time("2026-03-01T10:00:05Z"))
        let (pipeline, store) = try scratch.pipeline(clock: clock)
        try scratch.append(#"{"id": "b1", "eventTime": "2026-03-01T10:00:00Z", "action": "backup.create"}"#)
        #expect(step(pipeline) { pipeline.events == 1 })
        clock.set(Self.time("2026-03-02T10:00:00Z"))
        for _ in 0..<5 { pipeline.step(waitMilliseconds: 0) }
        pipeline.flush()
        #expect(try scratch.alerts(store).isEmpty)
        try scratch.append(#"{"id": "x", "eventTime": "2026-03-01T11:00:01Z", "action": "other"}"#)
        #expect(try step(pipeline) { try scratch.alerts(store).count == 1 })
    }

    @Test func anEventWithoutTimeTakesItsArrivalTime() throws {
        let scratch = try Scratch(rules: #"{"id": "deletes", "severity": "low", "match": {"field": "action", "suffix": ".delete"}}"#,
                                  wallClock: false)
        let clock = ManualWallClock(Self.time("2026-05-05T05:05:05Z"))
        let (pipeline, store) = try scratch.pipeline(clock: clock)
        try scratch.append(#"{"id": "d1", "action": "x.delete"}"#)
        #expect(try step(pipeline) { try scratch.alerts(store).count == 1 })
        #expect(try scratch.alerts(store).first?.time == Self.time("2026-05-05T05:05:05Z"))
    }

    @Test func reloadKeepsTheStateOfUnchangedRulesOnly() throws {
        let kept = #"{"id": "kept", "severity": "low", "kind": "threshold", "window": "1h", "count": 3, "match": {"field": "outcome", "equals": "failure"}}"#
        let changed = #"{"id": "changed", "severity": "low", "kind": "threshold", "window": "1h", "count": 3, "match": {"field": "outcome", "equals": "failure"}}"#
        let scratch = try Scratch(rules: "{\"rules\": [\(kept), \(changed)]}", wallClock: false)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try scratch.append(#"{"id": "f1", "eventTime": "2026-03-01T10:00:00Z", "outcome": "failure"}"#,
                           #"{"id": "f2", "eventTime": "2026-03-01T10:01:00Z", "outcome": "failure"}"#)
        #expect(step(pipeline) { pipeline.events == 2 })

        let changedNow = changed.replacingOccurrences(of: "\"1h\"", with: "\"2h\"")
        try "{\"rules\": [\(kept), \(changedNow)]}".write(to: scratch.rules, atomically: true, encoding: .utf8)
        pipeline.requestReload()
        pipeline.step(waitMilliseconds: 0)
        try scratch.append(#"{"id": "f3", "eventTime": "2026-03-01T10:02:00Z", "outcome": "failure"}"#)
        #expect(try step(pipeline) { try !scratch.alerts(store).isEmpty })
        #expect(try scratch.alerts(store).map(\.rule) == ["kept"], "only the unchanged rule remembered two failures")

        // A restart after the reload resumes the same state: the rewritten rule rows are the current ones.
        let (restarted, _) = try scratch.pipeline(clock: ManualWallClock(0))
        try scratch.append(#"{"id": "f4", "eventTime": "2026-03-01T10:03:00Z", "outcome": "failure"}"#,
                           #"{"id": "f5", "eventTime": "2026-03-01T10:04:00Z", "outcome": "failure"}"#)
        #expect(try step(restarted) { try scratch.alerts(store).count == 2 })
        #expect(try scratch.alerts(store).map(\.rule) == ["kept", "changed"])
    }

    @Test func aRuleNamingAnUnknownSinkDoesNotStart() throws {
        let scratch = try Scratch(rules: #"{"id": "r", "severity": "low", "sinks": ["pager"], "match": {"all": []}}"#,
                                  wallClock: false)
        do {
            _ = try scratch.pipeline(clock: ManualWallClock(0))
            Issue.record("the pipeline started with a rule naming an unknown sink")
        } catch let error as PipelineError {
            #expect(error.description.contains("rules.json:1:"), "\(error)")
            #expect(error.description.contains("\"pager\""), "\(error)")
        }
    }

    @Test func anInvalidReloadKeepsTheRunningRules() throws {
        let scratch = try Scratch(rules: #"{"id": "deletes", "severity": "low", "match": {"field": "action", "suffix": ".delete"}}"#,
                                  wallClock: false)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try #"{"id": "deletes", "severity": "nope"}"#.write(to: scratch.rules, atomically: true, encoding: .utf8)
        pipeline.requestReload()
        pipeline.step(waitMilliseconds: 0)
        #expect(pipeline.statusLine.contains("reload failed with 2 errors"), "\(pipeline.statusLine)")
        try scratch.append(#"{"id": "d1", "eventTime": "2026-03-01T10:00:00Z", "action": "x.delete"}"#)
        #expect(try step(pipeline) { try scratch.alerts(store).count == 1 })
    }

    // MARK: When batches commit

    static let deletes = #"{"id": "deletes", "severity": "low", "match": {"field": "action", "suffix": ".delete"}}"#
    static func quiet(_ n: Int) -> String { #"{"id": "q\#(n)", "eventTime": "2026-03-01T10:00:00Z", "action": "x.read"}"# }

    func committedEvents(_ store: StateStore) throws -> Int { try store.load().events }

    @Test("a batch without alerts waits for the stream to pause; a batch with one commits at once")
    func quietBatchesCommitWhenTheStreamPauses() throws {
        let scratch = try Scratch(rules: Self.deletes, wallClock: false,
                                  pipeline: #"{"batch_max_delay": "50ms", "commit_interval": "1m"}"#)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try scratch.append(Self.quiet(1), Self.quiet(2), Self.quiet(3))
        pipeline.step(waitMilliseconds: 0)
        #expect(pipeline.events == 3)
        usleep(60_000)
        pipeline.step(waitMilliseconds: 0)  // closes the batch: nothing to deliver, so no commit yet
        #expect(try committedEvents(store) == 0)
        #expect(pipeline.commits == 0)
        usleep(60_000)
        pipeline.step(waitMilliseconds: 0)  // nothing new for a batch delay: the stream paused
        pipeline.waitForCommits()
        #expect(try committedEvents(store) == 3)
        #expect(pipeline.commits == 1)

        try scratch.append(Self.quiet(4), #"{"id": "d1", "eventTime": "2026-03-01T10:00:01Z", "action": "x.delete"}"#)
        pipeline.step(waitMilliseconds: 0)
        usleep(60_000)
        pipeline.step(waitMilliseconds: 0)  // closes the batch, which has an alert
        pipeline.waitForCommits()
        #expect(try scratch.alerts(store).map(\.rule) == ["deletes"])
        #expect(try committedEvents(store) == 5)
        #expect(pipeline.commits == 2)
    }

    @Test("a stream that never pauses commits at least every commit_interval")
    func aBusyStreamCommitsEveryInterval() throws {
        let scratch = try Scratch(rules: Self.deletes, wallClock: false,
                                  pipeline: #"{"batch_max_delay": "10ms", "commit_interval": "150ms"}"#)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        let started = ContinuousClock.now
        var appended = 0
        // Every step finds a new line first, so the stream never looks paused.
        while ContinuousClock.now - started < .milliseconds(600) {
            appended += 1
            try scratch.append(Self.quiet(appended))
            pipeline.step(waitMilliseconds: 0)
            usleep(12_000)
        }
        let elapsed = (ContinuousClock.now - started) / .milliseconds(1)
        pipeline.waitForCommits()
        let committed = try committedEvents(store)
        #expect(committed > 0 && committed < appended, "\(committed) of \(appended)")
        #expect(pipeline.commits >= 1 && Double(pipeline.commits) <= elapsed / 150 + 1, "\(pipeline.commits) in \(elapsed) ms")
        pipeline.flush()
        #expect(try committedEvents(store) == appended)
    }

    @Test("commit_interval 0 commits every batch")
    func zeroIntervalCommitsEveryBatch() throws {
        let scratch = try Scratch(rules: Self.deletes, wallClock: false,
                                  pipeline: #"{"batch_max_delay": "20ms", "commit_interval": "0ms"}"#)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try scratch.append(Self.quiet(1))
        pipeline.step(waitMilliseconds: 0)
        usleep(30_000)
        pipeline.step(waitMilliseconds: 0)
        pipeline.waitForCommits()
        #expect(try committedEvents(store) == 1)
    }

    /// `deletes` with the event's note as summary: with a long note each alert's body needs pages of its
    /// own, so a full database (`CommitterTests.fillUp`) fails its commit.
    static let longNoteRule = #"{"id": "deletes", "severity": "low", "match": {"field": "action", "suffix": ".delete"}, "summary": "{{note}}"}"#
    static func longNoteDelete(_ n: Int) -> String {
        #"{"id": "d\#(n)", "eventTime": "2026-03-01T10:00:0\#(n - 1)Z", "action": "x.delete", "note": "\#(String(repeating: "y", count: 8000))"}"#
    }
    static let oneEventBatches = #"{"batch_max_delay": "0ms", "batch_max_events": 1}"#

    @Test("while commits fail (a full database) reading pauses, and once they work nothing is missing")
    func failingCommitsPauseReading() throws {
        let scratch = try Scratch(rules: Self.longNoteRule, wallClock: false, pipeline: Self.oneEventBatches)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try CommitterTests.fillUp(store, true)
        for n in 1...10 { try scratch.append(Self.longNoteDelete(n)) }
        for _ in 0..<20 { pipeline.step(waitMilliseconds: 5) }
        pipeline.waitForCommits()  // returns once a write has failed
        // One-event batches: one being retried, one waiting, and nothing more read until they are written.
        #expect(pipeline.events == Committer.capacity, "\(pipeline.events) events read")
        #expect(pipeline.statusLine.contains("state commit failing"), "\(pipeline.statusLine)")
        #expect(try scratch.alerts(store).isEmpty)

        try CommitterTests.fillUp(store, false)
        #expect(try step(pipeline) { try scratch.alerts(store).count == 10 })
        #expect(try scratch.alerts(store).map { $0.events.first } == (1...10).map { "d\($0)" })
        #expect(try committedEvents(store) == 10)
        #expect(!pipeline.statusLine.contains("failing"))
    }

    @Test("a reload waits while commits fail: sources reopened then would start behind the queued batches")
    func reloadWaitsForFailingCommits() throws {
        let scratch = try Scratch(rules: Self.longNoteRule, wallClock: false, pipeline: Self.oneEventBatches)
        let (pipeline, store) = try scratch.pipeline(clock: ManualWallClock(0))
        try CommitterTests.fillUp(store, true)
        try scratch.append(Self.longNoteDelete(1))
        for _ in 0..<3 { pipeline.step(waitMilliseconds: 5) }
        pipeline.waitForCommits()
        try #"{"id": "renamed", "severity": "low", "match": {"field": "action", "suffix": ".delete"}}"#
            .write(to: scratch.rules, atomically: true, encoding: .utf8)
        pipeline.requestReload()
        pipeline.step(waitMilliseconds: 0)
        #expect(pipeline.ruleIDs == ["deletes"])

        try CommitterTests.fillUp(store, false)
        #expect(step(pipeline) { pipeline.ruleIDs == ["renamed"] })
        #expect(try scratch.alerts(store).map(\.rule) == ["deletes"])
    }
}
