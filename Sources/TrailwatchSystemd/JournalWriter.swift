import CSystemd

/// Writes journal entries with any fields, for the log handler and the `journal` sink.
public enum JournalWriter {
    /// Sends one entry; returns `sd_journal_sendv`'s result (0 also when no journald listens: libsystemd
    /// drops the entry silently then).
    @discardableResult
    public static func send(_ fields: [String]) -> Int32 {
        // One contiguous buffer, so every iovec points into memory that lives for the whole call.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            var vectors = ranges.map { range in
                iovec(iov_base: buffer.baseAddress.map { $0 + range.lowerBound }, iov_len: range.count)
            }
            return sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }

    /// Sends one entry of `(name, value)` fields.
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Int32 { send(fields.map { "\($0.0)=\($0.1)" }) }
}
