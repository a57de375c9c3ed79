/// A line of a source, handed out in place: valid only during the callback that receives it.
public struct SourceLine {
    /// The line without its newline (a trailing `\r` is kept: the JSON parser treats it as whitespace).
    public var bytes: UnsafeRawBufferPointer
    /// Bytes readable from `bytes.baseAddress`: the line, then at least `SourceLimits.padding` more,
    /// so the JSON parser can read past the end without a copy.
    public var readable: Int
    /// Where it came from: the path of the file as it was opened, `-` for standard input.
    public var origin: String
    /// 1-based line number within `origin` (blank and rejected lines count).
    public var number: Int

    public init(bytes: UnsafeRawBufferPointer, readable: Int, origin: String, number: Int) {
        self.bytes = bytes
        self.readable = readable
        self.origin = origin
        self.number = number
    }
}

/// What a source delivers: a line, or the place of a line too long to keep.
public enum SourceItem {
    case line(SourceLine)
    /// A line over the limit was skipped whole (up to its newline); `length` is its size in bytes.
    case oversized(origin: String, number: Int, length: Int)
}

/// Limits shared by every source.
public struct SourceLimits: Sendable, Equatable {
    /// Bytes readable after each line (simdjson's SIMDJSON_PADDING is 64).
    public static let padding = 64
    /// Longest line accepted, newline excluded.
    public var maximumLineBytes: Int

    public init(maximumLineBytes: Int = 1 << 20) { self.maximumLineBytes = maximumLineBytes }
}

/// Where a source stands in one file: enough to find the same bytes again after a restart, even when
/// the file was renamed by rotation in between.
public struct FilePosition: Codable, Sendable, Hashable {
    /// The path the file was opened under (its lines' `origin`); it is looked for there first after a restart.
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    /// Bytes consumed: the offset just after the newline of the last line delivered.
    public var offset: UInt64
    /// Lines consumed, so line numbers continue after a restart.
    public var line: Int
    /// A hash of the file's first `min(offset, 4096)` bytes, so that a restart does not take a new file that
    /// reused the inode (or a file rewritten while stopped) for the one saved. Nil in older checkpoints.
    public var fingerprint: UInt64?
    /// The file's size when it was last looked at, so that a restart that cannot find the file can say how
    /// many bytes (at least) may be lost. Nil in older checkpoints.
    public var size: UInt64?
    /// The file's modification time when the checkpoint was taken (nanoseconds since the Unix epoch), so
    /// that a restart that cannot find the file still knows which rotated files were written after it.
    /// Nil in older checkpoints.
    public var modified: Int64?

    public init(path: String, device: UInt64, inode: UInt64, offset: UInt64, line: Int,
                fingerprint: UInt64? = nil, size: UInt64? = nil, modified: Int64? = nil) {
        self.path = path
        self.device = device
        self.inode = inode
        self.offset = offset
        self.line = line
        self.fingerprint = fingerprint
        self.size = size
        self.modified = modified
    }
}

/// A source's whole position, saved in the same transaction as the rule state it led to.
public struct SourceCheckpoint: Codable, Sendable, Hashable {
    public var files: [FilePosition]

    public init(files: [FilePosition] = []) { self.files = files }
}

/// A stream of event lines that the daemon polls.
///
/// Sources never block: the daemon waits on `wakeDescriptor` (and a timer) and then calls `read`.
/// After `read` returns, `checkpoint` covers exactly the items delivered so far, so that committing it
/// with the state those items produced makes a restart resume at the next line: none lost, none repeated.
public protocol EventSource: AnyObject {
    /// The name given in the configuration; used in logs and as the key of the saved checkpoint.
    var name: String { get }
    /// A descriptor that becomes readable when new data may be there (inotify, a pipe); nil means poll.
    var wakeDescriptor: Int32? { get }
    /// Delivers up to `limit` complete lines available now, without blocking; returns how many items it delivered.
    /// A partial last line is held back until its newline arrives. An item whose `body` throws is not
    /// delivered: the checkpoint stays before it, it is offered again, and the error is rethrown.
    func read(limit: Int, _ body: (SourceItem) throws -> Void) throws -> Int
    /// The position after the last item delivered.
    var checkpoint: SourceCheckpoint { get }
    /// True once the source has ended for good (standard input at end of file); files never end.
    var isFinished: Bool { get }
    /// Releases descriptors; the source is not used afterwards.
    func close()
}
