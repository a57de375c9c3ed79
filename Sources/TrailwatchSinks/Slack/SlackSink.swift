import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"name": "chat", "type": "slack", "webhook_url_credential": "slack-webhook",
///  "channel": "#secops", "username": "trailwatch"}
/// ```
/// The incoming-webhook URL carries Slack's token in its path, so it is a secret itself.
public struct SlackSinkSettings: SinkSettings {
    public static let type = "slack"
    public static let members: Set<String> = Set<String>(["channel", "username", "timeout", "connect_timeout"])
        .union(ConfigDecoder.secretMembers("webhook_url"))

    public var webhookURL: SecretReference
    /// Overrides the webhook's channel, where Slack allows it (legacy webhooks).
    public var channel: String?
    public var username: String?
    public var timeouts: HTTPTimeouts

    public init(webhookURL: SecretReference, channel: String? = nil, username: String? = nil,
                timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.webhookURL = webhookURL
        self.channel = channel
        self.username = username
        self.timeouts = timeouts
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        let webhookURL = decoder.decodeSecret(in: block, named: "webhook_url")
        if let webhookURL, let node = block["webhook_url_file"] ?? block["webhook_url_credential"],
           let bytes = try? webhookURL.resolve(environment: decoder.environment),
           let problem = HTTPURLCheck.problem(String(decoding: bytes, as: UTF8.self)) {
            // Says what is wrong, never what the file holds.
            let key = block["webhook_url_file"] != nil ? "webhook_url_file" : "webhook_url_credential"
            decoder.report(node.location, block.path[key], "the Slack webhook URL in \(webhookURL) \(problem)")
        }
        var channel: String?, username: String?
        if let node = block["channel"] { channel = decoder.decodeNonEmptyString(node, at: block.path["channel"]) }
        if let node = block["username"] { username = decoder.decodeNonEmptyString(node, at: block.path["username"]) }
        let timeouts = decoder.decodeHTTPTimeouts(block)
        guard let webhookURL, decoder.diagnostics.count == before else { return nil }
        self.init(webhookURL: webhookURL, channel: channel, username: username, timeouts: timeouts)
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        try SlackSink(name: name, settings: self, environment: context.environment)
    }
}

/// The Slack message for alerts: a pure function of the alerts, the settings and the webhook URL.
///
/// `text` is the notification's fallback line; `blocks` show the severity (an emoji), the summary, rule,
/// group, count, time and up to 10 event ids. Several alerts (a `batch` policy) become one message,
/// "12 alerts from 3 rules", listing at most 10 of them. Only firing alerts are sent.
public enum SlackPayload {
    /// Event ids and alerts a message lists at most.
    public static let listLimit = 10

    public static func request(for alerts: [OutgoingAlert], settings: SlackSinkSettings, webhookURL: String) -> HTTPRequestSpec? {
        let firing = alerts.filter { $0.status == .firing }.map(\.alert)
        guard !firing.isEmpty else { return nil }
        var members: [JSONMember] = []
        if let channel = settings.channel { members.append(JSONMember("channel", .string(channel))) }
        if let username = settings.username { members.append(JSONMember("username", .string(username))) }
        let (text, blocks) = firing.count == 1 ? single(firing[0]) : batch(firing)
        members.append(JSONMember("text", .string(text)))
        members.append(JSONMember("blocks", .array(blocks)))
        return HTTPRequestSpec(url: webhookURL, method: "POST",
                               headers: [("Content-Type", "application/json"), ("User-Agent", "trailwatch")],
                               body: JSONBytes.encode(.object(members)))
    }

    static func emoji(_ severity: Severity) -> String {
        switch severity {
        case .critical: ":red_circle:"
        case .high: ":large_orange_circle:"
        case .medium: ":large_yellow_circle:"
        case .low: ":large_blue_circle:"
        case .info: ":white_circle:"
        }
    }

    /// Slack's mrkdwn control characters.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Inline code: backticks inside would end it.
    static func code(_ text: String) -> String {
        "`" + escape(text).replacingOccurrences(of: "`", with: "'") + "`"
    }

    static func group(_ alert: Alert) -> String {
        alert.group.map { "\($0.key)=" + ($0.value.stringValue ?? $0.value.description) }.joined(separator: " ")
    }

