import GRDB

/// The state database's tables, created and upgraded by GRDB's migrator.
///
/// One file, `state.sqlite`, holds everything a restart needs, so one transaction can move it all
/// from one consistent point to the next.
enum StateSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Engine-wide time and counters: a single row.
            try db.execute(sql: """
                CREATE TABLE engine (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    watermark INTEGER,
                    alerts_sent INTEGER NOT NULL,
                    alerts_suppressed INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    events INTEGER NOT NULL,
                    rejected INTEGER NOT NULL
                );
                CREATE TABLE rule_state (
                    rule TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    first_seen INTEGER
                );
                CREATE TABLE group_state (
                    rule TEXT NOT NULL,
                    key BLOB NOT NULL,
                    state BLOB NOT NULL,
                    PRIMARY KEY (rule, key)
                ) WITHOUT ROWID;
                CREATE TABLE source_position (
                    source TEXT PRIMARY KEY,
                    checkpoint TEXT NOT NULL
                );
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX outbox_alert_id ON outbox (alert_id);
                CREATE TABLE delivery (
                    sink TEXT NOT NULL,
                    seq INTEGER NOT NULL REFERENCES outbox (seq) ON DELETE CASCADE,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated_at INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (sink, seq)
                ) WITHOUT ROWID;
                CREATE INDEX delivery_pending ON delivery (sink, status, seq);
                """)
        }
        migrator.registerMigration("v2: resolutions") { db in
            // 'resolved' rows repeat a fired alert's body: its condition ended (rules that track incidents).
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'firing' CHECK (kind IN ('firing', 'resolved'))
                """)
        }
        migrator.registerMigration("v3: state log") { db in
            // Each batch's group changes as one row, folded into group_state from time to time (StateLog).
            try db.execute(sql: "CREATE TABLE state_log (seq INTEGER PRIMARY KEY, changes BLOB NOT NULL)")
        }
        migrator.registerMigration("v4: delivery queues") { db in
            // A sink's queue is an index of its pending rows only. With v1's (sink, status, seq) index beside
            // the (sink, seq) key, the planner walked the key past every delivered row of the sink on each
            // poll, a cost growing with the 7 days kept. Keyed by (seq, sink), the rows of one outbox row
            // (pruning, the cascade from outbox, resolutions) are found by key, with no index to maintain.
            try db.execute(sql: """
                CREATE TABLE delivery_v4 (
                    sink TEXT NOT NULL,
                    seq INTEGER NOT NULL REFERENCES outbox (seq) ON DELETE CASCADE,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated_at INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (seq, sink)
                ) WITHOUT ROWID;
                INSERT INTO delivery_v4 (sink, seq, status, attempts, next_attempt_at, last_error, updated_at)
                    SELECT sink, seq, status, attempts, next_attempt_at, last_error, updated_at FROM delivery;
                DROP TABLE delivery;
                ALTER TABLE delivery_v4 RENAME TO delivery;
                CREATE INDEX delivery_pending ON delivery (sink, seq) WHERE status = 'pending';
                """)
        }
        return migrator
    }
}
