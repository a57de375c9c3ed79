import Logging
import Testing
@testable import TrailwatchSystemd

/// The journal entry's fields, before they reach journald (the real journald test is JournalLogHandlerTests).
struct JournalFieldsTests {
    @Test(arguments: [
        ("rule", "RULE"), ("source", "SOURCE"), ("severity", "SEVERITY"),
        ("event.id", "EVENT_ID"), ("sink-name", "SINK_NAME"), ("Ünïcode", "X_N_CODE"),
        ("_private", "X_PRIVATE"), ("2fa", "X2FA"), ("", "X"),
        (String(repeating: "a", count: 80), String(repeating: "A", count: 64)),
    ])
    func fieldNames(key: String, expected: String) {
        #expect(JournalFieldName.from(key) == expected)
    }

    @Test func priorities() {
        let expected: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        for (level, priority) in expected { #expect(JournalPriority.from(level) == priority, "\(level)") }
    }

    @Test func entryFields() {
        let handler = JournalLogHandler(label: "trailwatch.pipeline", identifier: "trailwatch")
        let event = LogEvent(level: .warning, message: "alert", metadata: nil, source: "M",
                             file: "Sources/X/Y.swift", function: "run()", line: 42)
        let fields = handler.fields(for: event, metadata: ["rule": "deletes", "message": "clash", "priority": "1"])
        #expect(fields == [
            "MESSAGE=alert", "PRIORITY=4", "SYSLOG_IDENTIFIER=trailwatch", "LOGGER=trailwatch.pipeline",
            "CODE_FILE=Sources/X/Y.swift", "CODE_LINE=42", "CODE_FUNC=run()",
            "X_MESSAGE=clash", "X_PRIORITY=1", "RULE=deletes",
        ])
    }
}
