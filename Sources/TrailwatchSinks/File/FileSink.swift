import Foundation
import Synchronization
import TrailwatchConfiguration

/// `{"type": "file", "path": "/var/log/trailwatch/alerts.jsonl"}`
public struct FileSinkSettings: SinkSettings {
    public static let type = "file"
    public static let members: Set<String> = ["path"]
    public var path: String

    public init(path: String) { self.path = path }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        guard let node = decoder.required(block, "path", "the file alerts are appended to"),
              let path = decoder.decodePath(node, at: block.path["path"], file: true) else { return nil }
        self.path = path
    }

    public var writesFile: String? { path }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        FileSink(name: name, path: path)
    }
}

/// Appends alerts as JSON lines to a file, fsynced per batch: the batch counts as delivered only once on disk.
///
/// The file is opened per batch with O_APPEND, so `logrotate` may move it at any time.
///
/// Each alert is in the file once, a crash included. A process killed after the fsync but before the outbox
/// recorded the delivery leaves alerts that the next process delivers again; so the first delivery of a
/// process reads the ids at the end of the file (`FileTail`) and skips those alerts, as delivered. A line
/// left unfinished by a crash or a full disk is cut off first: its alerts were not delivered and come whole.
public struct FileSink: AlertSink {
    public let name: String
    public let path: String
    /// The ids at the file's end when this process first delivered (nil until then).
    private let idsAtStart = IDsAtStart()

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .retry("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        let written = try idsWrittenBefore(fd)
        var bytes: [UInt8] = []
        for outgoing in alerts where outgoing.status == .firing && !written.contains(outgoing.alert.id) {
            bytes.append(contentsOf: outgoing.json.utf8)
            bytes.append(0x0A)
        }
        var end = stat()
        guard fstat(fd, &end) == 0 else { throw .retry("cannot stat \(path): \(String(cString: strerror(errno)))") }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                // The batch is written again whole (same ids): take back what part of it is on disk, so the
                // file never holds half a line.
                _ = ftruncate(fd, end.st_size)
                throw .retry("cannot write \(path): \(why)")
            }
            done += n
        }
        guard fsync(fd) == 0 else { throw .retry("cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// The ids at the end of the file when this process first delivers, after cutting off an unfinished
    /// last line; the same set afterwards: what this process writes, the outbox records as delivered.
    private func idsWrittenBefore(_ fd: Int32) throws(DeliveryError) -> Set<String> {
        if let ids = idsAtStart.ids.withLock({ $0 }) { return ids }
        let tail: FileTail
        do { tail = try FileTail(fd: fd) } catch { throw .retry("cannot read \(path): \(error)") }
        if let complete = tail.completeLength {
            guard ftruncate(fd, complete) == 0 else {
                throw .retry("cannot cut the unfinished last line of \(path): \(String(cString: strerror(errno)))")
            }
        }
        idsAtStart.ids.withLock { $0 = tail.ids }
        return tail.ids
    }

    /// Lines in one write (and one fsync): many per delivery.
    public var alertsPerDelivery: Int { 1024 }

    public func close() async {}

    private final class IDsAtStart: Sendable {
        let ids = Mutex<Set<String>?>(nil)
    }
}

/// The alert ids in the last lines of a file of alert lines, and where its last complete line ends.
struct FileTail {
    /// How much of the file's end is read: more than one delivery writes (1,024 alerts of a few hundred bytes).
    static let window = 4 << 20

    /// Ids of the complete lines in the window that begin as alert lines do (`{"id":"…"`).
    var ids: Set<String> = []
    /// The length to cut the file to when its last line is unfinished; nil when it ends with a newline.
    var completeLength: off_t?

    struct ReadError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    init(fd: Int32, window: Int = FileTail.window) throws(ReadError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ReadError(errno: errno) }
        let size = info.st_size
        guard size > 0 else { return }
        let start = max(0, size - off_t(window))
        var bytes = [UInt8](repeating: 0, count: Int(size - start))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, start + off_t(filled)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(errno: errno)
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else {
            // No line ends in the window: the whole window is one unfinished line only when it is the file.
            if start == 0 { completeLength = 0 }
            return
        }
        if lastNewline != bytes.count - 1 { completeLength = start + off_t(lastNewline + 1) }
        // The window's first line may begin before it: skip it unless the window is the whole file.
        var lineStart = start == 0 ? 0 : (bytes.firstIndex(of: 0x0A)! + 1)
        let prefix = Array(#"{"id":""#.utf8)
        while lineStart <= lastNewline {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A)!
            if lineEnd - lineStart > prefix.count, bytes[lineStart..<lineStart + prefix.count].elementsEqual(prefix),
               let idEnd = bytes[(lineStart + prefix.count)..<lineEnd].firstIndex(of: UInt8(ascii: "\"")) {
                ids.insert(String(decoding: bytes[(lineStart + prefix.count)..<idEnd], as: UTF8.self))
            }
            lineStart = lineEnd + 1
        }
    }
}
