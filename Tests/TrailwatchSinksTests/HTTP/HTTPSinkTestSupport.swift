import Foundation
import Logging
import Testing
import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

// Shared by the webhook, slack and pagerduty tests: alerts, golden files, configuration decoding, secrets.

enum HTTPSinkFixtures {
    /// 2026-01-01T00:00:00.123Z
    static let t0: Int64 = 1_767_225_600_123

    static func alert(_ n: Int, rule: String = "cdb-admin-login", severity: Severity = .critical,
                      user: String = "alice", events: Int = 3, summary: String? = nil, suppressed: Int = 0) -> Alert {
        Alert(id: "a1b2c3d4" + String(String(100_000_000 + n).dropFirst()), rule: rule, severity: severity, time: t0 + Int64(n) * 1000,
              group: [JSONMember("initiator.name", .string(user))], count: events,
              events: (1...max(1, events)).prefix(events).map { "ev-\(n)-\($0)" },
              summary: summary ?? "\(events) admin logins by \(user)",
              labels: [JSONMember("team", .string("db")), JSONMember("runbook", .string("https://wiki/rb/\(rule)"))],
              suppressed: suppressed)
    }

    static func outgoing(_ alert: Alert, _ status: OutgoingAlert.Status = .firing) -> OutgoingAlert {
        OutgoingAlert(alert: alert, json: alert.json.description, status: status)
    }

    /// One alert whose text needs escaping everywhere (quotes, a newline, mrkdwn `<&>`, non-ASCII), with more
    /// events than a message lists.
    static let awkward = alert(1, events: 12, summary: "Login by \"root\" <admin> & co\nfrom Zürich", suppressed: 2)

    static let single = outgoing(alert(1))

    /// 12 alerts from 3 rules, every severity.
    static let storm: [OutgoingAlert] = (0..<12).map { i in
        let rules = ["cdb-admin-login", "iam-policy-change", "kms-key-deleted"]
        let severities: [Severity] = [.high, .medium, .critical, .low, .info]
        return outgoing(alert(100 + i, rule: rules[i % 3], severity: severities[i % 5], user: "user\(i)", events: 1 + i % 4))
    }
}

/// Golden files: `Tests/TrailwatchSinksTests/Golden/<name>.json`, the requests a builder makes, byte for byte.
///
/// Regenerate after an intended change with
/// `TRAILWATCH_UPDATE_GOLDEN=1 swift test --filter "Webhook|Slack|PagerDuty"`, review the diff, rebuild.
enum HTTPGolden {
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["TRAILWATCH_UPDATE_GOLDEN"] == "1" }

    /// The requests as a JSON array: method, URL and headers one per line; the body embedded verbatim, so the
    /// comparison covers its exact bytes (member order, escaping, spacing).
    static func render(_ requests: [HTTPRequestSpec]) -> [UInt8] {
        var out = Array("[\n".utf8)
        for (i, request) in requests.enumerated() {
            func string(_ s: String) -> [UInt8] {
                var b: [UInt8] = []
                JSONWriter.writeString(s, to: &b)
                return b
            }
            out += "  {\n    \"method\": ".utf8 + string(request.method) + ",\n    \"url\": ".utf8 + string(request.url)
            out += ",\n    \"headers\": [\n".utf8
            for (j, (name, value)) in request.headers.enumerated() {
                out += "      [".utf8 + string(name) + ", ".utf8 + string(value) + "]".utf8
                out += (j == request.headers.count - 1 ? "\n" : ",\n").utf8
            }
            out += "    ],\n    \"body\": ".utf8 + request.body + "\n  }".utf8
            out += (i == requests.count - 1 ? "\n" : ",\n").utf8
        }
        out += "]\n".utf8
        return out
    }

    /// Compares the rendering of `requests` with golden file `name` (or rewrites it when updating).
    static func check(_ requests: [HTTPRequestSpec], _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let actual = render(requests)
        #expect(JSONValue(jsonText: String(decoding: actual, as: UTF8.self)) != nil, "the golden rendering is JSON",
                sourceLocation: sourceLocation)
        if updating {
            try Data(actual).write(to: sourceDirectory.appendingPathComponent(name + ".json"))
            return
        }
        guard let url = Bundle.module.resourceURL?.appendingPathComponent("Golden/\(name).json"),
              let expected = try? Data(contentsOf: url) else {
            Issue.record("golden file Golden/\(name).json is missing: run with TRAILWATCH_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "Golden/\(name).json differs (regenerate with TRAILWATCH_UPDATE_GOLDEN=1 if intended)",
                sourceLocation: sourceLocation)
    }
}

/// A temporary directory for a configuration file and its secret files.
final class HTTPSinkConfigFixture {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trailwatch-sinks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> String { dir + "/" + name }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Decodes `sinks[0]` of `text` (written as `trailwatch.json`) the way the configuration loader does:
    /// unknown members against the common ones and the type's, then the type's decoder. Errors are
    /// `trailwatch.json:LINE:COL: sinks[0].member: message`.
    func decode<Settings: SinkSettings>(_ type: Settings.Type, _ text: String,
                                        environment: [String: String] = [:]) throws -> (Settings?, [String]) {
        let file = try write(text, to: "trailwatch.json")
        let document = try JSONDocumentParser.parse(Array(text.utf8), file: file)
        var decoder = ConfigDecoder(file: file, baseDirectory: dir, environment: environment)
        guard let top = decoder.object(document, at: .root, what: "a configuration"),
              let sinks = top["sinks"]?.items, let first = sinks.first,
              let block = decoder.object(first, at: MemberPath.root["sinks"][0], what: "a sink object") else {
            Issue.record("no sinks[0] in \(text)")
            return (nil, [])
        }
        let common: Set<String> = ["name", "type", "max_attempts", "max_age", "batch"]
        decoder.rejectUnknownMembers(of: block, known: common.union(Settings.members),
                                     what: ConfigDecoder.describe(type: Settings.type, of: "sink"))
        let settings = Settings(from: block, decoder: &decoder)
        let errors = decoder.diagnostics.map { line in
            let text = line.description
            return text.hasPrefix(dir + "/") ? String(text.dropFirst(dir.count + 1)) : text
        }
        return (settings, errors)
    }
}

