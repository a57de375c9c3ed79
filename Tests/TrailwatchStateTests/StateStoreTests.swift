import Foundation
import Testing
import TrailwatchCore
import TrailwatchEngine
import TrailwatchEvents
import TrailwatchRules
import TrailwatchTestSupport
@testable import TrailwatchState

/// The store against a real SQLite file: per-batch incremental commits must resume exactly, and a commit
/// is all or nothing.
struct StateStoreTests {
    static let rules = MixedKindsFixture.rules
    static func events() -> [String] { MixedKindsFixture.events() }

    static func ruleSet(_ text: String = rules) throws -> CompiledRuleSet {
        let node = try JSONDocumentParser.parse(Array(text.utf8), file: "r.json")
        return CompiledRuleSet(RuleLoader.decodeFile(node).0)
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "trailwatch-state-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Feeds `lines` in batches of `batch`, committing each batch's changes and alerts.
    func run(_ set: CompiledRuleSet, _ engine: Engine, _ store: StateStore, _ lines: ArraySlice<String>,
             batch: Int) throws -> [Alert] {
        let parser = set.makeParser()
        var all: [Alert] = []
        var pending: [Alert] = []
        var sequence = try store.load().sequence
        for (n, line) in zip(lines.indices, lines) {
            #expect(parser.parse(Array(line.utf8)) == .event)
            let time = parser.value(at: set.schema.eventTimeSlot).jsonValue?.stringValue.flatMap { EventTime.parse($0) }!
            sequence += 1
            engine.process(parser, context: EventContext(time: time!, source: "s", line: n + 1, sequence: sequence),
                           movesWatermark: true, into: &pending)
            if (n + 1) % batch == 0 || n == lines.indices.last {
                try store.commit(BatchCommit(
                    engine: try engine.takeChanges(), sequence: sequence, events: n + 1, rejected: 0,
                    alerts: pending.map { RoutedAlert(alert: $0, sinks: ["out"]) },
                    positions: ["s": "{\"line\":\(n + 1)}"], committedAt: 0))
                all += pending
                pending.removeAll()
            }
        }
        return all
    }

    /// `foldRows`: 1 folds the state log at every commit, 3 every third, 10,000 never in this test (the
    /// restart then reads every group change from the log).
    @Test(arguments: [1, 57, 200, 399], [1, 3, 10_000])
    func incrementalCommitsResumeExactly(stopAt: Int, foldRows: Int) throws {
        let set = try Self.ruleSet()
        let lines = Self.events()
        let reference = Engine(ruleSet: set)
        let whole = try run(set, reference, StateStore(directory: Self.temporaryDirectory()), lines[...], batch: 7)

        let directory = Self.temporaryDirectory()
        let first = Engine(ruleSet: set)
        first.trackChanges()
        var resumed = try run(set, first, StateStore(directory: directory, foldRows: foldRows), lines[..<stopAt], batch: 7)

        // A new process: a fresh store on the same file, a fresh engine restored from it.
        let store = try StateStore(directory: directory, foldRows: foldRows)
        #expect(try logRows(store) < foldRows, "commits fold the log once it holds foldRows batches")
        let loaded = try store.load()
        #expect(loaded.positions == ["s": "{\"line\":\(stopAt)}"])
        #expect(loaded.events == stopAt)
        let second = Engine(ruleSet: set)
        #expect(try second.restore(engine: loaded.engine, rules: loaded.rules).isEmpty)
        second.trackChanges()
        resumed += try run(set, second, store, lines[stopAt...], batch: 7)

        #expect(Set(whole.map(\.rule)) == MixedKindsFixture.ruleIDs, "every kind fires")
        #expect(resumed == whole)
        #expect(try store.outbox().map(\.alertID) == whole.map(\.id))
        #expect(try store.pendingDeliveries(sink: "out", limit: 10_000).count == whole.count)
    }

    func logRows(_ store: StateStore) throws -> Int {
        try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM state_log") } ?? 0
    }

    /// A store holding the fixture's whole run, its group changes all still in the state log.
    func storeWithUnfoldedLog(batch: Int) throws -> String {
        let set = try Self.ruleSet()
        let directory = Self.temporaryDirectory()
        let engine = Engine(ruleSet: set)
        engine.trackChanges()
        _ = try run(set, engine, StateStore(directory: directory, foldRows: 10_000), Self.events()[...], batch: batch)
        return directory
    }

    @Test("folding the state log changes nothing a restart reads")
    func foldingChangesNothing() throws {
        let directory = try storeWithUnfoldedLog(batch: 5)
        let store = try StateStore(directory: directory)
        let unfolded = try store.load()
        #expect(try logRows(store) > 10)

        try store.pool.write { try StateLog.fold($0) }
        let folded = try store.load()
        #expect(try logRows(store) == 0)
        func groups(_ state: LoadedState) -> [String: [GroupRecord]] {
            Dictionary(uniqueKeysWithValues: state.rules.map { ($0.rule, $0.groups) })
        }
        #expect(groups(folded) == groups(unfolded))
        let groupCount = groups(folded).values.reduce(0) { $0 + $1.count }
        #expect(groupCount > 0)
    }

    @Test("a damaged state log row is an error naming the row, never a wrong state")
    func damagedLogIsAnError() throws {
        let directory = try storeWithUnfoldedLog(batch: 50)
        let store = try StateStore(directory: directory)
        let seq = try #require(try store.pool.write { db -> Int64? in
            let seq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM state_log")
            try db.execute(sql: "UPDATE state_log SET changes = substr(changes, 1, length(changes) - 3) WHERE seq = ?",
                           arguments: [seq])
            return seq
        })
        #expect {
            _ = try store.load()
        } throws: { error in
            "\(error)".contains("state log row \(seq)")
        }
    }

    @Test func aFailedCommitChangesNothing() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let set = try Self.ruleSet()
        let engine = Engine(ruleSet: set)
        engine.trackChanges()
        _ = try run(set, engine, store, Self.events()[..<50], batch: 50)
        let before = try store.load()
        let alert = Alert(id: "a1", rule: "every", severity: .low, time: 0, group: [], count: 1, events: [], summary: "",
                          labels: [], suppressed: 0)
        // The same sink twice violates the delivery key after the outbox row and engine row were written.
        #expect(throws: (any Error).self) {
            try store.commit(BatchCommit(engine: try engine.takeChanges(), sequence: 999, events: 999, rejected: 0,
                                         alerts: [RoutedAlert(alert: alert, sinks: ["out", "out"])],
                                         positions: ["s": "moved"], committedAt: 0))
        }
        let after = try store.load()
        #expect(after.sequence == before.sequence)
        #expect(after.positions == before.positions)
        #expect(try store.outbox().count == (try store.outbox(after: 0)).count)
        #expect(try store.outbox().allSatisfy { $0.alertID != "a1" })
        // Rolled back, not left open: the next commit goes through.
        try store.commit(BatchCommit(engine: try engine.takeChanges(), sequence: 1000, events: 1000, rejected: 0,
                                     alerts: [RoutedAlert(alert: alert, sinks: ["out"])], positions: ["s": "moved"],
                                     committedAt: 0))
        #expect(try store.load().sequence == 1000)
        #expect(try store.outbox().contains { $0.alertID == "a1" })
    }

    @Test func deliveriesAreRecordedPerSink() throws {
        let store = try StateStore(directory: Self.temporaryDirectory())
        let alerts = (1...3).map {
            RoutedAlert(alert: Alert(id: "a\($0)", rule: "r", severity: .high, time: Int64($0), group: [], count: 1,
                                     events: [], summary: "", labels: [], suppressed: 0),
                        sinks: $0 == 2 ? ["file"] : ["file", "hook"])
        }
        let engine = Engine(ruleSet: try Self.ruleSet())
        try store.commit(BatchCommit(engine: try engine.takeChanges(), sequence: 0, events: 0, rejected: 0,
                                     alerts: alerts, positions: [:], committedAt: 5))
        let file = try store.pendingDeliveries(sink: "file", limit: 10)
        #expect(file.map(\.alertID) == ["a1", "a2", "a3"])
        #expect(Alert(jsonText: file[1].body)?.id == "a2")
        #expect(try store.pendingDeliveries(sink: "hook", limit: 10).map(\.alertID) == ["a1", "a3"])
        try store.markDelivered(sink: "file", seqs: [file[0].seq, file[1].seq], at: 6)
        try store.recordFailure(sink: "hook", seqs: [file[0].seq], error: "HTTP 400", at: 7, dead: [file[0].seq])
        #expect(try store.pendingDeliveries(sink: "file", limit: 10).map(\.alertID) == ["a3"])
        #expect(try store.pendingDeliveries(sink: "hook", limit: 10).map(\.alertID) == ["a3"])
        let counts = try store.deliveryCounts()
        #expect(counts["file"] == DeliveryCounts(pending: 1, delivered: 2, dead: 0))
        #expect(counts["hook"] == DeliveryCounts(pending: 1, delivered: 0, dead: 1))

        // Only a2 is delivered everywhere; a1 is dead for hook, a3 pending: pruning removes a2 alone.
        #expect(try store.pruneDelivered(before: 4) == 0, "younger than the cutoff")
        #expect(try store.pruneDelivered(before: 6) == 1)
        #expect(try store.outbox().map(\.alertID) == ["a1", "a3"])
        #expect(try store.deliveryCounts()["file"] == DeliveryCounts(pending: 1, delivered: 1, dead: 0))
    }
}