    static func mrkdwn(_ text: String) -> JSONValue {
        .object([JSONMember("type", .string("mrkdwn")), JSONMember("text", .string(text))])
    }

    static func section(_ text: String) -> JSONValue {
        .object([JSONMember("type", .string("section")), JSONMember("text", mrkdwn(text))])
    }

    static func context(_ text: String) -> JSONValue {
        .object([JSONMember("type", .string("context")), JSONMember("elements", .array([mrkdwn(text)]))])
    }

    static func headline(_ alert: Alert) -> String {
        alert.summary.isEmpty ? alert.rule : alert.summary
    }

    static func single(_ alert: Alert) -> (String, [JSONValue]) {
        let severity = alert.severity.rawValue.uppercased()
        let text = "\(emoji(alert.severity)) \(severity) \(escape(alert.rule)): \(escape(headline(alert)))".truncated(to: 3000)
        let groupText = group(alert)
        let fields: [JSONValue] = [
            mrkdwn("*Rule*\n" + code(alert.rule)),
            mrkdwn("*Group*\n" + (groupText.isEmpty ? "—" : code(groupText.truncated(to: 1900)))),
            mrkdwn("*Events*\n\(alert.count)" + (alert.suppressed > 0 ? " (+\(alert.suppressed) suppressed before)" : "")),
            mrkdwn("*Time*\n" + EventTime.format(alert.time)),
        ]
        var blocks: [JSONValue] = [
            section("\(emoji(alert.severity)) *\(severity)* \(escape(headline(alert)).truncated(to: 2900))"),
            .object([JSONMember("type", .string("section")), JSONMember("fields", .array(fields))]),
        ]
        var ids = alert.events.prefix(listLimit).map(code).joined(separator: ", ")
        if alert.events.count > listLimit { ids += " … +\(alert.events.count - listLimit) more" }
        blocks.append(context((ids.isEmpty ? "" : "Events: \(ids) · ") + "alert " + code(alert.id)))
        return (text, blocks)
    }

    static func batch(_ alerts: [Alert]) -> (String, [JSONValue]) {
        let summary = AlertBatch.summary(alerts)
        let worst = alerts.map(\.severity).min() ?? .info
        let text = "\(emoji(worst)) \(summary) (highest severity: \(worst.rawValue))"
        let lines = alerts.prefix(listLimit).map { alert -> String in
            var line = "• \(emoji(alert.severity)) \(code(alert.rule)) \(escape(headline(alert)))"
            let groupText = group(alert)
            if !groupText.isEmpty { line += " — " + escape(groupText) }
            return line.truncated(to: 280)
        }
        var blocks: [JSONValue] = [
            section("\(emoji(worst)) *\(summary)*"),
            section(lines.joined(separator: "\n")),
        ]
        if alerts.count > listLimit { blocks.append(context("… and \(alerts.count - listLimit) more")) }
        return (text, blocks)
    }
}

/// Posts alerts to a Slack incoming webhook (see `SlackPayload`).
public struct SlackSink: AlertSink {
    public let name: String
    let settings: SlackSinkSettings
    let webhookURL: String
    let transport: HTTPTransport

    public init(name: String, settings: SlackSinkSettings, environment: [String: String]) throws {
        self.name = name
        self.settings = settings
        let url = String(decoding: try settings.webhookURL.resolve(environment: environment), as: UTF8.self)
        if let problem = HTTPURLCheck.problem(url) {
            throw SinkSetupError("the Slack webhook URL in \(settings.webhookURL) \(problem)")
        }
        webhookURL = url
        transport = HTTPTransport(timeouts: settings.timeouts)
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        guard let spec = SlackPayload.request(for: alerts, settings: settings, webhookURL: webhookURL) else { return }
        do {
            try await transport.send(spec)
        } catch {
            // The whole URL and its path (Slack's token) are secret; the transport already names only the host.
            let path = URLComponents(string: webhookURL)?.percentEncodedPath ?? ""
            throw error.redacting([webhookURL, path.count > 1 ? path : ""])
        }
    }

    public func close() async {
        await transport.shutdown()
    }
}
