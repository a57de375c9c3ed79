import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus Alertmanager (Debian `prometheus-alertmanager`) on loopback, for sink tests: its own
/// configuration, storage directory and port, clustering off. `restart` simulates an Alertmanager that
/// lost its state (fresh storage, same port).
public final class AlertmanagerProcess: @unchecked Sendable {
    public static let binary = "/usr/bin/prometheus-alertmanager"
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let port: Int
    public let directory: URL
    private var process: Process?
    private var generation = 0

    public var url: String { "http://127.0.0.1:\(port)" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tw-am-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try LoopbackPort.free()
        let config = """
            route:
              receiver: "null"
              group_wait: 1h
            receivers:
              - name: "null"
            """
        try config.write(to: directory.appendingPathComponent("alertmanager.yml"), atomically: true, encoding: .utf8)
        try start()
    }

    deinit { stop() }

    private func start() throws {
        generation += 1
        let storage = directory.appendingPathComponent("data-\(generation)")
        try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("alertmanager-\(generation).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = [
            "--config.file=\(directory.appendingPathComponent("alertmanager.yml").path)",
            "--storage.path=\(storage.path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        p.standardInput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if !p.isRunning {
                throw Failure(description: "alertmanager exited: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
            }
            if let answer = try? LoopbackHTTP.get(port: port, path: "/-/ready"), answer.status == 200 { return }
            usleep(50_000)
        }
        throw Failure(description: "alertmanager not ready after 15 s: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
    }

    /// Stops it and starts a new one on the same port with empty storage: it knows no alert any more.
    public func restart() throws {
        stop()
        try start()
    }

    public func stop() {
        guard let p = process else { return }
        stopProcess(p)
        process = nil
    }

    /// `GET /api/v2/alerts` (active, silenced, inhibited and unprocessed: everything not resolved).
    public func alerts() throws -> [[String: Any]] {
        let answer = try LoopbackHTTP.get(port: port, path: "/api/v2/alerts")
        guard answer.status == 200, let list = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [[String: Any]] else {
            throw Failure(description: "GET /api/v2/alerts: \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        return list
    }

    public func remove() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// SIGTERM, then SIGKILL after 5 s: a child may have been started with SIGTERM blocked (Foundation's
/// Process passes on the signal mask of the thread that starts it).
func stopProcess(_ process: Process) {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}

/// A free TCP port on 127.0.0.1 (bound, read, released: good enough for tests).
public enum LoopbackPort {
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AlertmanagerProcess.Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw AlertmanagerProcess.Failure(description: "bind: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A blocking HTTP/1.0 GET to 127.0.0.1, enough to query a local test receiver.
public enum LoopbackHTTP {
    public static func get(port: Int, path: String) throws -> (status: Int, body: [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AlertmanagerProcess.Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw AlertmanagerProcess.Failure(description: "connect to port \(port): \(errno)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator }) else {
            throw AlertmanagerProcess.Failure(description: "no HTTP answer from port \(port)")
        }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, Array(response[(end + 4)...]))
    }
}
