import Crypto
import Foundation
import Logging
import Testing
import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

struct WebhookPayloadTests {
    static let settings = WebhookSinkSettings(url: "https://siem.example.com/trailwatch",
                                              headers: [HTTPHeaderField("X-Team", "secops"), HTTPHeaderField("X-Env", "prod")])
    static let secret = Array("whsec-golden".utf8)

    @Test func singleAlertGolden() throws {
        let spec = try #require(WebhookPayload.request(for: [HTTPSinkFixtures.single], settings: Self.settings,
                                                       secret: Self.secret, authorization: "Bearer golden-token"))
        #expect(spec.body == Array(HTTPSinkFixtures.single.json.utf8), "the body is exactly the replay line")
        try HTTPGolden.check([spec], "webhook-single")
    }

    @Test func unsignedAlertNeedingEscapesGolden() throws {
        let alert = HTTPSinkFixtures.outgoing(HTTPSinkFixtures.awkward)
        let spec = try #require(WebhookPayload.request(for: [alert], settings: WebhookSinkSettings(url: "http://127.0.0.1:8080/in"),
                                                       secret: nil, authorization: nil))
        #expect(!spec.headers.contains { $0.0 == "X-Trailwatch-Signature" || $0.0 == "Authorization" })
        try HTTPGolden.check([spec], "webhook-unsigned")
    }

    @Test func batchGolden() throws {
        let spec = try #require(WebhookPayload.request(for: HTTPSinkFixtures.storm, settings: Self.settings,
                                                       secret: Self.secret, authorization: nil))
        let body = try #require(JSONValue(jsonText: String(decoding: spec.body, as: UTF8.self)))
        #expect(body["count"] == .number(JSONNumber(integer: 12)))
        #expect(body["rules"] == .number(JSONNumber(integer: 3)))
        #expect(body["summary"] == .string("12 alerts from 3 rules"))
        #expect(body["alerts"] == .array(HTTPSinkFixtures.storm.map(\.alert.json)))
        try HTTPGolden.check([spec], "webhook-batch")
    }

    @Test func batchIdempotencyKeyHashesTheIDs() throws {
        func key(_ alerts: [OutgoingAlert]) -> String? {
            WebhookPayload.request(for: alerts, settings: Self.settings, secret: nil, authorization: nil)?
                .headers.first { $0.0 == "Idempotency-Key" }?.1
        }
        let storm = HTTPSinkFixtures.storm
        #expect(key(storm) == key(storm))
        #expect(key(storm)?.hasPrefix("batch-") == true && key(storm)?.count == 6 + 64)
        #expect(key(storm) != key(Array(storm.dropLast())))
        #expect(key(storm) != key(storm.reversed()))
        #expect(key([storm[0]]) == storm[0].alert.id)
    }

    @Test func resolutionsAreNotSent() {
        let resolved = HTTPSinkFixtures.outgoing(HTTPSinkFixtures.alert(1), .resolved)
        #expect(WebhookPayload.request(for: [resolved], settings: Self.settings, secret: nil, authorization: nil) == nil)
        let mixed = WebhookPayload.request(for: [resolved, HTTPSinkFixtures.single], settings: Self.settings,
                                           secret: nil, authorization: nil)
        #expect(mixed?.body == Array(HTTPSinkFixtures.single.json.utf8))
    }
}

struct WebhookTransportTests {
    /// What the receiver gets: the exact alert line, the headers, and a signature the test checks with swift-crypto.
    @Test func receiverVerifiesTheSignature() async throws {
        try await withHTTPReceiver { receiver in
            let fixture = try HTTPSinkConfigFixture()
            let sink = try HTTPSinkKind.webhook.make(receiver: receiver, fixture: fixture)
            let alert = HTTPSinkFixtures.single
            #expect(await httpDeliveryError(sink, [alert]) == nil)
            #expect(await httpDeliveryError(sink, HTTPSinkFixtures.storm) == nil)
            let requests = try await receiver.waitForRequests(count: 2, timeout: .seconds(5))
            let key = SymmetricKey(data: Array(HTTPSinkKind.webhookSecret.utf8))
            for request in requests {
                let signature = try #require(request.header("X-Trailwatch-Signature"))
                #expect(signature.hasPrefix("sha256="))
                let mac = try #require(hmacHexBytes(String(signature.dropFirst(7))))
                #expect(HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: request.body, using: key))
                #expect(request.path == "/hook?team=db")
                #expect(request.header("Authorization") == HTTPSinkKind.authorization)
                #expect(request.header("X-Team") == "secops")
            }
            #expect(requests[0].body == Array(alert.json.utf8))
            #expect(requests[0].header("Idempotency-Key") == alert.alert.id)
            #expect(requests[0].header("X-Trailwatch-Alert-Id") == alert.alert.id)
            #expect(requests[1].header("Idempotency-Key") == AlertBatch.idempotencyKey(HTTPSinkFixtures.storm.map(\.alert)))
            #expect(requests[1].header("X-Trailwatch-Alert-Count") == "12")
            // A tampered body fails verification.
            #expect(!HMAC<SHA256>.isValidAuthenticationCode(
                try #require(hmacHexBytes(String(requests[0].header("X-Trailwatch-Signature")!.dropFirst(7)))),
                authenticating: requests[1].body, using: key))
            await sink.close()
        }
    }

    @Test func unreadableSecretStopsTheSinkFromStarting() throws {
        let fixture = try HTTPSinkConfigFixture()
        let settings = WebhookSinkSettings(url: "http://127.0.0.1:1/", secret: .file(fixture.path("missing.key")))
        #expect {
            _ = try settings.makeSink(name: "hook", context: SinkContext(logger: Logger(label: "test"), environment: [:]))
        } throws: { error in
            "\(error)" == "cannot read secret file \(fixture.path("missing.key")): No such file or directory"
        }
    }
}

