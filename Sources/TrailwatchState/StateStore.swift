import Foundation
import GRDB
import Synchronization
import TrailwatchCore
import TrailwatchEngine

/// An alert on its way out: its JSON and the sinks routing chose for it.
public struct RoutedAlert: Sendable {
    public var alert: Alert
    public var sinks: [String]

    public init(alert: Alert, sinks: [String]) {
        self.alert = alert
        self.sinks = sinks
    }
}

/// Everything one batch of events changed: written in one transaction, or not at all.
public struct BatchCommit: Sendable {
    public var engine: EngineChanges
    /// After a reload the rule set changed: every rule's state is rewritten and rules no longer running are dropped.
    public var replacesAllRules: [SavedRuleState]?
    /// Position in the whole run, for ties between equal event times after a restart.
    public var sequence: UInt64
    public var events: Int
    public var rejected: Int
    public var alerts: [RoutedAlert]
    /// Ids of sent alerts whose condition ended: each goes again, as resolved, to the sinks the alert went to.
    public var resolutions: [String]
    /// Each source's checkpoint as JSON text, by source name.
    public var positions: [String: String]
    /// Wall-clock time of the commit (milliseconds since the epoch), recorded on new outbox rows.
    public var committedAt: Int64

    public init(engine: EngineChanges, replacesAllRules: [SavedRuleState]? = nil, sequence: UInt64, events: Int,
                rejected: Int, alerts: [RoutedAlert], resolutions: [String] = [], positions: [String: String],
                committedAt: Int64) {
        self.engine = engine
        self.replacesAllRules = replacesAllRules
        self.sequence = sequence
        self.events = events
        self.rejected = rejected
        self.alerts = alerts
        self.resolutions = resolutions
        self.positions = positions
        self.committedAt = committedAt
    }
}

/// What a restart starts from.
public struct LoadedState: Sendable {
    public var engine: SavedEngineState
    public var rules: [SavedRuleState]
    public var sequence: UInt64
    public var events: Int
    public var rejected: Int
    /// Each source's checkpoint as JSON text, by source name.
    public var positions: [String: String]
}

