import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads event lines from standard input (or any descriptor, e.g. a pipe in tests) without blocking.
///
/// Each read is preceded by a zero-timeout `poll`, so the descriptor's flags are left alone (setting
/// `O_NONBLOCK` would change them for every process sharing the terminal or pipe). Lines are split and
/// limited like a file's; a last line without a newline is delivered at end of input, after which the
/// source is finished.
///
/// The checkpoint is always empty: standard input cannot be rewound, so after a restart reading simply
/// continues with whatever the input gives next (lines read but not committed before a crash are lost).
public final class StdinSource: EventSource {
    public let name: String
    private let descriptor: Int32
    private let buffer: LineBuffer
    private var logger: Logger
    private var lines = 0
    private var atEndOfInput = false
    private var finished = false
    private var lastError: SystemError?
    private var isClosed = false

    /// - Parameter fileDescriptor: the descriptor to read, 0 by default. `close()` closes it unless it is
    ///   one of the standard descriptors (0–2), which belong to the process.
    public init(name: String, fileDescriptor: Int32 = 0, limits: SourceLimits, logger: Logger) {
        self.name = name
        self.descriptor = fileDescriptor
        self.buffer = LineBuffer(maximumLineBytes: limits.maximumLineBytes)
        var logger = logger
        logger[metadataKey: "source"] = "\(name)"
        logger[metadataKey: "file"] = "-"
        self.logger = logger
    }

    public var wakeDescriptor: Int32? { finished ? nil : descriptor }

    public var isFinished: Bool { finished }

    /// Always empty: standard input cannot be resumed.
    public var checkpoint: SourceCheckpoint { SourceCheckpoint() }

    public func read(limit: Int, _ body: (SourceItem) throws -> Void) throws -> Int {
        var count = 0
        while count < limit, !finished {
            if let item = buffer.peek() ?? (atEndOfInput ? buffer.peekTail() : nil) {
                try emit(item, body)
                count += 1
                continue
            }
            if atEndOfInput {
                finished = true
                logger.info("standard input ended", metadata: ["lines": "\(lines)"])
                break
            }
            guard isReadable() else { break }
            let space = buffer.reserve()
            let n = Glibc.read(descriptor, space.baseAddress, space.count)
            if n > 0 {
                buffer.didRead(n, offered: space.count)
                lastError = nil
            } else if n == 0 {
                atEndOfInput = true
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                let error = SystemError(errno)
                if error != lastError { logger.error("cannot read standard input", metadata: ["error": "\(error)"]) }
                lastError = error
                if error.code == EBADF || error.code == EINVAL || error.code == EISDIR {
                    atEndOfInput = true  // it will never be readable: end, after what is held
                } else {
                    break
                }
            }
        }
        return count
    }

    public func close() {
        if !isClosed, descriptor > 2 { Glibc.close(descriptor) }
        isClosed = true
        finished = true
    }

    private func isReadable() -> Bool {
        var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&fds, 1, 0)
            if ready > 0 { return true }  // data, end of input (POLLHUP) or an error: read says which
            if ready == 0 { return false }
            if errno != EINTR { return true }
        }
    }

    private func emit(_ item: LineBuffer.Item, _ body: (SourceItem) throws -> Void) throws {
        switch item {
        case .line:
            let (bytes, readable) = buffer.bytes(of: item)
            try body(.line(SourceLine(bytes: bytes, readable: readable, origin: "-", number: lines + 1)))
        case .oversized(let length, _):
            try body(.oversized(origin: "-", number: lines + 1, length: length))
        }
        buffer.commit(item)
        lines += 1
    }
}
