#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// One open file being followed: reads it in large chunks with `pread`, hands out its lines in order,
/// and knows exactly which bytes were delivered (`consumed`), which is what the checkpoint saves.
///
/// The descriptor stays open across renames and deletion, so a rotated file is read to its real end.
final class FileFollower {
    /// The path it was opened under: its lines' `origin`, and the chain it belongs to (a file and the
    /// files that replaced it at that path are read oldest first).
    let origin: String
    /// Where it was last seen; differs from `origin` after a rename to another matching name.
    var path: String
    let identity: FileIdentity
    /// Order of discovery: among files with the same `origin`, the older is read first.
    let sequence: Int
    private var descriptor: Int32
    private let buffer: LineBuffer
    /// Offset just after the last item delivered.
    private(set) var consumed: UInt64
    /// Items delivered (blank, rejected and over-long lines count), so line numbers stay exact.
    private(set) var lines: Int
    /// Where the next `pread` starts.
    private var readOffset: UInt64
    private var knownSize: UInt64
    /// Set when no pattern matches the file anymore (rotated away or deleted): it is drained, then closed.
    private(set) var orphanedAt: UInt64?
    private var lastDataAt: UInt64
    /// Reached the end of what is there during the current `read` call (or cannot be read now).
    var exhausted = false
    /// Drained and closed; the source drops it.
    private(set) var finished = false
    private var lastError: SystemError?
    private var fingerprint: (length: Int, hash: UInt64)?
    /// The file's modification time when it was last looked at (for the checkpoint).
    private(set) var modified: Int64
    private var logger: Logger

    /// Takes ownership of `descriptor`, positioned at `offset` after `lines` lines.
    init(origin: String, path: String, descriptor: Int32, status: FileStatus, sequence: Int,
         offset: UInt64, lines: Int, limits: SourceLimits, now: UInt64, logger: Logger) {
        self.origin = origin
        self.path = path
        self.identity = status.identity
        self.sequence = sequence
        self.descriptor = descriptor
        self.buffer = LineBuffer(maximumLineBytes: limits.maximumLineBytes)
        self.consumed = offset
        self.lines = lines
        self.readOffset = offset
        self.knownSize = status.size
        self.lastDataAt = now
        self.modified = status.modified
        var logger = logger
        logger[metadataKey: "file"] = "\(origin)"
        self.logger = logger
    }

    var isOrphaned: Bool { orphanedAt != nil }

    /// Whether files that replaced this one at its path must still wait: it has lines not yet read in this
    /// call, or it was rotated away with a partial last line that is delivered only when it is closed.
    var holdsBackSuccessors: Bool { !finished && (!exhausted || (isOrphaned && !buffer.isEmpty)) }

    /// Skips to the end of the last complete line, counting lines so numbers stay exact (`startAt: .end`).
    func skipToEnd() {
        let chunk = 1 << 20
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { scratch.deallocate() }
        var offset: UInt64 = 0
        var count = 0
        var afterLastNewline: UInt64 = 0
        while case .success(let n) = preadRetrying(descriptor, scratch, at: offset), n > 0 {
            var at = 0
            while at < n, let found = memchr(scratch.baseAddress! + at, 0x0A, n - at) {
                let index = scratch.baseAddress!.distance(to: UnsafeMutableRawPointer(found))
                count += 1
                afterLastNewline = offset + UInt64(index + 1)
                at = index + 1
            }
            offset += UInt64(n)
        }
        consumed = afterLastNewline
        readOffset = afterLastNewline
        lines = count
        knownSize = max(knownSize, offset)
    }

    /// The file matches no pattern anymore: read it to its end, then close it.
    func orphan(now: UInt64) {
        if orphanedAt == nil { orphanedAt = now }
    }

    /// The file matches a pattern again (renamed back, or to another matching name).
    func seen(at path: String) {
        self.path = path
        orphanedAt = nil
    }

    /// `fstat` of the open file; nil once closed or when it fails.
    func status() -> FileStatus? {
        guard descriptor >= 0, case .success(let status) = FileStatus.of(descriptor: descriptor) else { return nil }
        return status
    }

