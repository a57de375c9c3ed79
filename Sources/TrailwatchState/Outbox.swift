import Foundation
import GRDB

/// An alert waiting for one sink.
public struct PendingDelivery: Sendable, Equatable {
    /// Position in the outbox: deliveries to a sink go out in this order.
    public var seq: Int64
    public var alertID: String
    /// The alert as one compact JSON object (the replay output format).
    public var body: String
    public var attempts: Int
    /// When the alert entered the outbox (milliseconds since the epoch): batching windows and `max_age` count from it.
    public var createdAt: Int64
    /// False for a resolution: the alert's condition has ended.
    public var firing: Bool
}

/// One row of the outbox, for inspection (`trailwatch outbox`) and tests.
public struct OutboxRecord: Sendable, Equatable {
    public var seq: Int64
    public var alertID: String
    public var body: String
    /// "firing", or "resolved" for a resolution.
    public var kind: String
}

/// Delivery counts for one sink.
public struct DeliveryCounts: Sendable, Equatable {
    public var pending = 0
    public var delivered = 0
    public var dead = 0

    public init(pending: Int = 0, delivered: Int = 0, dead: Int = 0) {
        self.pending = pending
        self.delivered = delivered
        self.dead = dead
    }
}

extension StateStore {
    /// The oldest deliveries still pending for `sink`, in outbox order.
    /// One statement, one snapshot: read without a transaction around it (the dispatcher asks after every
    /// commit with alerts).
    public func pendingDeliveries(sink: String, limit: Int) throws -> [PendingDelivery] {
        try pool.unsafeRead { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.pendingDeliveriesSQL), arguments: [sink, limit]).map {
                PendingDelivery(seq: $0[0], alertID: $0[1], body: $0[2], attempts: $0[3], createdAt: $0[4],
                                firing: ($0[5] as String) == "firing")
            }
        }
    }

    /// The index is named so the plan cannot drift: without statistics, v1's planner chose the primary
    /// key, which gives the order too but walked every delivered row of the sink before the first pending
    /// one. SQLite picks the partial index by itself today; naming it makes that a guarantee.
    static let pendingDeliveriesSQL = """
        SELECT d.seq, o.alert_id, o.body, d.attempts, o.created_at, o.kind
        FROM delivery d INDEXED BY delivery_pending JOIN outbox o ON o.seq = d.seq
        WHERE d.sink = ? AND d.status = 'pending' ORDER BY d.seq LIMIT ?
        """

    /// Records that `sink` has these alerts: they are not sent to it again.
    public func markDelivered(sink: String, seqs: [Int64], at time: Int64) throws {
        guard !seqs.isEmpty else { return }
        try pool.writeTransaction { db in
            let update = try db.cachedStatement(sql: """
                UPDATE delivery SET status = 'delivered', attempts = attempts + 1, updated_at = ?, last_error = NULL
                WHERE sink = ? AND seq = ?
                """)
            for seq in seqs { try update.execute(arguments: [time, sink, seq]) }
        }
    }

    /// Records a failed attempt for each of `seqs`; those in `dead` move to the dead-letter list.
    public func recordFailure(sink: String, seqs: [Int64], error: String, at time: Int64, dead: Set<Int64> = []) throws {
        try pool.write { db in
            let update = try db.cachedStatement(sql: """
                UPDATE delivery SET attempts = attempts + 1, last_error = ?, updated_at = ?,
                    status = CASE WHEN ? THEN 'dead' ELSE status END
                WHERE sink = ? AND seq = ?
                """)
            for seq in seqs { try update.execute(arguments: [error, time, dead.contains(seq), sink, seq]) }
        }
    }

    /// Puts dead deliveries back in the queue with their attempts reset (`trailwatch outbox retry`);
    /// all of `sink`'s when `alertIDs` is empty. Returns how many.
    @discardableResult
    public func requeueDead(sink: String?, alertIDs: [String] = []) throws -> Int {
        try pool.write { db in
            var sql = """
                UPDATE delivery SET status = 'pending', attempts = 0, last_error = NULL
                WHERE status = 'dead'
                """
            var arguments: [any DatabaseValueConvertible] = []
            if let sink {
                sql += " AND sink = ?"
                arguments.append(sink)
            }
            if !alertIDs.isEmpty {
                sql += " AND seq IN (SELECT seq FROM outbox WHERE alert_id IN (\(alertIDs.map { _ in "?" }.joined(separator: ","))))"
                arguments += alertIDs
            }
            try db.execute(sql: sql, arguments: StatementArguments(arguments))
            return db.changesCount
        }
    }

    /// One delivery as `trailwatch outbox` shows it.
    public struct DeliveryRecord: Sendable, Equatable {
        public var sink: String
        public var seq: Int64
        public var alertID: String
        public var status: String
        public var attempts: Int
        public var lastError: String?
        public var body: String
    }

    /// Deliveries in outbox order, optionally of one sink and one status.
    public func deliveries(sink: String? = nil, status: String? = nil, limit: Int = 1000) throws -> [DeliveryRecord] {
        try pool.read { db in
            var sql = "SELECT d.sink, d.seq, o.alert_id, d.status, d.attempts, d.last_error, o.body FROM delivery d JOIN outbox o ON o.seq = d.seq WHERE 1"
            var arguments: [any DatabaseValueConvertible] = []
            if let sink {
                sql += " AND d.sink = ?"
                arguments.append(sink)
            }
            if let status {
                sql += " AND d.status = ?"
                arguments.append(status)
            }
            sql += " ORDER BY d.seq, d.sink LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
                DeliveryRecord(sink: $0[0], seq: $0[1], alertID: $0[2], status: $0[3], attempts: $0[4], lastError: $0[5],
                               body: $0[6])
            }
        }
    }

    /// Delivery counts per sink.
    public func deliveryCounts() throws -> [String: DeliveryCounts] {
        try pool.read { db in
            var counts: [String: DeliveryCounts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT sink, status, count(*) FROM delivery GROUP BY sink, status") {
                let sink: String = row[0], status: String = row[1], n: Int = row[2]
                switch status {
                case "pending": counts[sink, default: .init()].pending = n
                case "delivered": counts[sink, default: .init()].delivered = n
                default: counts[sink, default: .init()].dead = n
                }
            }
            return counts
        }
    }

    /// Removes alerts every sink has (delivered) that were produced before `cutoff`; returns how many.
    /// Alerts still pending or on the dead-letter list are kept whatever their age.
    @discardableResult
    public func pruneDelivered(before cutoff: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: Self.pruneDeliveredSQL, arguments: [cutoff])
            return db.changesCount
        }
    }

    /// Rows are appended in time order, so the old ones are those before the first young one, found by
    /// reading from the oldest (no index on age to maintain on every commit). Should the clock have gone
    /// back, rows after that first young one wait for a later prune: nothing young is ever removed.
    static let pruneDeliveredSQL = """
        DELETE FROM outbox
        WHERE seq < coalesce((SELECT seq FROM outbox WHERE created_at >= ?1 ORDER BY seq LIMIT 1),
                             (SELECT max(seq) + 1 FROM outbox))
        AND created_at < ?1
        AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.seq = outbox.seq AND d.status != 'delivered')
        """

    /// Outbox rows after `seq`, oldest first: the alerts produced (`kind` "firing", what replay prints), or
    /// every row when `kind` is nil.
    public func outbox(after seq: Int64 = 0, kind: String? = "firing", limit: Int = .max) throws -> [OutboxRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, alert_id, body, kind FROM outbox WHERE seq > ? AND (? IS NULL OR kind = ?) ORDER BY seq LIMIT ?
                """, arguments: [seq, kind, kind, Int64(min(limit, Int(Int64.max)))]).map {
                OutboxRecord(seq: $0[0], alertID: $0[1], body: $0[2], kind: $0[3])
            }
        }
    }
}
