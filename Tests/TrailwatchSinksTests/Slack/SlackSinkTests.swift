import Foundation
import Logging
import Testing
import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

struct SlackPayloadTests {
    static let url = "https://hooks.slack.com/services/T000/B000/golden"
    static let settings = SlackSinkSettings(webhookURL: .credential("slack"), channel: "#secops", username: "trailwatch")

    @Test func singleAlertGolden() throws {
        let spec = try #require(SlackPayload.request(for: [HTTPSinkFixtures.single], settings: Self.settings, webhookURL: Self.url))
        try HTTPGolden.check([spec], "slack-single")
    }

    /// Quotes, a newline, `<&>` (escaped for mrkdwn), more events than listed, suppressed alerts; no channel.
    @Test func alertNeedingEscapesGolden() throws {
        let alert = HTTPSinkFixtures.outgoing(HTTPSinkFixtures.awkward)
        let spec = try #require(SlackPayload.request(for: [alert], settings: SlackSinkSettings(webhookURL: .credential("slack")),
                                                     webhookURL: Self.url))
        let text = String(decoding: spec.body, as: UTF8.self)
        #expect(text.contains(#"&lt;admin&gt; &amp; co"#))
        #expect(text.contains("… +2 more"))
        #expect(!text.contains("ev-1-11"), "at most 10 event ids")
        try HTTPGolden.check([spec], "slack-escaped")
    }

    @Test func batchGolden() throws {
        let spec = try #require(SlackPayload.request(for: HTTPSinkFixtures.storm, settings: Self.settings, webhookURL: Self.url))
        let body = try #require(JSONValue(jsonText: String(decoding: spec.body, as: UTF8.self)))
        #expect(body["text"] == .string(":red_circle: 12 alerts from 3 rules (highest severity: critical)"))
        let text = String(decoding: spec.body, as: UTF8.self)
        #expect(text.contains("… and 2 more"))
        try HTTPGolden.check([spec], "slack-batch")
    }

    @Test func severityEmoji() {
        #expect(Severity.allCases.map(SlackPayload.emoji) ==
                [":red_circle:", ":large_orange_circle:", ":large_yellow_circle:", ":large_blue_circle:", ":white_circle:"])
    }

    @Test func resolutionsAreNotSent() {
        let resolved = HTTPSinkFixtures.outgoing(HTTPSinkFixtures.alert(1), .resolved)
        #expect(SlackPayload.request(for: [resolved], settings: Self.settings, webhookURL: Self.url) == nil)
    }
}

struct SlackTransportTests {
    @Test func postsToTheSecretURL() async throws {
        try await withHTTPReceiver { receiver in
            let sink = try HTTPSinkKind.slack.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.setDefault(.status(200, body: "ok"))
            #expect(await httpDeliveryError(sink, HTTPSinkFixtures.storm) == nil)
            let request = try #require(try await receiver.waitForRequests(count: 1, timeout: .seconds(5)).first)
            #expect(request.path == HTTPSinkKind.slackPath)
            let body = try #require(JSONValue(jsonText: request.text))
            #expect(body["blocks"] != nil)
            await sink.close()
        }
    }

    @Test func aFileThatHoldsNoURLIsRefusedWithoutShowingIt() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("xoxb-hunter2\n", to: "slack.url")
        let settings = SlackSinkSettings(webhookURL: .file(f.path("slack.url")))
        #expect {
            _ = try settings.makeSink(name: "chat", context: SinkContext(logger: .init(label: "t"), environment: [:]))
        } throws: { error in
            "\(error)" == "the Slack webhook URL in secret file \(f.path("slack.url")) is not an http:// or https:// URL"
        }
    }
}

struct SlackConfigurationTests {
    @Test func fullBlockDecodes() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("https://hooks.slack.com/services/T/B/x\n", to: "slack.url")
        let (settings, errors) = try f.decode(SlackSinkSettings.self, """
        {"sinks": [{"name": "chat", "type": "slack", "webhook_url_file": "slack.url", "channel": "#secops",
                    "username": "trailwatch", "timeout": "5s"}]}
        """)
        #expect(errors == [])
        #expect(settings == SlackSinkSettings(webhookURL: .file(f.path("slack.url")), channel: "#secops", username: "trailwatch",
                                              timeouts: HTTPTimeouts(requestMilliseconds: 5000)))
    }

    @Test func errorsAreLocated() throws {
        let f = try HTTPSinkConfigFixture()
        try f.write("not a url hunter2\n", to: "bad.url")
        try f.write("https://hooks.slack.com/services/T/B/x\n", to: "good.url")
        try HTTPSinkConfigCases.run(SlackSinkSettings.self, [
            (#"{"name": "c", "type": "slack", "webhook_url": "https://hooks.slack.com/services/hunter2"}"#,
             [#"trailwatch.json:2:34: sinks[0].webhook_url: secrets are never written inline: use "webhook_url_file" or "webhook_url_credential""#]),
            (#"{"name": "c", "type": "slack"}"#,
             [#"trailwatch.json:2:3: sinks[0].webhook_url: required: use "webhook_url_file" or "webhook_url_credential" (a file holding the secret, or a systemd credential name)"#]),
            (#"{"name": "c", "type": "slack", "webhook_url_file": "bad.url"}"#,
             [#"trailwatch.json:2:54: sinks[0].webhook_url_file: the Slack webhook URL in secret file \#(f.path("bad.url")) is not an http:// or https:// URL"#]),
            (##"{"name": "c", "type": "slack", "webhook_url_file": "good.url", "chanel": "#x"}"##,
             [#"trailwatch.json:2:66: sinks[0].chanel: unknown member of a "slack" sink (did you mean "channel"?)"#]),
            (#"{"name": "c", "type": "slack", "webhook_url_file": "good.url", "username": ""}"#,
             [#"trailwatch.json:2:78: sinks[0].username: must not be empty"#]),
        ], fixture: f)
    }
}
