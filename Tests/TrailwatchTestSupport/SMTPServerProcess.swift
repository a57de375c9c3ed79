import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server (Python's aiosmtpd, see `Tests/TrailwatchSinksTests/Email/smtp-receiver.py`) on
/// loopback, with STARTTLS under a self-signed certificate made by openssl for 127.0.0.1 and AUTH; the mails
/// it accepts are read back with `messages()`.
public final class SMTPServerProcess: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One accepted mail: the envelope, the raw message, and how the session was protected.
    public struct Received: Sendable {
        public var mailFrom: String
        public var recipients: [String]
        public var message: String
        public var tls: Bool
        /// AUTH mechanism, login, and whether TLS was on when it happened; nil without AUTH.
        public var auth: (mechanism: String, login: String, tls: Bool)?
    }

    /// A Python 3 that has aiosmtpd (Debian's python3-aiosmtpd, or a pip install in the first python3 on PATH).
    public static let python: String? = {
        var candidates = ["/usr/bin/python3"]
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/python3") }
        return candidates.first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["-c", "import aiosmtpd"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
    }()

    public static var isAvailable: Bool { python != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    public let port: Int
    public let directory: URL
    /// The self-signed certificate (PEM) the server presents: the trust root a client needs.
    public let certificate: URL
    private let process: Process
    private let input: Pipe

    /// `script`: the path of smtp-receiver.py. `tls`: offer STARTTLS. `mechanisms`: AUTH mechanisms offered.
    public init(script: String, tls: Bool = true, user: String = "trailwatch", password: String = "s3cret",
                mechanisms: [String] = ["PLAIN", "LOGIN"], auth: Bool = true) throws {
        guard let python = Self.python else { throw Failure(description: "no python3 with aiosmtpd") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tw-smtp-\(getpid())-\(UUID().uuidString.prefix(8))")
        let mails = directory.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: mails, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("cert.pem")
        let key = directory.appendingPathComponent("key.pem")
        var arguments = [script, "--dir", mails.path, "--user", user, "--password", password,
                         "--mechanisms", mechanisms.joined(separator: ",")]
        if !auth { arguments.append("--no-auth") }
        if tls {
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                 "-keyout", key.path, "-out", certificate.path]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw Failure(description: "openssl req failed") }
            arguments += ["--cert", certificate.path, "--key", key.path]
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u"] + arguments
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        // The first line is "PORT <n>" (or nothing, when it failed).
        var line: [UInt8] = []
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.waitUntilExit()
            throw Failure(description: "the SMTP server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        self.port = port
    }

    deinit { stop() }

    public func stop() {
        stopProcess(process)
    }

    public func remove() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The mails received so far, in order.
    public func messages() throws -> [Received] {
        let mails = directory.appendingPathComponent("mail")
        var out: [Received] = []
        var n = 1
        while true {
            let meta = mails.appendingPathComponent("\(n).json")
            guard let data = try? Data(contentsOf: meta) else { break }
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Failure(description: "\(meta.path) is not a JSON object")
            }
            let message = try String(contentsOf: mails.appendingPathComponent("\(n).eml"), encoding: .utf8)
            var auth: (String, String, Bool)?
            if let a = object["auth"] as? [String: Any] {
                auth = (a["mechanism"] as? String ?? "", a["login"] as? String ?? "", a["tls"] as? Bool ?? false)
            }
            out.append(Received(mailFrom: object["mail_from"] as? String ?? "", recipients: object["rcpt_tos"] as? [String] ?? [],
                                message: message, tls: object["tls"] as? Bool ?? false, auth: auth))
            n += 1
        }
        return out
    }
}
