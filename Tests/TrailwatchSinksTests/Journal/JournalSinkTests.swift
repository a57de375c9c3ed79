import Foundation
import Testing
import TrailwatchCore
@testable import TrailwatchSinks

/// The journal sink: its fields against a golden file, and entries stored by a real systemd-journald in a
/// private mount namespace (the test binary re-runs itself there with only `emitJournalAlerts` enabled).
@Suite struct JournalSinkTests {
    static let childVariable = "TRAILWATCH_JOURNAL_SINK_TEST_IDENTIFIER"

    @Test func fieldsGolden() throws {
        var text = ""
        for outgoing in [SampleAlerts.alert(suppressed: 2), SampleAlerts.unusual, SampleAlerts.alert(status: .resolved)] {
            for (name, value) in JournalFields.fields(for: outgoing, identifier: "trailwatch") {
                text += "\(name)=\(value.replacingOccurrences(of: "\n", with: "\\n"))\n"
            }
            text += "\n"
        }
        try GoldenText.check(text, "journal-fields.txt")
    }

    @Test func priorities() {
        #expect(Severity.allCases.map(JournalFields.priority) == [2, 3, 4, 5, 6])
        #expect(JournalFields.fieldName("TRAILWATCH_GROUP_initiator.name") == "TRAILWATCH_GROUP_INITIATOR_NAME")
        #expect(JournalFields.fieldName("TRAILWATCH_LABEL_" + String(repeating: "x", count: 80)).utf8.count == 64)
    }

    @Test func settings() throws {
        let (plain, none) = try decodeSinkBlock(JournalSinkSettings.self, "{}")
        #expect(none == [])
        #expect(plain?.identifier == "trailwatch")
        let (bad, errors) = try decodeSinkBlock(JournalSinkSettings.self, #"{"identifier": "has space", "priority": 3}"#)
        #expect(bad == nil)
        #expect(errors == [
            #"trailwatch.json:1:29: sinks[0].priority: unknown member of a sink"#,
            #"trailwatch.json:1:16: sinks[0].identifier: "has space" must be printable ASCII without spaces"#,
        ], "\(errors)")
    }

    @Test(.enabled(if: IsolatedJournalForSinks.isAvailable, "needs root, unshare and systemd-journald"))
    func realJournaldStoresTheAlerts() throws {
        let identifier = "tw-sink-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let binary = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let entries = try IsolatedJournalForSinks.run(
            [binary, "--testing-library", "swift-testing", "--filter", "emitJournalAlerts"],
            environment: [Self.childVariable: identifier], identifier: identifier, expected: 3)
        try #require(entries.count == 3, "\(entries)")

        let high = try #require(entries.first { $0["TRAILWATCH_ALERT_ID"] as? String == "3f2a9c0d1e4b5a6978c1d2e3"
            && $0["TRAILWATCH_STATUS"] as? String == "firing" }, "\(entries)")
        #expect(high["MESSAGE"] as? String == SampleAlerts.alert().alert.textLine)
        #expect(high["PRIORITY"] as? String == "3")
        #expect(high["SYSLOG_IDENTIFIER"] as? String == identifier)
        #expect(high["TRAILWATCH_RULE"] as? String == "cdb-backup-failed")
        #expect(high["TRAILWATCH_SEVERITY"] as? String == "high")
        #expect(high["TRAILWATCH_COUNT"] as? String == "3")
        #expect(high["TRAILWATCH_GROUP_TARGET_ID"] as? String == "cdb-01")
        #expect(high["TRAILWATCH_GROUP_INITIATOR_NAME"] as? String == "backup-svc")
        #expect(high["TRAILWATCH_LABEL_TEAM"] as? String == "dba")
        #expect(high["TRAILWATCH_JSON"] as? String == SampleAlerts.alert().json)
        #expect(high["_TRANSPORT"] as? String == "journal")

        let unusual = try #require(entries.first { $0["TRAILWATCH_RULE"] as? String == "gdpr-export" }, "\(entries)")
        #expect(unusual["PRIORITY"] as? String == "5")
        #expect(unusual["TRAILWATCH_GROUP_PROJECT"] as? String == "Überwachung")
        #expect(unusual["TRAILWATCH_GROUP_N"] as? String == "42")
        #expect(unusual["TRAILWATCH_JSON"] as? String == SampleAlerts.unusual.json, "non-ASCII and newlines intact")

        let resolved = try #require(entries.first { $0["TRAILWATCH_STATUS"] as? String == "resolved" }, "\(entries)")
        #expect(resolved["PRIORITY"] as? String == "5")
        #expect((resolved["MESSAGE"] as? String)?.hasPrefix("resolved: ") == true)
    }

    /// Not a test on its own: the body the test above runs inside the namespace.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil))
    func emitJournalAlerts() async throws {
        let identifier = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let sink = try JournalSinkSettings(identifier: identifier).makeSink(name: "journal", context: SampleAlerts.context())
        #expect(sink.alertsPerDelivery > 1)
        try await sink.deliver([SampleAlerts.alert(), SampleAlerts.unusual])
        try await sink.deliver([SampleAlerts.alert(status: .resolved)])
    }
}
