import Foundation
import Logging
import NIOSSL
import TrailwatchConfiguration
import TrailwatchCore

/// Sends one mail per delivery (one alert, or a batch listing several) through an SMTP server.
///
/// Verdicts: a 4xx reply (421, 450, 451, 452, 454 …), a connection failure, a TLS failure or no answer in
/// time mean *retry*; a 5xx reply (bad credentials, relay denied, every recipient refused) or a server that
/// cannot give what the settings require (STARTTLS, a known AUTH mechanism) is *permanent*. When only some
/// recipients are refused for good, the others get the mail, it counts as delivered, and the refusal is
/// logged as a warning.
public struct EmailSink: AlertSink {
    public let name: String
    public let settings: EmailSinkSettings
    private let client: SMTPClient
    private let logger: Logger
    private let environment: [String: String]
    /// The current time in milliseconds since the epoch, for the Date header (tests pass their own).
    private let now: @Sendable () -> Int64

    public init(name: String, settings: EmailSinkSettings, context: SinkContext,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) throws {
        self.name = name
        self.settings = settings
        self.logger = context.logger
        self.environment = context.environment
        self.now = now
        let tls = settings.smtp.startTLS == .off ? nil : try SMTPClient.makeTLSContext(settings.smtp)
        client = SMTPClient(settings: settings.smtp, helo: settings.smtp.helo ?? Self.hostName(), tls: tls)
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        guard !alerts.isEmpty else { return }
        var password: [UInt8]?
        if let reference = settings.smtp.password {
            do {
                password = try reference.resolve(environment: environment)
            } catch {
                throw .retry("cannot read the SMTP password: \(error.message)")
            }
        }
        let mail = SMTPMessage.build(alerts, from: settings.from, to: settings.to, sink: name, date: now())
        do {
            let outcome = try await client.send(mail, password: password)
            for (recipient, reply) in outcome.rejected {
                logger.warning("the mail server refused a recipient; the others got the mail",
                               metadata: ["recipient": "\(recipient)", "reply": "\(reply)"])
            }
        } catch {
            throw error.retry ? .retry(error.message) : .permanent(error.message)
        }
    }

    public func close() async {}

    /// This host's name for EHLO.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
