import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP reply: its code and text lines (a multi-line reply has several).
struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    var code: Int
    var lines: [String]

    var description: String { "\(code) " + lines.joined(separator: " / ") }
}

/// Why a mail could not be sent, and whether trying again can help.
struct SMTPFailure: Error, Sendable {
    var message: String
    var retry: Bool

    static func reply(_ reply: SMTPReply, to what: String, host: String) -> SMTPFailure {
        // 4xx (421 closing, 450/451/452 mailbox busy, local error, no storage, 454 TLS/auth unavailable) are
        // temporary by definition; 5xx are refusals that the same mail will meet again.
        SMTPFailure(message: "\(host) answered \(what) with \(reply)", retry: (400..<500).contains(reply.code))
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS (RFC 3207), AUTH PLAIN or LOGIN (RFC 4954),
/// MAIL, RCPT, DATA with dot-stuffing, QUIT. One connection per mail.
///
/// The password is only ever sent after STARTTLS succeeded, whatever the `starttls` mode.
struct SMTPClient: Sendable {
    var settings: EmailSinkSettings.SMTP
    var helo: String
    var tls: NIOSSLContext?

    /// What happened to the recipients of a sent mail.
    struct Outcome: Sendable {
        /// Recipients the server refused for good (the mail went to the others).
        var rejected: [(String, SMTPReply)]
    }

    func send(_ mail: SMTPMessage.Mail, password: [UInt8]?) async throws(SMTPFailure) -> Outcome {
        let host = "\(settings.host):\(settings.port)"
        let decoder = SMTPReplyDecoder()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(settings.connectTimeoutMilliseconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(decoder) }
                }
                .connect(host: settings.host, port: settings.port).get()
        } catch {
            throw SMTPFailure(message: "cannot connect to \(host): \(error)", retry: true)
        }
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(settings.timeoutMilliseconds)) {
            decoder.timeOut(channel: channel)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        let conversation = Conversation(channel: channel, decoder: decoder, host: host)
        do {
            return try await converse(conversation, mail: mail, password: password)
        } catch let failure as SMTPFailure {
            throw failure
        } catch {
            throw SMTPFailure(message: "\(host): \(error)", retry: true)
        }
    }

    private func converse(_ c: Conversation, mail: SMTPMessage.Mail, password: [UInt8]?) async throws -> Outcome {
        let greeting = try await c.reply()
        guard greeting.code == 220 else { throw SMTPFailure.reply(greeting, to: "the connection", host: c.host) }
        var extensions = try await ehlo(c)

        var secure = false
        if settings.startTLS != .off {
            if extensions.keys.contains("STARTTLS") {
                let answer = try await c.command("STARTTLS")
                if answer.code == 220 {
                    try await c.startTLS(context: tls!, serverHostname: serverHostname)
                    secure = true
                    // RFC 3207: everything learnt before TLS is forgotten.
                    extensions = try await ehlo(c)
                } else if settings.startTLS == .required || settings.username != nil {
                    throw SMTPFailure.reply(answer, to: "STARTTLS", host: c.host)
                }
            } else if settings.startTLS == .required {
                throw SMTPFailure(message: "\(c.host) does not offer STARTTLS, and \"starttls\" is \"required\"", retry: false)
            }
        }

        if let username = settings.username, let password {
            guard secure else {
                throw SMTPFailure(message: "\(c.host) offers no TLS: the password is never sent unencrypted", retry: false)
            }
            try await authenticate(c, username: username, password: password, mechanisms: extensions["AUTH"] ?? [])
        }

        let mailFrom = try await c.command("MAIL FROM:<\(mail.sender)>")
        guard mailFrom.code == 250 else { throw SMTPFailure.reply(mailFrom, to: "MAIL FROM", host: c.host) }
        var accepted = 0
        var rejected: [(String, SMTPReply)] = []
        for recipient in mail.recipients {
            let answer = try await c.command("RCPT TO:<\(recipient)>")
            if answer.code == 250 || answer.code == 251 {
                accepted += 1
            } else if (400..<500).contains(answer.code) {
                // Nobody has the mail yet: try again later for all, rather than send twice to some.
                throw SMTPFailure.reply(answer, to: "RCPT TO:<\(recipient)>", host: c.host)
            } else {
                rejected.append((recipient, answer))
            }
        }
        guard accepted > 0 else {
            throw SMTPFailure(message: "\(c.host) refused every recipient: "
                + rejected.map { "\($0.0): \($0.1)" }.joined(separator: "; "), retry: false)
        }
        let data = try await c.command("DATA")
        guard data.code == 354 else { throw SMTPFailure.reply(data, to: "DATA", host: c.host) }
        let sent = try await c.send(SMTPMessage.dataSection(mail.message))
        guard sent.code == 250 else { throw SMTPFailure.reply(sent, to: "the message", host: c.host) }
        // The mail is accepted: a failing QUIT changes nothing.
        _ = try? await c.command("QUIT")
        return Outcome(rejected: rejected)
    }

