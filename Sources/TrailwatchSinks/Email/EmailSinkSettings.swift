import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"type": "email", "from": "trailwatch <trailwatch@example.org>", "to": ["secops@example.org"],
///  "smtp": {"host": "mail.example.org", "port": 587, "starttls": "required",
///           "username": "trailwatch", "password_file": "/etc/trailwatch/smtp.password"}}
/// ```
///
/// `smtp` members: `host` (required), `port` (default 587), `starttls` (`required`, the default: no mail
/// without TLS; `opportunistic`: TLS when the server offers it; `off`), `tls_ca_file` (PEM certificates to
/// trust instead of the system's, for a private CA), `username` with `password_file` or
/// `password_credential` (AUTH PLAIN or LOGIN, only ever over TLS), `helo` (the name this host gives in
/// EHLO; default its host name), `connect_timeout` (default 10s) and `timeout` (the whole conversation,
/// default 60s).
public struct EmailSinkSettings: SinkSettings {
    public static let type = "email"
    public static let members: Set<String> = ["from", "to", "smtp"]
    static let smtpMembers: Set<String> = Set(["host", "port", "starttls", "tls_ca_file", "username", "helo",
                                           "connect_timeout", "timeout"])
        .union(ConfigDecoder.secretMembers("password"))

    public enum StartTLS: String, Sendable, CaseIterable {
        case required, opportunistic, off
    }

    public struct SMTP: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var startTLS: StartTLS
        public var caFile: String?
        public var username: String?
        public var password: SecretReference?
        public var helo: String?
        public var connectTimeoutMilliseconds: Int64
        public var timeoutMilliseconds: Int64

        public init(host: String, port: Int = 587, startTLS: StartTLS = .required, caFile: String? = nil,
                    username: String? = nil, password: SecretReference? = nil, helo: String? = nil,
                    connectTimeoutMilliseconds: Int64 = 10_000, timeoutMilliseconds: Int64 = 60_000) {
            self.host = host
            self.port = port
            self.startTLS = startTLS
            self.caFile = caFile
            self.username = username
            self.password = password
            self.helo = helo
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    /// `From:` as written (`Name <address>` or an address).
    public var from: String
    public var to: [String]
    public var smtp: SMTP

    public init(from: String, to: [String], smtp: SMTP) {
        self.from = from
        self.to = to
        self.smtp = smtp
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var from = ""
        if let node = decoder.required(block, "from", "the sender, like \"trailwatch <trailwatch@example.org>\""),
           let text = decoder.decodeNonEmptyString(node, at: block.path["from"]) {
            if SMTPMessage.mailbox(text) == nil {
                decoder.report(node.location, block.path["from"], "\(node.shortText) is not a mail address (\"user@host\" or \"Name <user@host>\", ASCII)")
            }
            from = text
        }
        var to: [String] = []
        if let node = decoder.required(block, "to", "the recipients, like [\"secops@example.org\"]") {
            let list = decoder.decodeStringList(node, at: block.path["to"], emptyHint: "give at least one recipient") {
                decoder, node, path in
                guard let text = decoder.decodeNonEmptyString(node, at: path) else { return nil }
                guard SMTPMessage.isAddress(text) else {
                    decoder.report(node.location, path, "\(node.shortText) is not a mail address (\"user@host\", ASCII)")
                    return nil
                }
                return text
            } ?? []
            decoder.rejectDuplicates(list, what: "recipient")
            to = list.map(\.value)
        }
        var smtp: SMTP?
        if let node = decoder.required(block, "smtp", "the mail server, like {\"host\": \"mail.example.org\"}"),
           let object = decoder.object(node, at: block.path["smtp"], what: "the SMTP server settings") {
            decoder.rejectUnknownMembers(of: object, known: Self.smtpMembers, what: "\"smtp\"")
            smtp = Self.decodeSMTP(object, &decoder)
        }
        guard let smtp, decoder.diagnostics.count == before else { return nil }
        self.init(from: from, to: to, smtp: smtp)
    }

    private static func decodeSMTP(_ object: ConfigObject, _ decoder: inout ConfigDecoder) -> SMTP? {
        var host = ""
        if let node = decoder.required(object, "host", "the mail server's host name or address"),
           let text = decoder.decodeNonEmptyString(node, at: object.path["host"]) {
            if text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) {
                decoder.report(node.location, object.path["host"], "\(node.shortText) is not a host name or address")
            }
            host = text
        }
        var smtp = SMTP(host: host)
        if let node = object["port"], let port = decoder.decodeInteger(node, at: object.path["port"], in: 1...65535) {
            smtp.port = port
        }
        if let node = object["starttls"], let mode: StartTLS = decoder.decodeChoice(node, at: object.path["starttls"]) {
            smtp.startTLS = mode
        }
        if let node = object["tls_ca_file"], let path = decoder.decodePath(node, at: object.path["tls_ca_file"], file: true) {
            if !FileManager.default.isReadableFile(atPath: path) {
                decoder.report(node.location, object.path["tls_ca_file"], "cannot read \(path)")
            }
            smtp.caFile = path
        }
        if let node = object["helo"], let text = decoder.decodeNonEmptyString(node, at: object.path["helo"]) {
            if !text.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) {
                decoder.report(node.location, object.path["helo"], "\(node.shortText) must be a host name (printable ASCII, no spaces)")
            }
            smtp.helo = text
        }
        if let node = object["username"] {
            smtp.username = decoder.decodeNonEmptyString(node, at: object.path["username"])
        }
        smtp.password = decoder.decodeSecret(in: object, named: "password", required: object["username"] != nil)
        if smtp.password != nil && object["username"] == nil {
            decoder.report(object.location, object.path["username"], "required with a password")
        }
        if object["username"] != nil, smtp.startTLS == .off, let node = object["starttls"] {
            decoder.report(node.location, object.path["starttls"], "\"off\" would send the password unencrypted: authentication needs \"required\" (or \"opportunistic\", which refuses to authenticate without TLS)")
        }
        if let node = object["connect_timeout"],
           let ms = decoder.decodeDuration(node, at: object.path["connect_timeout"], maximum: 300_000) {
            smtp.connectTimeoutMilliseconds = max(ms, 1)
        }
        if let node = object["timeout"], let ms = decoder.decodeDuration(node, at: object.path["timeout"], maximum: 600_000) {
            smtp.timeoutMilliseconds = max(ms, 1)
        }
        return smtp
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        try EmailSink(name: name, settings: self, context: context)
    }
}
