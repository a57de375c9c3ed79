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
}

/// One row of the outbox, for inspection (`trailwatch outbox`) and tests.
public struct OutboxRecord: Sendable, Equatable {
    public var seq: Int64
    public var alertID: String
    public var body: String
}

/// Delivery counts for one sink.
public struct DeliveryCounts: Sendable, Equatable {
    public var pending = 0
    public var delivered = 0
    public var dead = 0
}

extension StateStore {
    /// The oldest deliveries still pending for `sink`, in outbox order.
    public func pendingDeliveries(sink: String, limit: Int) throws -> [PendingDelivery] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.seq, o.alert_id, o.body, d.attempts FROM delivery d JOIN outbox o ON o.seq = d.seq
                WHERE d.sink = ? AND d.status = 'pending' ORDER BY d.seq LIMIT ?
                """, arguments: [sink, limit]).map {
                PendingDelivery(seq: $0[0], alertID: $0[1], body: $0[2], attempts: $0[3])
            }
        }
    }

    /// Records that `sink` has these alerts: they are not sent to it again.
    public func markDelivered(sink: String, seqs: [Int64], at time: Int64) throws {
        guard !seqs.isEmpty else { return }
        try pool.write { db in
            let update = try db.cachedStatement(sql: """
                UPDATE delivery SET status = 'delivered', attempts = attempts + 1, updated_at = ?, last_error = NULL
                WHERE sink = ? AND seq = ?
                """)
            for seq in seqs { try update.execute(arguments: [time, sink, seq]) }
        }
    }

    /// Records a failed attempt; `dead` moves the delivery to the dead-letter list.
    public func recordFailure(sink: String, seq: Int64, error: String, at time: Int64, dead: Bool) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE delivery SET attempts = attempts + 1, last_error = ?, updated_at = ?,
                    status = CASE WHEN ? THEN 'dead' ELSE status END
                WHERE sink = ? AND seq = ?
                """, arguments: [error, time, dead, sink, seq])
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
            try db.execute(sql: """
                DELETE FROM outbox WHERE created_at < ?
                AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.seq = outbox.seq AND d.status != 'delivered')
                """, arguments: [cutoff])
            return db.changesCount
        }
    }

    /// Outbox rows after `seq`, oldest first.
    public func outbox(after seq: Int64 = 0, limit: Int = .max) throws -> [OutboxRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, alert_id, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                             arguments: [seq, Int64(min(limit, Int(Int64.max)))]).map {
                OutboxRecord(seq: $0[0], alertID: $0[1], body: $0[2])
            }
        }
    }
}