    /// The EHLO extensions: keyword → parameters (`AUTH` → `["PLAIN", "LOGIN"]`).
    private func ehlo(_ c: Conversation) async throws -> [String: [String]] {
        let answer = try await c.command("EHLO \(helo)")
        guard answer.code == 250 else { throw SMTPFailure.reply(answer, to: "EHLO", host: c.host) }
        var extensions: [String: [String]] = [:]
        for line in answer.lines.dropFirst() {
            // Old servers also write "AUTH=PLAIN LOGIN".
            let words = line.uppercased().replacingOccurrences(of: "AUTH=", with: "AUTH ").split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            extensions[keyword, default: []] += words.dropFirst()
        }
        return extensions
    }

    private func authenticate(_ c: Conversation, username: String, password: [UInt8], mechanisms: [String]) async throws {
        let answer: SMTPReply
        if mechanisms.contains("PLAIN") {
            let token = [0] + Array(username.utf8) + [0] + password
            answer = try await c.command("AUTH PLAIN " + Data(token).base64EncodedString(), secret: true)
        } else if mechanisms.contains("LOGIN") {
            let start = try await c.command("AUTH LOGIN")
            guard start.code == 334 else { throw SMTPFailure.reply(start, to: "AUTH LOGIN", host: c.host) }
            let user = try await c.command(Data(username.utf8).base64EncodedString(), secret: true)
            guard user.code == 334 else { throw SMTPFailure.reply(user, to: "the user name", host: c.host) }
            answer = try await c.command(Data(password).base64EncodedString(), secret: true)
        } else {
            throw SMTPFailure(message: "\(c.host) offers neither AUTH PLAIN nor AUTH LOGIN (it offers \(mechanisms.isEmpty ? "no authentication" : mechanisms.joined(separator: " ")))", retry: false)
        }
        guard answer.code == 235 else { throw SMTPFailure.reply(answer, to: "the credentials", host: c.host) }
    }

    /// SNI and certificate names take a host name; for an IP address NIOSSL checks the peer's address.
    private var serverHostname: String? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, settings.host, &v4) == 1 || inet_pton(AF_INET6, settings.host, &v6) == 1 { return nil }
        return settings.host
    }

    /// The TLS settings of `smtp`: the system's trust store, or only `tls_ca_file`'s certificates.
    static func makeTLSContext(_ settings: EmailSinkSettings.SMTP) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// One SMTP connection: commands and their replies, in order.
private struct Conversation: Sendable {
    let channel: any Channel
    let decoder: SMTPReplyDecoder
    let host: String

    /// The next reply.
    func reply() async throws -> SMTPReply {
        let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
        channel.eventLoop.execute { decoder.next(promise) }
        return try await promise.futureResult.get()
    }

    /// Sends `line` (CRLF added) and waits for the reply. `secret` lines (credentials) never reach an error.
    func command(_ line: String, secret: Bool = false) async throws -> SMTPReply {
        try await send(Array((line + "\r\n").utf8))
    }

    func send(_ bytes: [UInt8]) async throws -> SMTPReply {
        let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
        let channel = self.channel, decoder = self.decoder
        channel.eventLoop.execute {
            decoder.next(promise)
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// Puts TLS under the conversation, refusing if the server already sent more (a plaintext injection).
    func startTLS(context: NIOSSLContext, serverHostname: String?) async throws {
        let channel = self.channel, decoder = self.decoder, host = self.host
        try await channel.eventLoop.submit {
            guard !decoder.hasBufferedInput else {
                throw SMTPFailure(message: "\(host) sent data after its STARTTLS answer: refusing to go on", retry: false)
            }
            let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
    }
}

/// Splits the server's bytes into replies and hands them out in order. Used only on its channel's event loop.
final class SMTPReplyDecoder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private var buffer: [UInt8] = []
    private var lines: [String] = []
    private var ready = CircularBuffer<SMTPReply>()
    private var waiting = CircularBuffer<EventLoopPromise<SMTPReply>>()
    private var failure: (any Error)?
    private static let longestLine = 64 * 1024

    var hasBufferedInput: Bool { !buffer.isEmpty || !ready.isEmpty || !lines.isEmpty }

    func next(_ promise: EventLoopPromise<SMTPReply>) {
        if let reply = ready.popFirst() {
            promise.succeed(reply)
        } else if let failure {
            promise.fail(failure)
        } else {
            waiting.append(promise)
        }
    }

    func timeOut(channel: any Channel) {
        fail(SMTPFailure(message: "no answer in time", retry: true))
        channel.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: bytes.readableBytes) ?? []
        while let newline = buffer.firstIndex(of: 0x0A) {
            var line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.last == 0x0D { line.removeLast() }
            guard line.count >= 3, let code = Int(String(decoding: line[0..<3], as: UTF8.self)), (200..<600).contains(code),
                  line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-") else {
                fail(SMTPFailure(message: "not an SMTP reply: \(String(decoding: line.prefix(80), as: UTF8.self))", retry: true))
                context.close(promise: nil)
                return
            }
            lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
            if line.count == 3 || line[3] == UInt8(ascii: " ") {
                let reply = SMTPReply(code: code, lines: lines)
                lines = []
                if let promise = waiting.popFirst() { promise.succeed(reply) } else { ready.append(reply) }
            }
        }
        if buffer.count > Self.longestLine {
            fail(SMTPFailure(message: "a reply line longer than 64 KiB", retry: true))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPFailure(message: "the server closed the connection", retry: true))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        while let promise = waiting.popFirst() { promise.fail(failure!) }
    }
}
