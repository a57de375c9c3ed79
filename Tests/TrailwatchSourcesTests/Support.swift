import Foundation
import Logging
import Synchronization
import Testing
@testable import TrailwatchSources

#if canImport(Glibc)
import Glibc
#endif

/// An appending writer holding its descriptor like a logging process does (it keeps writing to the
/// renamed file until it reopens).
final class Writer {
    let path: String
    private(set) var fd: Int32

    init(_ path: String, create: Bool = true) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | (create ? O_CREAT : 0), 0o644)
        precondition(fd >= 0, "cannot open \(path)")
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "write failed")
            done += n
        }
    }

    /// Writes each text followed by a newline.
    func lines(_ texts: [String]) { write(texts.map { $0 + "\n" }.joined()) }

    /// Reopens at `path` (creating it), like a writer after rotation.
    func reopen() {
        close(fd)
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        precondition(fd >= 0)
    }

    func closeFile() {
        close(fd)
        fd = -1
    }
}

func rename(_ from: String, _ to: String) { precondition(Glibc.rename(from, to) == 0, "rename failed") }
func truncateFile(_ path: String, to size: Int = 0) { precondition(truncate(path, off_t(size)) == 0) }
func removeFile(_ path: String) { precondition(unlink(path) == 0) }
func inode(of path: String) -> UInt64 {
    var s = stat()
    precondition(stat(path, &s) == 0)
    return UInt64(s.st_ino)
}

/// What a source delivered, copied out of the callback.
enum Got: Equatable, CustomStringConvertible {
    case line(origin: String, number: Int, bytes: [UInt8])
    case oversized(origin: String, number: Int, length: Int)

    static func text(_ origin: String, _ number: Int, _ text: String) -> Got {
        .line(origin: origin, number: number, bytes: Array(text.utf8))
    }

    var text: String? {
        if case .line(_, _, let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    var origin: String {
        switch self {
        case .line(let origin, _, _), .oversized(let origin, _, _): origin
        }
    }

    var description: String {
        switch self {
        case .line(let origin, let number, _): "\(origin.split(separator: "/").last ?? ""):\(number) \(text!.debugDescription)"
        case .oversized(let origin, let number, let length): "\(origin.split(separator: "/").last ?? ""):\(number) oversized \(length)"
        }
    }
}

/// Copies an item out, checking the padding promise on the way.
func copy(_ item: SourceItem) -> Got {
    switch item {
    case .line(let line):
        #expect(line.readable >= line.bytes.count + SourceLimits.padding, "line \(line.number) lacks its padding")
        return .line(origin: line.origin, number: line.number, bytes: Array(line.bytes))
    case .oversized(let origin, let number, let length):
        return .oversized(origin: origin, number: number, length: length)
    }
}

/// One `read` call, its items copied out; checks the returned count and the limit.
@discardableResult
func readOnce(_ source: any EventSource, limit: Int = 10_000) throws -> [Got] {
    var got: [Got] = []
    let count = try source.read(limit: limit) { got.append(copy($0)) }
    #expect(count == got.count)
    #expect(count <= limit)
    return got
}

/// Reads until a call delivers nothing.
func readAll(_ source: any EventSource, limit: Int = 10_000) throws -> [Got] {
    var all: [Got] = []
    while true {
        let got = try readOnce(source, limit: limit)
        if got.isEmpty { return all }
        all += got
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    var now: UInt64 = 1_000_000_000
    func advance(seconds: Double) { now += UInt64(seconds * 1e9) }
}

/// Log records kept for assertions.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withLock { $0.append(record) } }
    var all: [Record] { records.withLock { $0 } }

    func contains(_ level: Logger.Level, _ fragment: String, file: String? = nil) -> Bool {
        all.contains {
            $0.level == level && $0.message.contains(fragment) && (file == nil || $0.metadata["file"] == file)
        }
    }
}

struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        records.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}

/// A logger whose records the test can inspect.
func capturingLogger() -> (Logger, LogRecords) {
    let records = LogRecords()
    return (Logger(label: "test") { _ in CapturingLogHandler(records: records) }, records)
}

/// A file source with test timings: no grace period unless asked, rescans only on inotify events
/// (so inotify is what the tests exercise) or when the manual clock moves past the interval.
func makeSource(_ patterns: [String], startAt: StartPosition = .beginning, limits: SourceLimits = SourceLimits(),
                resumeFrom: SourceCheckpoint? = nil, logger: Logger? = nil, rotateWait: Double = 0,
                clock: ManualClock = ManualClock(), useInotify: Bool = true) throws -> FileSource {
    let tuning = FileSourceTuning(rotateWait: UInt64(rotateWait * 1e9), rescanInterval: 1_000_000_000,
                                  useInotify: useInotify, now: { clock.now })
    return try FileSource(name: "test", patterns: patterns, startAt: startAt, limits: limits,
                          resumeFrom: resumeFrom, logger: logger ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                          tuning: tuning)
}
