import Foundation

/// One batch's group changes (every rule's upserts and deletions) as one binary record: how the store's
/// state log keeps a commit's changes in a single row. Same encoding as group records
/// (`GroupRecordWriter`).
public enum GroupChangesCoding {
    private static let version: UInt8 = 1

    /// The record of `rules`' group changes; nil when no group changed.
    public static func encode(_ rules: [RuleChanges]) -> [UInt8]? {
        let changed = rules.filter { !$0.upserts.isEmpty || !$0.deletions.isEmpty }
        guard !changed.isEmpty else { return nil }
        var out = GroupRecordWriter(capacity: 256)
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
    /// deletion. A damaged record is `SnapshotError.corrupt`.
    public static func forEachChange(in record: [UInt8], _ change: (_ rule: String, _ key: [UInt8], _ state: Data?) -> Void) throws {
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
}
