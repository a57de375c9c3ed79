import Foundation
import Glibc
import Logging
import Testing
import TrailwatchSystemd

/// JournalLogHandler against a real systemd-journald (see IsolatedJournal): the test binary re-runs itself
/// inside the namespace with only `emitEntries` enabled, then reads back what journald stored.
@Suite
struct JournalLogHandlerTests {
    static let childVariable = "TRAILWATCH_JOURNAL_TEST_IDENTIFIER"

    @Test(.enabled(if: IsolatedJournal.isAvailable, "needs root, unshare and systemd-journald"))
    func realJournaldStoresStructuredFields() throws {
        let identifier = uniqueName("tw-journal-test")
        let binary = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let entries = try IsolatedJournal.run(
            [binary, "--testing-library", "swift-testing", "--filter", "emitEntries"],
            environment: [Self.childVariable: identifier], identifier: identifier, expected: 2)
        try #require(entries.count == 2, "\(entries)")

        let alert = try #require(entries.first { $0["MESSAGE"] as? String == "alert sent" }, "\(entries)")
        #expect(alert["PRIORITY"] as? String == "4")
        #expect(alert["SYSLOG_IDENTIFIER"] as? String == identifier)
        #expect(alert["RULE"] as? String == "deletes")
        #expect(alert["SOURCE"] as? String == "at")
        #expect(alert["SEVERITY"] as? String == "high")
        #expect(alert["EVENT_ID"] as? String == "e1")
        #expect(alert["LOGGER"] as? String == "trailwatch.test")
        #expect(alert["CODE_FUNC"] as? String == "emitEntries()")
        #expect((alert["CODE_FILE"] as? String)?.hasSuffix("JournalLogHandlerTests.swift") == true)
        #expect(Int(alert["CODE_LINE"] as? String ?? "") ?? 0 > 0)
        #expect(alert["_TRANSPORT"] as? String == "journal", "sent natively, not via stdout")

        let multiline = try #require(entries.first { ($0["MESSAGE"] as? String)?.hasPrefix("two") == true }, "\(entries)")
        #expect(multiline["MESSAGE"] as? String == "two\nlines")
        #expect(multiline["PRIORITY"] as? String == "3")
        #expect(multiline["SOURCE"] as? String == "at", "logger metadata carried")
        #expect(multiline["RULE"] == nil)
    }

    /// Not a test on its own: the body the test above runs inside the namespace.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil))
    func emitEntries() throws {
        let identifier = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        var logger = Logger(label: "trailwatch.test") { JournalLogHandler(label: $0, identifier: identifier) }
        logger[metadataKey: "source"] = "at"
        logger.debug("below the level: not sent")
        logger.warning("alert sent", metadata: ["rule": "deletes", "severity": "high", "event.id": "e1"])
        logger.error("two\nlines")
    }
}
