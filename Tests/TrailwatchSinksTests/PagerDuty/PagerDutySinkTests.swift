import Foundation
import Testing
import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

struct PagerDutyPayloadTests {
    static let settings = PagerDutySinkSettings(routingKey: .credential("pagerduty"))
    static let key = "golden0routing0key0000000000000"

    @Test func triggerGolden() throws {
        let specs = PagerDutyPayload.requests(for: [HTTPSinkFixtures.single], settings: Self.settings, routingKey: Self.key,
                                              source: "audit.example.com")
        #expect(specs.map(\.url) == ["https://events.pagerduty.com/v2/enqueue"])
        try HTTPGolden.check(specs, "pagerduty-trigger")
    }

    @Test func resolveGolden() throws {
        let resolved = HTTPSinkFixtures.outgoing(HTTPSinkFixtures.alert(1), .resolved)
        let specs = PagerDutyPayload.requests(for: [resolved], settings: Self.settings, routingKey: Self.key, source: "audit.example.com")
        let body = try #require(JSONValue(jsonText: String(decoding: specs[0].body, as: UTF8.self)))
        #expect(body["event_action"] == .string("resolve"))
        #expect(body["dedup_key"] == .string(HTTPSinkFixtures.single.alert.id), "the same key as its trigger")
        try HTTPGolden.check(specs, "pagerduty-resolve")
    }

    /// One event per alert, in order, each with its own dedup key; a mix of triggers and a resolve.
    @Test func batchGolden() throws {
        var alerts = Array(HTTPSinkFixtures.storm.prefix(4))
        alerts.append(HTTPSinkFixtures.outgoing(HTTPSinkFixtures.awkward))
        alerts.append(HTTPSinkFixtures.outgoing(HTTPSinkFixtures.alert(100), .resolved))
        let specs = PagerDutyPayload.requests(for: alerts, settings: Self.settings, routingKey: Self.key, source: "audit.example.com")
        #expect(specs.count == 6)
        let keys = specs.compactMap { JSONValue(jsonText: String(decoding: $0.body, as: UTF8.self))?["dedup_key"]?.stringValue }
        #expect(keys == alerts.map(\.alert.id))
        try HTTPGolden.check(specs, "pagerduty-batch")
    }

    @Test func severityMapping() {
        #expect(Severity.allCases.map(PagerDutyPayload.severity) == ["critical", "error", "warning", "info", "info"])
    }

    @Test func summaryIsNeverEmptyNorTooLong() throws {
        func summary(_ alert: Alert) throws -> String? {
            let spec = PagerDutyPayload.request(for: HTTPSinkFixtures.outgoing(alert), settings: Self.settings,
                                                routingKey: Self.key, source: "h")
            return JSONValue(jsonText: String(decoding: spec.body, as: UTF8.self))?["payload"]?["summary"]?.stringValue
        }
        #expect(try summary(HTTPSinkFixtures.alert(1, summary: "")) == "cdb-admin-login alert")
        let long = try #require(try summary(HTTPSinkFixtures.alert(1, summary: String(repeating: "é", count: 2000))))
        #expect(long.count == 1024 && long.hasSuffix("…"))
    }
}

