import Foundation
import TrailwatchState

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

    public func deliver(_ deliveries: [PendingDelivery]) async throws(DeliveryError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .retry("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        for delivery in deliveries {
            bytes.append(contentsOf: delivery.body.utf8)
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

    public func close() async {}
}
