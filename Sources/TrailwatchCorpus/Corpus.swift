#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-corpus helpers, so callers need not drive a generator themselves.
public enum Corpus {
    /// Size of each `write(2)`: large writes keep a 1.6 GB corpus from costing a syscall per line.
    public static let writeChunkBytes = 4 << 20

    /// Writes the whole corpus to an open file descriptor in 4 MiB writes and returns what was planted, so the benchmark can generate straight to disk or a pipe.
    public static func write(options: CorpusOptions, toFileDescriptor fd: Int32) throws -> PlantedIncidents {
        var generator = CorpusGenerator(options: options)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(writeChunkBytes + 64 * 1024)
        while generator.appendNextLine(to: &buffer) {
            if buffer.count >= writeChunkBytes {
                try writeAll(buffer, to: fd)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try writeAll(buffer, to: fd) }
        return generator.planted
    }

    /// Generates the whole corpus in memory, so tests and small demos get the bytes and the planted counts in one call.
    public static func generate(options: CorpusOptions) -> (bytes: [UInt8], planted: PlantedIncidents) {
        var generator = CorpusGenerator(options: options)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(max(0, options.events) * 1700)
        while generator.appendNextLine(to: &buffer) {}
        return (buffer, generator.planted)
    }

    private static func writeAll(_ buffer: [UInt8], to fd: Int32) throws {
        try buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw CorpusWriteError(errno: code)
                }
                offset += n
            }
        }
    }
}

/// A failed `write(2)` while writing a corpus, with its errno so the caller can report the cause.
public struct CorpusWriteError: Error, Equatable, Sendable {
    /// The `errno` value `write(2)` set.
    public var errno: Int32
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #elseif canImport(Musl)
    return Musl.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
