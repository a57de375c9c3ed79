import Foundation
import GRDB
import Synchronization
import Testing
import TrailwatchCore
import TrailwatchEngine
@testable import TrailwatchState

/// Checkpoints run off the committing thread, against a real WAL-mode SQLite file.
struct BackgroundCheckpointerTests {
    func autocheckpoint(_ store: StateStore) throws -> Int {
        try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    @Test("committed pages reach the database file without any commit checkpointing")
    func checkpointsFromItsOwnThread() throws {
        let store = try StateStore(directory: StateStoreTests.temporaryDirectory())
        let errors = Mutex<[String]>([])
        let checkpointer = try store.checkpointInBackground(every: .milliseconds(10)) { error in
            errors.withLock { $0.append("\(error)") }
        }
        #expect(try autocheckpoint(store) == BackgroundCheckpointer.writerFallbackPages)

        // In WAL mode the database file grows only when a checkpoint copies pages into it; these commits
        // write far fewer pages than the writer's own threshold, so only the background thread can.
        let before = fileSize(store.path)
        let engine = Engine(ruleSet: try StateStoreTests.ruleSet())
        let body = String(repeating: "x", count: 2000)
        for batch in 0..<100 {
            let alert = Alert(id: "a\(batch)", rule: "r", severity: .high, time: Int64(batch), group: [], count: 1,
                              events: [], summary: body, labels: [], suppressed: 0)
            try store.commit(BatchCommit(engine: try engine.takeChanges(), sequence: UInt64(batch), events: batch,
                                         rejected: 0, alerts: [RoutedAlert(alert: alert, sinks: ["file"])],
                                         positions: [:], committedAt: 5))
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while fileSize(store.path) < before + 200_000, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(fileSize(store.path) >= before + 200_000, "\(before) -> \(fileSize(store.path)) bytes")

        checkpointer.stop()
        checkpointer.stop()
        #expect(try autocheckpoint(store) == BackgroundCheckpointer.defaultAutocheckpointPages)
        #expect(try store.load().events == 99)
        #expect(try store.outbox().count == 100)
        #expect(errors.withLock { $0 }.isEmpty)
    }
}