struct PagerDutyTransportTests {
    @Test func batchSendsEachEventInOrderAndStopsAtTheFirstFailure() async throws {
        try await withHTTPReceiver { receiver in
            let sink = try HTTPSinkKind.pagerduty.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            let batch = Array(HTTPSinkFixtures.storm.prefix(5))
            receiver.script(.status(202), .status(202), .status(429, headers: [.init("Retry-After", "2")]))
            receiver.setDefault(.status(202, body: #"{"status":"success","message":"Event processed"}"#))
            let error = await httpDeliveryError(sink, batch)
            #expect(error == .retry("http://127.0.0.1:\(receiver.port) answered 429 Too Many Requests", after: .seconds(2)))
            #expect(receiver.requestCount == 3, "nothing after the failed event")
            // The dispatcher sends the whole batch again: the first two repeat under the same dedup keys.
            #expect(await httpDeliveryError(sink, batch) == nil)
            let keys = receiver.requests.compactMap { JSONValue(jsonText: $0.text)?["dedup_key"]?.stringValue }
            let ids = batch.map(\.alert.id)
            #expect(keys == Array(ids.prefix(3)) + ids)
            let first = try #require(JSONValue(jsonText: receiver.requests[0].text))
            #expect(first["routing_key"] == .string(HTTPSinkKind.routingKey))
            #expect(first["payload"]?["source"] == .string("test-host"))
            #expect(receiver.requests.allSatisfy { $0.path == "/v2/enqueue" })
            await sink.close()
        }
    }

    @Test func resolvedAlertSendsResolve() async throws {
        try await withHTTPReceiver { receiver in
            let sink = try HTTPSinkKind.pagerduty.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.setDefault(.status(202))
            let alert = HTTPSinkFixtures.alert(7, rule: "backup-missing")
            #expect(await httpDeliveryError(sink, [HTTPSinkFixtures.outgoing(alert)]) == nil)
            #expect(await httpDeliveryError(sink, [HTTPSinkFixtures.outgoing(alert, .resolved)]) == nil)
            let bodies = receiver.requests.compactMap { JSONValue(jsonText: $0.text) }
            #expect(bodies.map { $0["event_action"] } == [.string("trigger"), .string("resolve")])
            #expect(bodies.map { $0["dedup_key"] } == [.string(alert.id), .string(alert.id)])
            await sink.close()
        }
    }
}

struct PagerDutyConfigurationTests {
    @Test func blocksDecode() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("R0UTINGKEY\n", to: "credentials/pd")
        let environment = ["CREDENTIALS_DIRECTORY": f.path("credentials")]
        let (minimal, none) = try f.decode(PagerDutySinkSettings.self, """
        {"sinks": [{"name": "oncall", "type": "pagerduty", "routing_key_credential": "pd"}]}
        """, environment: environment)
        #expect(none == [])
        #expect(minimal == PagerDutySinkSettings(url: "https://events.pagerduty.com/v2/enqueue", routingKey: .credential("pd")))
        let (full, errors) = try f.decode(PagerDutySinkSettings.self, """
        {"sinks": [{"name": "oncall", "type": "pagerduty", "routing_key_credential": "pd", "url": "http://127.0.0.1:8080/v2/enqueue",
                    "source": "audit.example.com", "connect_timeout": "1s", "max_attempts": 50}]}
        """, environment: environment)
        #expect(errors == [])
        #expect(full == PagerDutySinkSettings(url: "http://127.0.0.1:8080/v2/enqueue", routingKey: .credential("pd"),
                                              source: "audit.example.com", timeouts: HTTPTimeouts(connectMilliseconds: 1000)))
    }

    @Test func errorsAreLocated() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("k", to: "pd.key")
        try HTTPSinkConfigCases.run(PagerDutySinkSettings.self, [
            (#"{"name": "p", "type": "pagerduty", "routing_key": "hunter2"}"#,
             [#"trailwatch.json:2:38: sinks[0].routing_key: secrets are never written inline: use "routing_key_file" or "routing_key_credential""#]),
            (#"{"name": "p", "type": "pagerduty"}"#,
             [#"trailwatch.json:2:3: sinks[0].routing_key: required: use "routing_key_file" or "routing_key_credential" (a file holding the secret, or a systemd credential name)"#]),
            (#"{"name": "p", "type": "pagerduty", "routing_key_file": "pd.key", "url": "events.pagerduty.com/v2/enqueue"}"#,
             [#"trailwatch.json:2:75: sinks[0].url: "events.pagerduty.com/v2/enqueue" is not an http:// or https:// URL"#]),
            (#"{"name": "p", "type": "pagerduty", "routing_key_file": "pd.key", "severity": "high"}"#,
             [#"trailwatch.json:2:68: sinks[0].severity: unknown member of a "pagerduty" sink"#]),
            (#"{"name": "p", "type": "pagerduty", "routing_key_fiel": "pd.key"}"#,
             [#"trailwatch.json:2:38: sinks[0].routing_key_fiel: unknown member of a "pagerduty" sink (did you mean "routing_key_file"?)"#,
              #"trailwatch.json:2:3: sinks[0].routing_key: required: use "routing_key_file" or "routing_key_credential" (a file holding the secret, or a systemd credential name)"#]),
        ], fixture: f)
    }
}