/// The daemon's durable state in SQLite (WAL): rule state, source positions and the alert outbox.
///
/// A batch's evaluation is committed as one transaction, so after a crash at any instant the store holds
/// a consistent point: the positions say exactly which events the rule state and the outbox include.
/// `synchronous = NORMAL` in WAL mode survives a killed process; only an operating-system crash may
/// lose the last commits, which are then evaluated again from the older positions (same alert ids).
public final class StateStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Rows and bytes in `state_log` since the last fold.
    private let logSize = Mutex((rows: 0, bytes: 0))
    /// Batches logged before a fold (`StateLog.foldRows`; tests fold more often).
    let foldRows: Int

    /// Opens (creating when needed) `state.sqlite` in `directory`.
    public init(directory: String, foldRows: Int = StateLog.foldRows) throws {
        self.foldRows = foldRows
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("state.sqlite")
        var configuration = Configuration()
        configuration.label = "trailwatch.state"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try StateSchema.migrator.migrate(pool)
        let size = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT count(*) AS rows, coalesce(sum(length(changes)), 0) AS bytes FROM state_log")
        }
        logSize.withLock { $0 = (size?["rows"] ?? 0, size?["bytes"] ?? 0) }
    }

    /// The state of the last commit (empty on a new store).
    public func load() throws -> LoadedState {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM engine WHERE id = 1")
            let engine = SavedEngineState(
                watermark: row?["watermark"], alertsSent: row?["alerts_sent"] ?? 0,
                alertsSuppressed: row?["alerts_suppressed"] ?? 0)
            var stored: [String: [[UInt8]: Data]] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT rule, key, state FROM group_state")
            while let g = try cursor.next() {
                let key: Data = g["key"]
                stored[g["rule"], default: [:]][[UInt8](key)] = g["state"]
            }
            for (rule, changes) in try StateLog.latestChanges(db) {
                for (key, state) in changes { stored[rule, default: [:]][key] = state }
            }
            let groups = stored.mapValues { byKey in
                byKey.map { GroupRecord(key: $0.key, state: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            }
            let rules = try Row.fetchAll(db, sql: "SELECT rule, fingerprint, first_seen FROM rule_state").map { r in
                SavedRuleState(rule: r["rule"], fingerprint: r["fingerprint"], firstSeen: r["first_seen"],
                               groups: groups[r["rule"]] ?? [])
            }
            let positions = try Self.positions(db)
            let sequence: Int64 = row?["sequence"] ?? 0
            return LoadedState(engine: engine, rules: rules, sequence: UInt64(sequence), events: row?["events"] ?? 0,
                               rejected: row?["rejected"] ?? 0, positions: positions)
        }
    }

    /// Writes one batch atomically: rule state, engine counters, the alerts (outbox and one pending delivery
    /// per routed sink) and the source positions. Returns the outbox sequence numbers given to the alerts.
    @discardableResult
    public func commit(_ batch: BatchCommit) throws -> [Int64] {
        let log = batch.replacesAllRules == nil ? GroupChangesCoding.encode(batch.engine.rules) : nil
        let size = logSize.withLock { $0 }
        let fold = size.rows + 1 >= foldRows || size.bytes + (log?.count ?? 0) >= StateLog.foldBytes
        let sequences = try pool.writeTransaction { db in
            let e = batch.engine
            try db.cachedStatement(sql: """
                INSERT INTO engine (id, watermark, alerts_sent, alerts_suppressed, sequence, events, rejected)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark, alerts_sent = excluded.alerts_sent,
                    alerts_suppressed = excluded.alerts_suppressed, sequence = excluded.sequence,
                    events = excluded.events, rejected = excluded.rejected
                """).execute(arguments: [e.watermark, e.alertsSent, e.alertsSuppressed, Int64(bitPattern: batch.sequence),
                                         batch.events, batch.rejected])
            if let all = batch.replacesAllRules {
                try db.execute(sql: "DELETE FROM group_state; DELETE FROM rule_state; DELETE FROM state_log")
                for rule in all {
                    try Self.writeRuleRecord(db, rule: rule.rule, fingerprint: rule.fingerprint, firstSeen: rule.firstSeen)
                    try Self.writeGroups(db, rule: rule.rule, rule.groups)
                }
                for rule in e.rules {
                    try Self.writeGroups(db, rule: rule.rule, rule.upserts)
                    try Self.deleteGroups(db, rule: rule.rule, rule.deletions)
                }
            } else {
                for rule in e.rules where rule.ruleRecordChanged {
                    try Self.writeRuleRecord(db, rule: rule.rule, fingerprint: rule.fingerprint, firstSeen: rule.firstSeen)
                }
                if let log {
                    try db.cachedStatement(sql: "INSERT INTO state_log (changes) VALUES (?)").execute(arguments: [Data(log)])
                }
                if fold { try StateLog.fold(db) }
            }
            var sequences: [Int64] = []
            sequences.reserveCapacity(batch.alerts.count)
            let insertAlert = try db.cachedStatement(sql: """
                INSERT INTO outbox (alert_id, rule, severity, time, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            let insertDelivery = try db.cachedStatement(sql: "INSERT INTO delivery (sink, seq) VALUES (?, ?)")
            var line: [UInt8] = []
            for routed in batch.alerts {
                let a = routed.alert
                line.removeAll(keepingCapacity: true)
                a.appendJSONLine(to: &line)
                if line.last == UInt8(ascii: "\n") { line.removeLast() }
                try insertAlert.execute(arguments: [a.id, a.rule, a.severity.rawValue, a.time,
                                                    String(decoding: line, as: UTF8.self), batch.committedAt])
                let seq = db.lastInsertedRowID
                sequences.append(seq)
                for sink in routed.sinks { try insertDelivery.execute(arguments: [sink, seq]) }
            }
            for alertID in batch.resolutions {
                try Self.insertResolution(db, alertID: alertID, at: batch.committedAt)
            }
            let savePosition = try db.cachedStatement(sql: """
                INSERT INTO source_position (source, checkpoint) VALUES (?, ?)
                ON CONFLICT (source) DO UPDATE SET checkpoint = excluded.checkpoint
                """)
            for (source, checkpoint) in batch.positions.sorted(by: { $0.key < $1.key }) {
                try savePosition.execute(arguments: [source, checkpoint])
            }
            return sequences
        }
        logSize.withLock { size in
            if batch.replacesAllRules != nil || fold {
                size = (0, 0)
            } else if let log {
                size = (size.rows + 1, size.bytes + log.count)
            }
        }
        return sequences
    }

    /// Each source's saved checkpoint (JSON text) by source name.
    public func positions() throws -> [String: String] {
        try pool.read(Self.positions)
    }

    private static func positions(_ db: Database) throws -> [String: String] {
        var positions: [String: String] = [:]
        for p in try Row.fetchAll(db, sql: "SELECT source, checkpoint FROM source_position") {
            positions[p["source"]] = p["checkpoint"]
        }
        return positions
    }

    /// Forgets the position of sources no longer configured, so a source added again later starts afresh.
    public func forgetSources(except names: Set<String>) throws {
        try pool.write { db in
            let known = try String.fetchAll(db, sql: "SELECT source FROM source_position")
            for name in known where !names.contains(name) {
                try db.execute(sql: "DELETE FROM source_position WHERE source = ?", arguments: [name])
            }
        }
    }

    /// The alert's latest firing row again as 'resolved', pending for every sink the firing row went to.
    /// Nothing when the alert is no longer in the outbox (pruned).
    private static func insertResolution(_ db: Database, alertID: String, at time: Int64) throws {
        guard let original = try Int64.fetchOne(db, sql: """
            SELECT seq FROM outbox WHERE alert_id = ? AND kind = 'firing' ORDER BY seq DESC LIMIT 1
            """, arguments: [alertID]) else { return }
        try db.execute(sql: """
            INSERT INTO outbox (alert_id, rule, severity, time, body, created_at, kind)
            SELECT alert_id, rule, severity, time, body, ?, 'resolved' FROM outbox WHERE seq = ?
            """, arguments: [time, original])
        let seq = db.lastInsertedRowID
        try db.execute(sql: "INSERT INTO delivery (sink, seq) SELECT sink, ? FROM delivery WHERE seq = ?",
                       arguments: [seq, original])
    }

    private static func writeRuleRecord(_ db: Database, rule: String, fingerprint: String, firstSeen: Int64?) throws {
        try db.cachedStatement(sql: """
            INSERT INTO rule_state (rule, fingerprint, first_seen) VALUES (?, ?, ?)
            ON CONFLICT (rule) DO UPDATE SET fingerprint = excluded.fingerprint, first_seen = excluded.first_seen
            """).execute(arguments: [rule, fingerprint, firstSeen])
    }

    static func writeGroups(_ db: Database, rule: String, _ groups: [GroupRecord]) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO group_state (rule, key, state) VALUES (?, ?, ?)
            ON CONFLICT (rule, key) DO UPDATE SET state = excluded.state
            """)
        for group in groups { try upsert.execute(arguments: [rule, Data(group.key), group.state]) }
    }

    static func deleteGroups(_ db: Database, rule: String, _ keys: [[UInt8]]) throws {
        let delete = try db.cachedStatement(sql: "DELETE FROM group_state WHERE rule = ? AND key = ?")
        for key in keys { try delete.execute(arguments: [rule, Data(key)]) }
    }
}