struct WebhookConfigurationTests {
    @Test func fullBlockDecodes() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("k\n", to: "hook.key")
        try f.write("Bearer x\n", to: "credentials/hook-auth")
        let (settings, errors) = try f.decode(WebhookSinkSettings.self, """
        {"sinks": [{"name": "hook", "type": "webhook", "url": "https://siem.example.com/in?x=1",
                    "headers": {"X-Team": "secops", "X-Env": "prod"}, "secret_file": "hook.key",
                    "authorization_credential": "hook-auth", "timeout": "3s", "connect_timeout": "500ms",
                    "batch": {"window": "10s"}}]}
        """, environment: ["CREDENTIALS_DIRECTORY": f.path("credentials")])
        #expect(errors == [])
        #expect(settings == WebhookSinkSettings(
            url: "https://siem.example.com/in?x=1", headers: [HTTPHeaderField("X-Team", "secops"), HTTPHeaderField("X-Env", "prod")],
            secret: .file(f.path("hook.key")), authorization: .credential("hook-auth"),
            timeouts: HTTPTimeouts(connectMilliseconds: 500, requestMilliseconds: 3000)))
        let (minimal, none) = try f.decode(WebhookSinkSettings.self, #"{"sinks": [{"name": "h", "type": "webhook", "url": "http://localhost:9000"}]}"#)
        #expect(none == [])
        #expect(minimal == WebhookSinkSettings(url: "http://localhost:9000"))
    }

    @Test func errorsAreLocated() throws {
        let f = try HTTPSinkConfigCases.run(WebhookSinkSettings.self, [
            (#"{"name": "h", "type": "webhook", "url": "http://x", "urll": 1}"#,
             [#"trailwatch.json:2:55: sinks[0].urll: unknown member of a "webhook" sink (did you mean "url"?)"#]),
            (#"{"name": "h", "type": "webhook", "url": "ftp://x"}"#,
             [#"trailwatch.json:2:43: sinks[0].url: "ftp://x" is not an http:// or https:// URL"#]),
            (#"{"name": "h", "type": "webhook", "url": "https://"}"#,
             [#"trailwatch.json:2:43: sinks[0].url: "https://" has no host"#]),
            (#"{"name": "h", "type": "webhook", "url": "https://u:pw@x/"}"#,
             [#"trailwatch.json:2:43: sinks[0].url: "https://u:pw@x/" must not hold a user or password: credentials are secrets, keep them in a file"#]),
            (#"{"name": "h", "type": "webhook"}"#,
             [#"trailwatch.json:2:3: sinks[0].url: required: the http:// or https:// URL alerts are posted to"#]),
            (#"{"name": "h", "type": "webhook", "url": "http://x", "secret": "hunter2"}"#,
             [#"trailwatch.json:2:55: sinks[0].secret: secrets are never written inline: use "secret_file" or "secret_credential""#]),
            (#"{"name": "h", "type": "webhook", "url": "http://x", "headers": {"Authorization": "Bearer hunter2"}}"#,
             [#"trailwatch.json:2:67: sinks[0].headers.Authorization: not allowed in "headers": put the whole header value in a file: use "authorization_file" or "authorization_credential""#]),
            (#"{"name": "h", "type": "webhook", "url": "http://x", "headers": {"X-A": "1", "x-a": "2", "Bad Name": "3", "Idempotency-Key": "4", "X-B": 5, "X-C": "a\nb"}}"#,
             [#"trailwatch.json:2:79: sinks[0].headers.x-a: header "x-a" is given twice"#,
              #"trailwatch.json:2:91: sinks[0].headers["Bad Name"]: "Bad Name" is not a valid header name"#,
              #"trailwatch.json:2:108: sinks[0].headers.Idempotency-Key: not allowed in "headers": trailwatch sets it to the alert id"#,
              #"trailwatch.json:2:139: sinks[0].headers.X-B: expected a string, got a number"#,
              #"trailwatch.json:2:149: sinks[0].headers.X-C: a header value cannot contain a line break or NUL"#]),
            (#"{"name": "h", "type": "webhook", "url": "http://x", "timeout": "0s", "connect_timeout": "2m"}"#,
             [#"trailwatch.json:2:66: sinks[0].timeout: must be longer than 0ms"#,
              #"trailwatch.json:2:91: sinks[0].connect_timeout: "2m" is too long: at most "1m""#]),
        ])
        _ = f
    }
}
