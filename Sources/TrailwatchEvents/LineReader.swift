#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream (a file, standard input) into lines with large reads and `memchr`.
///
/// Lines are handed out in place, with padding after them so the JSON parser need not copy them.
/// A line longer than `maximumLineBytes` is not buffered: it is reported as oversized and skipped,
/// and the stream goes on with the next line.
public final class LineReader {
    /// One line, without its newline; valid only during the callback.
    public struct Line {
        public var bytes: UnsafeRawBufferPointer
        /// Bytes readable from `bytes.baseAddress` (the line, then at least `EventParser.padding`).
        public var readable: Int
        /// 1-based, counting every physical line.
        public var number: Int
    }

    public enum Item {
        case line(Line)
        /// A line over the limit: its number and how long it was (it was skipped).
        case oversized(number: Int, length: Int)
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { String(cString: strerror(errno)) }
    }

    private let fd: Int32
    private let chunkSize: Int
    public let maximumLineBytes: Int
    private let padding: Int
    private var buffer: UnsafeMutableRawBufferPointer

    public init(fileDescriptor: Int32, chunkSize: Int = 1 << 20, maximumLineBytes: Int = 1 << 20) {
        fd = fileDescriptor
        #if canImport(Glibc)
        // Sequential reading: the kernel reads further ahead (no effect on pipes and terminals).
        _ = posix_fadvise(fileDescriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        self.chunkSize = chunkSize
        self.maximumLineBytes = maximumLineBytes
        padding = max(EventParser.padding, 64)
        buffer = .allocate(byteCount: chunkSize + maximumLineBytes + 1 + padding, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Reads to end of input, calling `body` for every line; a last line without newline counts as a line.
    public func forEach(_ body: (Item) throws -> Void) throws {
        let base = buffer.baseAddress!
        var filled = 0  // bytes in buffer[0..<filled] not yet handed out
        var lineNumber = 0
        var skipping: Int? = nil  // length so far of an oversized line being skipped
        var atEOF = false

        while true {
            if !atEOF {
                let room = buffer.count - padding - filled
                let n = read(fd, base + filled, min(room, chunkSize))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ReadError(errno: errno)
                }
                if n == 0 { atEOF = true } else { filled += n }
            }
            var start = 0
            while start < filled {
                let rest = filled - start
                guard let nl = memchr(base + start, 0x0A, rest) else { break }
                let end = base.distance(to: nl)  // index of the newline
                lineNumber += 1
                if let skipped = skipping {
                    try body(.oversized(number: lineNumber, length: skipped + end - start))
                    skipping = nil
                } else if end - start > maximumLineBytes {
                    try body(.oversized(number: lineNumber, length: end - start))
                } else {
                    let bytes = UnsafeRawBufferPointer(start: base + start, count: end - start)
                    try body(.line(Line(bytes: bytes, readable: buffer.count - start, number: lineNumber)))
                }
                start = end + 1
            }
            // Keep the partial line at the front for the next read.
            let partial = filled - start
            if skipping != nil || partial > maximumLineBytes {
                skipping = (skipping ?? 0) + partial
                filled = 0
            } else if start > 0 {
                if partial > 0 { memmove(base, base + start, partial) }
                filled = partial
            }
            if atEOF {
                if let skipped = skipping {
                    try body(.oversized(number: lineNumber + 1, length: skipped))
                } else if filled > 0 {
                    memset(base + filled, 0, padding)
                    let bytes = UnsafeRawBufferPointer(start: base, count: filled)
                    try body(.line(Line(bytes: bytes, readable: buffer.count, number: lineNumber + 1)))
                }
                return
            }
        }
    }
}
