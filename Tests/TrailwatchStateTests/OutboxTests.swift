import GRDB
import Testing
import TrailwatchCore
import TrailwatchEngine
@testable import TrailwatchState

/// The outbox queries stay cheap however much delivered history the store keeps (7 days of it).
struct OutboxTests {
    /// A store holding `count` alerts for sink "file", all delivered but the last `pending`.
    func storeWithHistory(count: Int, pending: Int) throws -> StateStore {
        let store = try StateStore(directory: StateStoreTests.temporaryDirectory())
        let engine = Engine(ruleSet: try StateStoreTests.ruleSet())
        let alerts = (0..<count).map {
            RoutedAlert(alert: Alert(id: "a\($0)", rule: "r", severity: .high, time: Int64($0), group: [], count: 1,
                                     events: [], summary: "", labels: [], suppressed: 0),
                        sinks: ["file"])
        }
        let seqs = try store.commit(BatchCommit(engine: try engine.takeChanges(), sequence: 0, events: 0, rejected: 0,
                                                alerts: alerts, positions: [:], committedAt: 5))
        try store.markDelivered(sink: "file", seqs: Array(seqs.dropLast(pending)), at: 6)
        return store
    }

    func plan(_ store: StateStore, _ sql: String, _ arguments: StatementArguments) throws -> String {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "; ")
        }
    }

    @Test("a sink's queue is read through its pending rows, not past every delivered one")
    func pendingQueueUsesItsIndex() throws {
        let store = try storeWithHistory(count: 2_000, pending: 3)
        let pending = try store.pendingDeliveries(sink: "file", limit: 10)
        #expect(pending.map(\.alertID) == ["a1997", "a1998", "a1999"])
        let plan = try plan(store, StateStore.pendingDeliveriesSQL, ["file", 10])
        #expect(plan.contains("USING INDEX delivery_pending"), "\(plan)")
        #expect(!plan.contains("PRIMARY KEY (sink=?)"), "\(plan)")
    }

    @Test("pruning reads only the old rows and finds their deliveries by key")
    func pruningUsesKeys() throws {
        let store = try storeWithHistory(count: 50, pending: 1)
        let plan = try plan(store, StateStore.pruneDeliveredSQL, [6])
        #expect(plan.contains("SEARCH outbox USING INTEGER PRIMARY KEY (rowid<?)"), "\(plan)")
        #expect(plan.contains("SEARCH d USING PRIMARY KEY (seq=?)"), "\(plan)")
        #expect(try store.pruneDelivered(before: 5) == 0, "younger than the cutoff")
        #expect(try store.pruneDelivered(before: 6) == 49)
        #expect(try store.outbox().map(\.alertID) == ["a49"])
        #expect(try store.pendingDeliveries(sink: "file", limit: 10).map(\.alertID) == ["a49"])
        #expect(try store.deliveryCounts()["file"] == DeliveryCounts(pending: 1, delivered: 0, dead: 0))
    }

    @Test("deliveries written before v4 keep their state through the migration")
    func deliveriesSurviveTheV4Migration() throws {
        let directory = StateStoreTests.temporaryDirectory()
        let pool = try DatabasePool(path: directory + "/state.sqlite")
        try StateSchema.migrator.migrate(pool, upTo: "v3: state log")
        try pool.write { db in
            for seq in 1...3 {
                try db.execute(sql: """
                    INSERT INTO outbox (seq, alert_id, rule, severity, time, body, created_at) VALUES (?, ?, 'r', 'high', 0, '{}', 5)
                    """, arguments: [seq, "a\(seq)"])
            }
            try db.execute(sql: """
                INSERT INTO delivery (sink, seq, status, attempts, last_error) VALUES
                    ('file', 1, 'delivered', 1, NULL), ('file', 2, 'pending', 0, NULL), ('hook', 1, 'dead', 3, 'HTTP 400'),
                    ('hook', 3, 'pending', 2, 'timeout')
                """)
        }
        try pool.close()
        let store = try StateStore(directory: directory)
        #expect(try store.pendingDeliveries(sink: "file", limit: 10).map(\.alertID) == ["a2"])
        #expect(try store.pendingDeliveries(sink: "hook", limit: 10).map { "\($0.alertID):\($0.attempts)" } == ["a3:2"])
        #expect(try store.deliveries(sink: "hook").map { "\($0.alertID) \($0.status) \($0.lastError ?? "-")" }
                == ["a1 dead HTTP 400", "a3 pending timeout"])
        #expect(try store.deliveryCounts()["file"] == DeliveryCounts(pending: 1, delivered: 1, dead: 0))
    }
}
