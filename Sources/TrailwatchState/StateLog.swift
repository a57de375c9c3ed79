import Foundation
import GRDB
import TrailwatchEngine

/// Group changes as committed: one `state_log` row per batch, folded into `group_state` from time to time.
///
/// A batch changes a handful of groups spread over the whole `group_state` B-tree; written in place, each
/// costs a statement and dirties a page of its own. Appended as one row per batch, a commit writes one row
/// at the end of one table, in the same transaction as the alerts and positions; a fold later writes each
/// group once, however many batches changed it (live at 10,000 events/s: a third less commit CPU). Loading
/// reads `group_state`, then the log in order. The record format is the engine's (`GroupChangesCoding`).
public enum StateLog {
    /// Fold once the log holds this many batches or bytes: at 10,000 events/s in 5 ms batches, a fold of
    /// 10–16 ms every 3–4 s.
    public static let foldRows = 512
    static let foldBytes = 8 << 20

    /// Every logged change in commit order, the latest per group: rule → key → state (nil: deleted).
    static func latestChanges(_ db: Database) throws -> [String: [[UInt8]: Data?]] {
        var latest: [String: [[UInt8]: Data?]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, changes FROM state_log ORDER BY seq")
        while let row = try rows.next() {
            let bytes: Data = row["changes"]
            do {
                try GroupChangesCoding.forEachChange(in: [UInt8](bytes)) { rule, key, state in latest[rule, default: [:]][key] = .some(state) }
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
