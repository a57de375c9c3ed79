import Foundation
import Synchronization
import Testing
import TrailwatchConfiguration
import TrailwatchCore
@testable import TrailwatchSinks
import TrailwatchTestSupport

/// The payload builder against golden files, the settings, and the sink against a real Alertmanager.
@Suite struct AlertmanagerPayloadTests {
    static let now = SampleAlerts.time + 30_000

    @Test func firingAlertGolden() throws {
        let alert = AlertmanagerPayload.alert(SampleAlerts.alert(suppressed: 2), now: Self.now, resolveAfter: 3_600_000,
                                              generatorURL: "https://trailwatch.example.org/alerts")
        let spec = AlertmanagerPayload.request([alert], baseURL: "http://127.0.0.1:9093", authorization: nil)
        #expect(spec.url == "http://127.0.0.1:9093/api/v2/alerts")
        #expect(spec.method == "POST")
        #expect(spec.headers.map { "\($0.0): \($0.1)" } == ["Content-Type: application/json"])
        #expect(alert.endsAt == Self.now + 3_600_000, "resolve_after counts from delivery when that is later")
        try GoldenText.check(GoldenText.prettyJSON(spec.body), "alertmanager-firing.json")
    }

    @Test func batchAndResolvedGolden() throws {
        var alerts = SampleAlerts.batch.map {
            AlertmanagerPayload.alert($0, now: SampleAlerts.time, resolveAfter: 900_000, generatorURL: nil)
        }
        alerts.append(AlertmanagerPayload.alert(SampleAlerts.alert(status: .resolved), now: Self.now, resolveAfter: 900_000,
                                                generatorURL: nil))
        #expect(alerts[0].endsAt == SampleAlerts.time + 900_000)
        #expect(alerts.last?.endsAt == Self.now, "a resolved alert ends now")
        let spec = AlertmanagerPayload.request(alerts, baseURL: "https://am.example.org", authorization: "Bearer t0k3n")
        #expect(spec.headers.map(\.0) == ["Content-Type", "Authorization"])
        try GoldenText.check(GoldenText.prettyJSON(spec.body), "alertmanager-batch.json")
    }

    @Test func labelNamesAreMadeValid() {
        #expect(AlertmanagerPayload.labelName("initiator.name") == "initiator_name")
        #expect(AlertmanagerPayload.labelName("9lives") == "_9lives")
        #expect(AlertmanagerPayload.labelName("ünï-code") == "_n__code")
        #expect(AlertmanagerPayload.labelName("") == "_")
        // Fixed labels win over group members and rule labels of the same name; empty values are left out.
        let alert = AlertmanagerPayload.alert(
            SampleAlerts.alert(group: [JSONMember("severity", .string("x")), JSONMember("empty", .null)],
                               labels: [JSONMember("alertname", .string("y")), JSONMember("team", .string("dba"))]),
            now: 0, resolveAfter: 1000, generatorURL: nil)
        #expect(alert.labels.map { "\($0.key)=\($0.value.stringValue!)" }
                == ["alertname=cdb-backup-failed", "rule=cdb-backup-failed", "severity=high", "team=dba"])
    }

    @Test func settings() throws {
        let (full, none) = try decodeSinkBlock(AlertmanagerSinkSettings.self, """
            {"url": "http://127.0.0.1:9093/", "resolve_after": "15m", "repeat_interval": "30s",
             "generator_url": "https://tw.example.org", "timeout": "3s"}
            """)
        #expect(none == [])
        #expect(full == AlertmanagerSinkSettings(url: "http://127.0.0.1:9093", resolveAfterMilliseconds: 900_000,
                                                 repeatIntervalMilliseconds: 30_000, generatorURL: "https://tw.example.org",
                                                 timeouts: HTTPTimeouts(requestMilliseconds: 3000)))
        let (bad, errors) = try decodeSinkBlock(AlertmanagerSinkSettings.self, """
            {"url": "ftp://x", "resolve_afte": "1h", "username": "u", "password": "inline", "repeat_interval": "10ms"}
            """)
        #expect(bad == nil)
        #expect(errors == [
            #"trailwatch.json:1:20: sinks[0].resolve_afte: unknown member of a sink (did you mean "resolve_after"?)"#,
            #"trailwatch.json:1:9: sinks[0].url: "ftp://x" is not an http:// or https:// URL without query (the base URL: alerts go to {url}/api/v2/alerts)"#,
            #"trailwatch.json:1:100: sinks[0].repeat_interval: must be at least "100ms""#,
            #"trailwatch.json:1:59: sinks[0].password: secrets are never written inline: use "password_file" or "password_credential""#,
            #"trailwatch.json:1:1: sinks[0].password: required with "username": use "password_file" or "password_credential""#,
        ], "\(errors)")
    }
}

