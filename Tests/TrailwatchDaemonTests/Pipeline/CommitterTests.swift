import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import TrailwatchCore
@testable import TrailwatchDaemon
@testable import TrailwatchEngine
@testable import TrailwatchState

/// The committer's thread against a real SQLite file; a full database is a real one (`max_page_count`).
struct CommitterTests {
    static func store() throws -> StateStore {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("trailwatch-committer-\(UUID().uuidString)")
        return try StateStore(directory: dir.path)
    }

    /// A batch of one alert with a body of several pages, so that writing it needs new pages.
    static func batch(_ n: Int) -> BatchCommit {
        let alert = Alert(id: "a\(n)", rule: "r", severity: .high, time: Int64(n), group: [], count: 1, events: [],
                          summary: String(repeating: "x", count: 20_000), labels: [], suppressed: 0)
        return BatchCommit(engine: EngineChanges(watermark: Int64(n), alertsSent: n, alertsSuppressed: 0, rules: []),
                           sequence: UInt64(n), events: n, rejected: 0, alerts: [RoutedAlert(alert: alert, sinks: ["out"])],
                           positions: ["at": #"{"offset":\#(n)}"#], committedAt: 0)
    }

    /// Limits the database to the pages it has now: the next write that needs a page fails with SQLITE_FULL.
    static func fillUp(_ store: StateStore, _ full: Bool) throws {
        try store.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(full ? pages : 1 << 30)")
        }
    }

    @Test("batches are written in the order they were submitted, on either thread; drain waits for all of them")
    func writesInOrder() throws {
        let store = try Self.store()
        let progress = Atomic<Int>(0)
        let committer = Committer(store: store, dispatcher: nil, logger: Logger(label: "test")) {
            progress.add(1, ordering: .relaxed)
        }
        defer { committer.finish() }
        for n in 1...10 {
            while committer.isFull { usleep(100) }
            committer.submit(Self.batch(n), overlap: true)
        }
        committer.drain()
        #expect(!committer.hasWork)
        // Reported after each batch, once its lock is released: the last may come just after drain returns.
        let deadline = ContinuousClock.now + .seconds(5)
        while progress.load(ordering: .relaxed) < 10, ContinuousClock.now < deadline { usleep(1000) }
        #expect(progress.load(ordering: .relaxed) == 10)
        // With nothing queued, a batch that did not fill up is written before `submit` returns.
        committer.submit(Self.batch(11), overlap: false)
        #expect(!committer.hasWork)
        #expect(try store.outbox().last?.alertID == "a11")
        // Mixed: one for the caller's thread waits its turn behind those queued (or is written at once).
        for n in 12...30 {
            while committer.isFull { usleep(100) }
            committer.submit(Self.batch(n), overlap: n % 3 != 0)
        }
        committer.drain()
        #expect(try store.outbox().map(\.alertID) == (1...30).map { "a\($0)" })
        let loaded = try store.load()
        #expect(loaded.events == 30 && loaded.positions["at"] == #"{"offset":30}"#)
    }

    @Test("a write that fails keeps its batch first in line, fills the queue, and succeeds once it can")
    func failedWritesAreRetried() throws {
        let store = try Self.store()
        let committer = Committer(store: store, dispatcher: nil, logger: Logger(label: "test")) {}
        defer { committer.finish() }
        committer.submit(Self.batch(1), overlap: false)
        #expect(!committer.hasWork)  // written at once on this thread
        try Self.fillUp(store, true)

        committer.submit(Self.batch(2), overlap: false)  // fails on this thread: queued for retries
        committer.drain()  // returns on the failure
        #expect(committer.problem?.contains("full") == true, "\(committer.problem ?? "no problem")")
        #expect(!committer.isFull)
        committer.submit(Self.batch(3), overlap: false)  // queued behind it, not written here
        #expect(committer.isFull)  // the pipeline stops reading here
        #expect(try store.outbox().map(\.alertID) == ["a1"])

        try Self.fillUp(store, false)
        let deadline = ContinuousClock.now + .seconds(10)
        while committer.hasWork, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(!committer.hasWork)
        #expect(committer.problem == nil)
        #expect(try store.outbox().map(\.alertID) == ["a1", "a2", "a3"])
        #expect(try store.load().events == 3)
    }

    @Test("a stop while writes fail tries once more and ends, leaving the batch's events to be read again",
          .timeLimit(.minutes(1)))
    func stopDoesNotWaitForAFullDisk() throws {
        let store = try Self.store()
        let committer = Committer(store: store, dispatcher: nil, logger: Logger(label: "test")) {}
        try Self.fillUp(store, true)
        committer.submit(Self.batch(1), overlap: true)
        committer.drain()
        #expect(committer.problem != nil)
        let started = ContinuousClock.now
        committer.finish()
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(!committer.hasWork)
        try Self.fillUp(store, false)
        #expect(try store.outbox().isEmpty)
        #expect(try store.load().events == 0)
    }
}
