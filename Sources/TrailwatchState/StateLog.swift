import Foundation
import GRDB
import TrailwatchEngine

/// Group changes as committed: one `state_log` row per batch, folded into `group_state` from time to time.
///
/// A batch changes a handful of groups spread over the whole `group_state` B-tree. Written in place, each
/// cost a statement and a WAL page of its own, and on a backlog (4,096-event batches, hundreds of groups)
/// the commit cost more than evaluating the events. Appended as one row per batch, a commit writes one row
/// at the end of one table, in the same transaction as the alerts and positions; a fold later writes each
/// group once, however many batches changed it. Loading reads `group_state`, then the log in order.
public enum StateLog {
    private static let version: UInt8 = 1

    /// Fold once the log holds this many batches or bytes: a fold then writes a few thousand rows at most,
    /// a few milliseconds every few seconds at 10,000 events/s.
    public static let foldRows = 512
    static let foldBytes = 8 << 20

    /// One batch's group changes as one record; nil when no group changed.
    static func encode(_ rules: [RuleChanges]) -> [UInt8]? {
        let changed = rules.filter { !$0.upserts.isEmpty || !$0.deletions.isEmpty }
        guard !changed.isEmpty else { return nil }
        var out = GroupRecordWriter(capacity: changed.reduce(16) { size, rule in
            size + 16 + rule.upserts.reduce(0) { $0 + 8 + $1.key.count + $1.state.count }
                + rule.deletions.reduce(0) { $0 + 4 + $1.count }
        })
        out.byte(version)
        out.unsigned(UInt64(changed.count))
        for rule in changed {
            out.string(rule.rule)
            out.unsigned(UInt64(rule.upserts.count))
            for group in rule.upserts {
                out.data(group.key)
                out.data(group.state)
            }
            out.unsigned(UInt64(rule.deletions.count))
            for key in rule.deletions { out.data(key) }
        }
        return out.bytes
    }

    /// Calls `change` for each group change of one record, in the order they were made: a nil state is a
    /// deletion.
    static func forEachChange(in record: [UInt8], _ change: (_ rule: String, _ key: [UInt8], _ state: Data?) -> Void) throws {
        var input = GroupRecordReader(record)
        let v = try input.byte()
        guard v == version else { throw SnapshotError.corrupt("state log record version \(v) is not supported") }
        for _ in 0..<(try input.count(minimumBytes: 3)) {
            let rule = try input.string()
            for _ in 0..<(try input.count(minimumBytes: 2)) {
                let key = Array(try input.data())
                change(rule, key, Data(try input.data()))
            }
            for _ in 0..<(try input.count()) { change(rule, Array(try input.data()), nil) }
        }
        guard input.isAtEnd else { throw SnapshotError.corrupt("state log record has bytes after its end") }
    }

    /// Every logged change in commit order, the latest per group: rule → key → state (nil: deleted).
    static func latestChanges(_ db: Database) throws -> [String: [[UInt8]: Data?]] {
        var latest: [String: [[UInt8]: Data?]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, changes FROM state_log ORDER BY seq")
        while let row = try rows.next() {
            let bytes: Data = row["changes"]
            do {
                try forEachChange(in: [UInt8](bytes)) { rule, key, state in latest[rule, default: [:]][key] = .some(state) }
            } catch {
                let seq: Int64 = row["seq"]
                throw SnapshotError.corrupt("state log row \(seq): \(error)")
            }
        }
        return latest
    }

    /// Writes the logged changes into `group_state` and empties the log.
    static func fold(_ db: Database) throws {
        for (rule, groups) in try latestChanges(db) {
            var upserts: [GroupRecord] = [], deletions: [[UInt8]] = []
            for (key, state) in groups {
                if let state { upserts.append(GroupRecord(key: key, state: state)) } else { deletions.append(key) }
            }
            try StateStore.writeGroups(db, rule: rule, upserts)
            try StateStore.deleteGroups(db, rule: rule, deletions)
        }
        try db.execute(sql: "DELETE FROM state_log")
    }
}
