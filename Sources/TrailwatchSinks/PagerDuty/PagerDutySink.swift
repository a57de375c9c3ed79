import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"name": "oncall", "type": "pagerduty", "routing_key_credential": "pagerduty-key", "source": "audit.example.com"}
/// ```
public struct PagerDutySinkSettings: SinkSettings {
    public static let type = "pagerduty"
    public static let members: Set<String> = Set<String>(["url", "source", "timeout", "connect_timeout"])
        .union(ConfigDecoder.secretMembers("routing_key"))
    /// The Events API v2 endpoint.
    public static let defaultURL = "https://events.pagerduty.com/v2/enqueue"

    /// `defaultURL` unless overridden (a proxy, a test receiver).
    public var url: String
    /// The integration's routing key (32 characters, from the service's Events API v2 integration).
    public var routingKey: SecretReference
    /// `payload.source`: the affected system; nil sends this machine's host name.
    public var source: String?
    public var timeouts: HTTPTimeouts

    public init(url: String = PagerDutySinkSettings.defaultURL, routingKey: SecretReference, source: String? = nil,
                timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.url = url
        self.routingKey = routingKey
        self.source = source
        self.timeouts = timeouts
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var url: String? = Self.defaultURL
        if let node = block["url"] { url = decoder.decodeHTTPURL(node, at: block.path["url"]) }
        let routingKey = decoder.decodeSecret(in: block, named: "routing_key")
        var source: String?
        if let node = block["source"] { source = decoder.decodeNonEmptyString(node, at: block.path["source"]) }
        let timeouts = decoder.decodeHTTPTimeouts(block)
        guard let url, let routingKey, decoder.diagnostics.count == before else { return nil }
        self.init(url: url, routingKey: routingKey, source: source, timeouts: timeouts)
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        try PagerDutySink(name: name, settings: self, environment: context.environment)
    }
}

/// PagerDuty Events API v2 events for alerts: a pure function of the alerts, the settings, the routing key
/// and the source.
///
/// A firing alert is a `trigger` with `dedup_key` = the alert id (a repeat joins the same incident); a
/// resolved one a `resolve` with the same key. One request per alert, batched or not.
public enum PagerDutyPayload {
    /// PagerDuty's limit on `payload.summary`.
    public static let summaryLimit = 1024

    public static func requests(for alerts: [OutgoingAlert], settings: PagerDutySinkSettings, routingKey: String,
                                source: String) -> [HTTPRequestSpec] {
        alerts.map { request(for: $0, settings: settings, routingKey: routingKey, source: source) }
    }

    public static func request(for outgoing: OutgoingAlert, settings: PagerDutySinkSettings, routingKey: String,
                               source: String) -> HTTPRequestSpec {
        let alert = outgoing.alert
        var members: [JSONMember] = [
            JSONMember("routing_key", .string(routingKey)),
            JSONMember("event_action", .string(outgoing.status == .firing ? "trigger" : "resolve")),
            JSONMember("dedup_key", .string(alert.id)),
        ]
        if outgoing.status == .firing {
            let summary = (alert.summary.isEmpty ? "\(alert.rule) alert" : alert.summary).truncated(to: summaryLimit)
            let details: [JSONMember] = [
                JSONMember("alert_id", .string(alert.id)),
                JSONMember("rule", .string(alert.rule)),
                JSONMember("group", .object(alert.group)),
                JSONMember("count", JSONBytes.int(alert.count)),
                JSONMember("events", .array(alert.events.map { .string($0) })),
                JSONMember("labels", .object(alert.labels)),
                JSONMember("suppressed", JSONBytes.int(alert.suppressed)),
            ]
            members.append(JSONMember("payload", .object([
                JSONMember("summary", .string(summary)),
                JSONMember("source", .string(source)),
                JSONMember("severity", .string(severity(alert.severity))),
                JSONMember("timestamp", .string(EventTime.format(alert.time))),
                JSONMember("class", .string(alert.rule)),
                JSONMember("custom_details", .object(details)),
            ])))
            members.append(JSONMember("client", .string("trailwatch")))
        }
        return HTTPRequestSpec(url: settings.url, method: "POST",
                               headers: [("Content-Type", "application/json"), ("User-Agent", "trailwatch")],
                               body: JSONBytes.encode(.object(members)))
    }

    /// PagerDuty's four severities.
    public static func severity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "critical"
        case .high: "error"
        case .medium: "warning"
        case .low, .info: "info"
        }
    }
}

/// Sends alerts to PagerDuty (see `PagerDutyPayload`); PagerDuty answers 202 when it takes an event.
public struct PagerDutySink: AlertSink {
    public let name: String
    let settings: PagerDutySinkSettings
    let routingKey: String
    let source: String
    let transport: HTTPTransport

    public init(name: String, settings: PagerDutySinkSettings, environment: [String: String]) throws {
        self.name = name
        self.settings = settings
        routingKey = String(decoding: try settings.routingKey.resolve(environment: environment), as: UTF8.self)
        source = settings.source ?? ProcessInfo.processInfo.hostName
        transport = HTTPTransport(timeouts: settings.timeouts)
    }

    /// One event per alert, in order; the first failure ends the delivery with its verdict. The dispatcher
    /// then sends the whole batch again, which the dedup keys make harmless for the events already taken.
    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        for spec in PagerDutyPayload.requests(for: alerts, settings: settings, routingKey: routingKey, source: source) {
            do {
                try await transport.send(spec)
            } catch {
                throw error.redacting([routingKey])
            }
        }
    }

    public func close() async {
        await transport.shutdown()
    }
}