/// The three HTTP sinks, made against a receiver, for the transport tests they share.
enum HTTPSinkKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case webhook, slack, pagerduty

    var testDescription: String { rawValue }

    /// The secrets these tests give each sink; none may show up in an error.
    static let webhookSecret = "whsec-Th1sIsTheHmacKey"
    static let authorization = "Bearer tok-ABCDEFsecret"
    static let slackPath = "/services/T0001/B0002/XyZsecretSlackToken"
    static let routingKey = "R0UT1NGKEYsecret0123456789abcdef"

    var secrets: [String] {
        switch self {
        case .webhook: [Self.webhookSecret, Self.authorization, "tok-ABCDEFsecret"]
        case .slack: [Self.slackPath, "XyZsecretSlackToken"]
        case .pagerduty: [Self.routingKey]
        }
    }

    /// A sink of this kind sending to `receiver`, its secrets in files under `fixture`.
    func make(receiver: HTTPReceiver, fixture: HTTPSinkConfigFixture, timeout: Int64 = 2000) throws -> any AlertSink {
        let timeouts = HTTPTimeouts(connectMilliseconds: 1000, requestMilliseconds: timeout)
        switch self {
        case .webhook:
            let secret = try fixture.write(Self.webhookSecret + "\n", to: "hook.key")
            let authorization = try fixture.write(Self.authorization + "\n", to: "hook.auth")
            let settings = WebhookSinkSettings(url: receiver.url("/hook?team=db"), headers: [HTTPHeaderField("X-Team", "secops")],
                                               secret: .file(secret), authorization: .file(authorization), timeouts: timeouts)
            return try settings.makeSink(name: "hook", context: SinkContext(logger: .init(label: "test"), environment: [:]))
        case .slack:
            try fixture.write(receiver.url(Self.slackPath) + "\n", to: "credentials/slack")
            let settings = SlackSinkSettings(webhookURL: .credential("slack"), timeouts: timeouts)
            return try settings.makeSink(name: "chat", context: SinkContext(logger: .init(label: "test"),
                                                                            environment: ["CREDENTIALS_DIRECTORY": fixture.path("credentials")]))
        case .pagerduty:
            let key = try fixture.write(Self.routingKey, to: "pd.key")
            let settings = PagerDutySinkSettings(url: receiver.url("/v2/enqueue"), routingKey: .file(key), source: "test-host",
                                                 timeouts: timeouts)
            return try settings.makeSink(name: "oncall", context: SinkContext(logger: .init(label: "test"), environment: [:]))
        }
    }

    /// The status this receiver answers when it takes a request.
    var success: Int { self == .pagerduty ? 202 : 200 }
}

/// Runs `body` with a started receiver, shutting it down afterwards whatever happens.
func withHTTPReceiver(_ body: (HTTPReceiver) async throws -> Void) async throws {
    let receiver = try await HTTPReceiver.start()
    do {
        try await body(receiver)
    } catch {
        try? await receiver.shutdown()
        throw error
    }
    try await receiver.shutdown()
}

/// The verdict `deliver` threw, or nil when it succeeded.
func httpDeliveryError(_ sink: any AlertSink, _ alerts: [OutgoingAlert]) async -> DeliveryError? {
    do throws(DeliveryError) {
        try await sink.deliver(alerts)
        return nil
    } catch {
        return error
    }
}

/// Decodes each `sinks[0]` block (on line 2 of its file) and compares the errors, exactly; the settings
/// must be nil after any error but an unknown member, and no error may repeat an inline secret.
enum HTTPSinkConfigCases {
    @discardableResult
    static func run<Settings: SinkSettings>(_ type: Settings.Type, _ cases: [(String, [String])],
                                            environment: [String: String] = [:],
                                            fixture: HTTPSinkConfigFixture? = nil,
                                            sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HTTPSinkConfigFixture {
        let f = try fixture ?? HTTPSinkConfigFixture()
        for (block, expected) in cases {
            let (settings, errors) = try f.decode(type, "{\"sinks\": [\n  \(block)\n]}", environment: environment)
            #expect(errors == expected, "\(block)", sourceLocation: sourceLocation)
            // Unknown members are the loader's to report (before the type decodes); every other error leaves no settings.
            if !errors.allSatisfy({ $0.contains("unknown member") }) {
                #expect(settings == nil, "\(block)", sourceLocation: sourceLocation)
            }
            #expect(!errors.joined().contains("hunter2"), "an error never repeats a secret", sourceLocation: sourceLocation)
        }
        return f
    }
}

/// `"0aff"` → `[0x0a, 0xff]`
func hmacHexBytes(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    for i in stride(from: 0, to: chars.count, by: 2) {
        guard let byte = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
        out.append(byte)
    }
    return out
}
