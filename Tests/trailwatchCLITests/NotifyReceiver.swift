import Foundation

/// A real AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET: it records every message the
/// daemon sends, in order, on a thread of its own.
final class NotifyReceiver: @unchecked Sendable {
    let name: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var thread: Thread?

    init() throws {
        name = "@trailwatch-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        bytes[0] = 0  // the abstract namespace
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [weak self] in self?.receiveLoop() }
        self.thread = thread
        thread.start()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !Thread.current.isCancelled {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let message = String(decoding: buffer[..<n], as: UTF8.self)
                lock.withLock { received.append(message) }
            }
        }
    }

    /// Every message so far.
    var messages: [String] { lock.withLock { received } }

    /// Waits for a message after the first `after` ones that satisfies `predicate`; returns it and its index.
    func waitFor(after: Int = 0, timeout: Duration = .seconds(60),
                 _ predicate: (String) -> Bool) async -> (index: Int, message: String)? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            let all = messages
            if after < all.count, let i = all[after...].firstIndex(where: predicate) { return (i, all[i]) }
            try? await Task.sleep(for: .milliseconds(10))
        } while ContinuousClock.now < deadline
        return nil
    }

    deinit {
        thread?.cancel()
        usleep(150_000)
        close(fd)
    }
}