@Suite(.serialized, .enabled(if: AlertmanagerProcess.isAvailable, "needs /usr/bin/prometheus-alertmanager (Debian prometheus-alertmanager)"))
struct AlertmanagerSinkTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let value: Mutex<Int64>
        init(_ start: Int64) { value = Mutex(start) }
        var now: @Sendable () -> Int64 { { self.value.withLock { $0 } } }
    }

    func find(_ alerts: [[String: Any]], rule: String) -> [String: Any]? {
        alerts.first { ($0["labels"] as? [String: String])?["rule"] == rule }
    }

    @Test func alertsArriveRepeatAndResolve() async throws {
        let am = try AlertmanagerProcess()
        defer { am.remove() }
        let start = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        let settings = AlertmanagerSinkSettings(url: am.url, resolveAfterMilliseconds: 600_000, repeatIntervalMilliseconds: 200,
                                                generatorURL: "https://trailwatch.example.org/x")
        let sink = AlertmanagerSink(name: "am", settings: settings, context: SampleAlerts.context())
        let firing = SampleAlerts.alert(time: start)
        try await sink.deliver([firing, SampleAlerts.alert(id: "b", rule: "other-rule", severity: .info, time: start)])

        let alerts = try am.alerts()
        #expect(alerts.count == 2, "\(alerts)")
        let got = try #require(find(alerts, rule: "cdb-backup-failed"), "\(alerts)")
        #expect(got["labels"] as? [String: String] == [
            "alertname": "cdb-backup-failed", "rule": "cdb-backup-failed", "severity": "high",
            "target_id": "cdb-01", "initiator_name": "backup-svc", "team": "dba",
        ])
        let annotations = try #require(got["annotations"] as? [String: String])
        #expect(annotations["summary"] == "Backup of cdb-01 failed 3 times")
        #expect(annotations["alert_id"] == "3f2a9c0d1e4b5a6978c1d2e3")
        #expect(annotations["count"] == "3")
        #expect(annotations["events"] == "ev-101,ev-102,ev-103")
        #expect(got["generatorURL"] as? String == "https://trailwatch.example.org/x")
        let startsAt = try #require(got["startsAt"] as? String)
        let endsAt = try #require(got["endsAt"] as? String)
        #expect(EventTime.parse(startsAt) == start, "\(startsAt)")
        let ends = try #require(EventTime.parse(endsAt))
        #expect(ends > start + 600_000 && ends < start + 60_000 + 600_000 + 10_000, "\(endsAt)")
        #expect((got["status"] as? [String: Any])?["state"] as? String != "resolved")
        #expect(sink.repeating.count == 2)

        // Alertmanager loses its state; the sink's repeats bring the alerts back without a new delivery.
        try am.restart()
        #expect(try am.alerts().isEmpty)
        var back: [[String: Any]] = []
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            back = try am.alerts()
            if back.count == 2 { break }
        }
        #expect(back.count == 2, "repeated while firing: \(back)")
        #expect(find(back, rule: "cdb-backup-failed")?["startsAt"] as? String == startsAt)

        // Resolved: endsAt = now, gone from the active alerts, and no longer repeated.
        try await sink.deliver([SampleAlerts.alert(time: start, status: .resolved)])
        let after = try am.alerts()
        #expect(find(after, rule: "cdb-backup-failed") == nil, "\(after)")
        #expect(find(after, rule: "other-rule") != nil)
        #expect(sink.repeating.map { $0.labels.first { $0.key == "rule" }?.value } == [.string("other-rule")])
        await sink.close()
    }

    @Test func alertsEndedAreNotRepeated() async throws {
        let am = try AlertmanagerProcess()
        defer { am.remove() }
        let clock = TestClock(Int64(Date().timeIntervalSince1970 * 1000))
        let settings = AlertmanagerSinkSettings(url: am.url, resolveAfterMilliseconds: 5_000, repeatIntervalMilliseconds: 100)
        let sink = AlertmanagerSink(name: "am", settings: settings, context: SampleAlerts.context(), now: clock.now)
        try await sink.deliver([SampleAlerts.alert(time: clock.now())])
        #expect(sink.repeating.count == 1)
        clock.value.withLock { $0 += 6_000 }
        // The repeat loop runs every 100 ms; a loaded test run may resume it late, so wait up to 10 s for it.
        for _ in 0..<100 where !sink.repeating.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(sink.repeating.isEmpty, "past endsAt: dropped from the repeat set")
        await sink.close()
    }

    @Test func downIsRetryAndBadRequestIsPermanent() async throws {
        let port = try LoopbackPort.free()
        let sink = AlertmanagerSink(name: "am", settings: AlertmanagerSinkSettings(url: "http://127.0.0.1:\(port)",
                                                                              timeouts: HTTPTimeouts(connectMilliseconds: 500)),
                                    context: SampleAlerts.context())
        do {
            try await sink.deliver([SampleAlerts.alert()])
            Issue.record("delivered to nothing")
        } catch {
            guard case .retry = error else { Issue.record("expected retry, got \(error)"); return }
        }
        #expect(sink.repeating.isEmpty, "only delivered alerts are repeated")
        await sink.close()

        // Alertmanager refuses an alert it cannot validate (endsAt before startsAt): a 400, permanent.
        let am = try AlertmanagerProcess()
        defer { am.remove() }
        let real = AlertmanagerSink(name: "am", settings: AlertmanagerSinkSettings(url: am.url), context: SampleAlerts.context())
        let transport = HTTPTransport(timeouts: HTTPTimeouts())
        var bad = AlertmanagerPayload.alert(SampleAlerts.alert(), now: SampleAlerts.time, resolveAfter: 1000, generatorURL: nil)
        bad.endsAt = bad.startsAt - 1000
        do {
            try await transport.send(AlertmanagerPayload.request([bad], baseURL: am.url, authorization: nil))
            Issue.record("Alertmanager took an alert ending before it started")
        } catch {
            guard case .permanent(let why) = error else { Issue.record("expected permanent, got \(error)"); return }
            #expect(why.contains("400"), "\(why)")
        }
        await transport.shutdown()
        await real.close()
    }

    @Test func basicAuthenticationIsSentFromTheSecretFile() async throws {
        // Alertmanager itself takes no authentication; check the header the sink builds instead.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-am-secret-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "pa55\n".write(to: dir.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
        let (settings, errors) = try decodeSinkBlock(AlertmanagerSinkSettings.self,
                                                     #"{"url": "http://127.0.0.1:1", "username": "tw", "password_file": "pw"}"#,
                                                     directory: dir.path)
        #expect(errors == [])
        #expect(settings?.authentication == .basic(username: "tw", password: .file(dir.appendingPathComponent("pw").path)))
        let (bearer, none) = try decodeSinkBlock(AlertmanagerSinkSettings.self,
                                                 #"{"url": "http://127.0.0.1:1", "bearer_token_credential": "am"}"#,
                                                 environment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(none == [#"trailwatch.json:1:58: sinks[0].bearer_token_credential: cannot read credential "am" (\#(dir.path)/am): No such file or directory"#])
        #expect(bearer == nil)
    }
}