    /// Whether the open file was deleted (no name left).
    var isDeleted: Bool {
        if case .success(let status) = FileStatus.of(descriptor: descriptor) { return status.links == 0 }
        return false
    }

    /// Delivers up to `limit` items, stopping at the end of what is there (`exhausted`). A rotated-away
    /// file is closed once it has stayed at its end for `rotateWait` nanoseconds, after its partial last
    /// line, if any, was delivered as a line.
    func deliver(limit: Int, now: UInt64, rotateWait: UInt64, _ body: (SourceItem) throws -> Void) throws -> Int {
        var count = 0
        while count < limit, !finished {
            if let item = buffer.peek() {
                try emit(item, body)
                count += 1
                continue
            }
            if exhausted { break }
            switch fill(now: now) {
            case .data:
                continue
            case .failed:
                exhausted = true
            case .endOfFile:
                if let size = truncatedSize() {
                    // Copy-truncate: what is held can never be completed; deliver it, then start over.
                    if let tail = buffer.peekTail() {
                        try emit(tail, body)
                        count += 1
                    }
                    logger.warning("file truncated (copytruncate?): reading it again from the start; lines written between the copy and the truncation are lost", metadata: [
                        "offset": "\(readOffset)", "size": "\(size)", "line": "\(lines)",
                    ])
                    restartAtZero()
                    continue
                }
                exhausted = true
                if let orphanedAt, now &- max(lastDataAt, orphanedAt) >= rotateWait {
                    if let tail = buffer.peekTail() {
                        try emit(tail, body)
                        count += 1
                    }
                    if buffer.isEmpty {
                        logger.info("finished reading a rotated or deleted file; closed", metadata: [
                            "now-at": "\(path)", "lines": "\(lines)", "bytes": "\(consumed)",
                        ])
                        close()
                    }
                }
            }
        }
        return count
    }

    /// Where this file stands, for the checkpoint.
    func position() -> FilePosition {
        let length = Fingerprint.length(forOffset: consumed)
        if fingerprint?.length != length, !finished {
            fingerprint = Fingerprint.compute(descriptor, length: length).map { (length, $0) }
        }
        if !finished, case .success(let status) = FileStatus.of(descriptor: descriptor) { modified = status.modified }
        return FilePosition(path: origin, device: identity.device, inode: identity.inode, offset: consumed,
                            line: lines, fingerprint: fingerprint?.length == length ? fingerprint?.hash : nil,
                            size: max(knownSize, readOffset), modified: modified)
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        finished = true
        buffer.clear()
    }

    private func emit(_ item: LineBuffer.Item, _ body: (SourceItem) throws -> Void) throws {
        switch item {
        case .line:
            let (bytes, readable) = buffer.bytes(of: item)
            try body(.line(SourceLine(bytes: bytes, readable: readable, origin: origin, number: lines + 1)))
        case .oversized(let length, _):
            try body(.oversized(origin: origin, number: lines + 1, length: length))
        }
        // Only once the consumer took it: an item whose consumer threw is offered again.
        buffer.commit(item)
        consumed += UInt64(item.consumed)
        lines += 1
    }

    private enum Fill { case data, endOfFile, failed }

    private func fill(now: UInt64) -> Fill {
        let space = buffer.reserve()
        switch preadRetrying(descriptor, space, at: readOffset) {
        case .success(0):
            return .endOfFile
        case .success(let n):
            buffer.didRead(n, offered: space.count)
            readOffset += UInt64(n)
            knownSize = max(knownSize, readOffset)
            lastDataAt = now
            lastError = nil
            return .data
        case .failure(let error):
            if error != lastError {
                logger.error("cannot read file; will retry", metadata: ["error": "\(error)", "offset": "\(readOffset)"])
            }
            lastError = error
            return .failed
        }
    }

    /// The file's size when it is now below what was read (it was truncated), else nil.
    private func truncatedSize() -> UInt64? {
        guard case .success(let status) = FileStatus.of(descriptor: descriptor) else { return nil }
        knownSize = status.size
        return status.size < readOffset ? status.size : nil
    }

    private func restartAtZero() {
        buffer.clear()
        consumed = 0
        readOffset = 0
        lines = 0
        knownSize = 0
        fingerprint = nil
    }
}
