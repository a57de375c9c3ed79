import Foundation
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
public struct FileSink: AlertSink {
    public let name: String
    public let path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .retry("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        for outgoing in alerts where outgoing.status == .firing {
            bytes.append(contentsOf: outgoing.json.utf8)
            bytes.append(0x0A)
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                // A partial batch may be on disk; it is written again whole (same ids), never lost.
                throw .retry("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw .retry("cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Lines in one write (and one fsync): many per delivery.
    public var alertsPerDelivery: Int { 1024 }

    public func close() async {}
}
