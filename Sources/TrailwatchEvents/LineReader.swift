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
    /// Regular files at least this long are mapped rather than read (tests map small files).
    private let smallestMappedFile: Int

    public init(fileDescriptor: Int32, chunkSize: Int = 1 << 20, maximumLineBytes: Int = 1 << 20,
                smallestMappedFile: Int = 1 << 20) {
        fd = fileDescriptor
        self.smallestMappedFile = max(1, smallestMappedFile)
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
        var lineNumber = 0
        try forEachMapped(&lineNumber, body)
        try forEachRead(&lineNumber, body)
    }

    /// A regular file is mapped and its lines handed out in place: no copy from the page cache, which took a
    /// tenth of replay's time. What is past the last newline at the time of mapping (a partial line, or
    /// lines appended since) is left to `read`, from the offset after that newline.
    private func forEachMapped(_ lineNumber: inout Int, _ body: (Item) throws -> Void) throws {
        #if canImport(Glibc)
        var status = stat()
        let offset = lseek(fd, 0, SEEK_CUR)
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, offset >= 0,
              Int(status.st_size) - Int(offset) >= smallestMappedFile else { return }
        let mappedOffset = Int(offset) & ~(Self.pageSize - 1)  // mmap's offset must be page aligned
        let skipped = Int(offset) - mappedOffset
        let length = Int(status.st_size) - mappedOffset
        guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, off_t(mappedOffset)),
              mapping != MAP_FAILED else { return }  // read() copes with whatever this cannot map
        defer { munmap(mapping, length) }
        _ = madvise(mapping, length, MADV_SEQUENTIAL)
        let base = UnsafeRawPointer(mapping)
        // Readable: up to the end of the last page (the kernel fills it with zeros past the end of the file).
        let readableEnd = (length + Self.pageSize - 1) & ~(Self.pageSize - 1)
        var start = skipped
        while start < length, let nl = memchr(base + start, 0x0A, length - start) {
            let end = base.distance(to: UnsafeRawPointer(nl))
            lineNumber += 1
            if end - start > maximumLineBytes {
                try body(.oversized(number: lineNumber, length: end - start))
            } else if readableEnd - end >= padding {
                let bytes = UnsafeRawBufferPointer(start: base + start, count: end - start)
                try body(.line(Line(bytes: bytes, readable: readableEnd - start, number: lineNumber)))
            } else {
                // Too close to the end of the mapping for the parser's padding: handed out from the buffer.
                let copy = buffer.baseAddress!
                copy.copyMemory(from: base + start, byteCount: end - start)
                memset(copy + (end - start), 0, padding)
                let bytes = UnsafeRawBufferPointer(start: copy, count: end - start)
                try body(.line(Line(bytes: bytes, readable: buffer.count, number: lineNumber)))
            }
            start = end + 1
        }
        // The rest (no newline yet) is read again with read(), joined to what follows it.
        if lseek(fd, off_t(mappedOffset + start), SEEK_SET) < 0 { throw ReadError(errno: errno) }
        #endif
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private func forEachRead(_ lineNumber: inout Int, _ body: (Item) throws -> Void) throws {
        let base = buffer.baseAddress!
        var filled = 0  // bytes in buffer[0..<filled] not yet handed out
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
