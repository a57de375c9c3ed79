#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to a file descriptor: alerts go out in large writes, and `flush` makes them visible.
public final class OutputWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    public init(fileDescriptor: Int32, capacity: Int = 1 << 16) {
        fd = fileDescriptor
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    deinit { try? flush() }

    public struct WriteError: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { String(cString: strerror(errno)) }
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Appends through a closure, avoiding an intermediate array.
    public func append(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                buffer.removeAll(keepingCapacity: true)
                throw WriteError(errno: e)
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
