import Glibc

/// A real AF_UNIX datagram socket standing in for systemd's notify socket: bound to a path, or to an
/// abstract name when the name starts with `@` (libsystemd 252 accepts both in NOTIFY_SOCKET).
final class NotifyReceiver {
    let fd: Int32
    let name: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Binds `name`; a receive waits at most `timeout` seconds, so a missing message fails, never hangs.
    init(name: String, timeout: Int = 2) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }  // Linux abstract namespace: a leading NUL, exact length, no terminator
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(description: "socket name too long: \(name)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw Failure(description: "bind \(name): errno \(error)")
        }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// A datagram already queued, without waiting (nil when none): proves that nothing was sent.
    func pending() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }
}

/// Sets environment variables for the duration of `body` and restores the previous values (set or unset):
/// setenv is process-wide, so suites using it are `.serialized` and leave nothing behind.
func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
    var saved: [String: String?] = [:]
    for (key, value) in values {
        saved[key] = getenv(key).map { String(cString: $0) }
        if let value { setenv(key, value, 1) } else { unsetenv(key) }
    }
    defer {
        for (key, value) in saved {
            if let value { setenv(key, value, 1) } else { unsetenv(key) }
        }
    }
    return try body()
}

/// A name no other test run uses at the same time.
func uniqueName(_ stem: String) -> String {
    "\(stem)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}
