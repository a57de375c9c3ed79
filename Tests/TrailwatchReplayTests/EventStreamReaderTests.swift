import Foundation
import Testing
import TrailwatchCore
import TrailwatchEngine
import TrailwatchRules
@testable import TrailwatchReplay

struct EventStreamReaderTests {
    func engine(_ rules: String) throws -> Engine {
        let node = try JSONDocumentParser.parse(Array(rules.utf8), file: "r.json")
        let (definitions, problems) = RuleLoader.decodeFile(node)
        try #require(problems.isEmpty)
        return Engine(ruleSet: CompiledRuleSet(definitions))
    }

    func tempFile(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "stream-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func fallbackTimeRestartsAtTheEpochOnEachStream() throws {
        let reader = EventStreamReader(engine: try engine(#"{"id": "all", "severity": "low", "summary": "{{time}}", "match": {"all": []}}"#))
        let first = tempFile("{\"eventTime\": \"2026-03-01T10:00:00Z\"}\n{\"id\": \"no-time\"}\n")
        let second = tempFile("{\"id\": \"also-no-time\"}\n\n  \nnot json\n{\"eventTime\": 5}\n")
        defer { try? FileManager.default.removeItem(atPath: first); try? FileManager.default.removeItem(atPath: second) }
        var alerts: [Alert] = []
        var rejections: [Rejection] = []
        for path in [first, second] {
            let fd = open(path, O_RDONLY)
            try reader.read(source: path, fileDescriptor: fd, onAlert: { alerts.append($0) }, onRejected: { rejections.append($0) })
            close(fd)
        }
        #expect(alerts.map(\.summary) == ["2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z",
                                          "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"])
        #expect(alerts.map(\.events) == [["\(first):1"], ["no-time"], ["also-no-time"], ["\(second):5"]])
        #expect(rejections.map(\.line) == [4])
        #expect(rejections.first?.description.hasPrefix("\(second):4: rejected: not valid JSON") == true)
        #expect(reader.events == 4)
        #expect(reader.rejected == 1)
    }

    @Test func untilMovesTheWatermarkAtTheEnd() throws {
        let reader = EventStreamReader(engine: try engine(#"{"id": "a", "severity": "low", "kind": "absence", "window": "1h", "match": {"all": []}}"#))
        var alerts: [Alert] = []
        try reader.read(lines: [Array(#"{"id": "x", "eventTime": "2026-03-01T10:00:00Z"}"#.utf8)], source: "events",
                        onAlert: { alerts.append($0) }, onRejected: { _ in })
        try reader.finish(until: EventTime.parse("2026-03-01T11:00:00Z"), onAlert: { alerts.append($0) })
        #expect(alerts.isEmpty)  // equal to the deadline is not past it
        try reader.finish(until: EventTime.parse("2026-03-01T11:00:00.001Z"), onAlert: { alerts.append($0) })
        #expect(alerts.map(\.events) == [["x"]])
    }
}

struct RuleTestComparisonTests {
    func alert(count: Int) -> Alert {
        Alert(id: "i", rule: "r", severity: .high, time: EventTime.parse("2026-03-01T10:00:00Z")!, group: [],
              count: count, events: ["e"], summary: "", labels: [], suppressed: 0)
    }

    func expected(_ json: String) -> RuleTestFile.ExpectedAlert {
        let node = try! JSONDocumentParser.parse(Array(json.utf8), file: "t")
        guard case .object(let members) = node.value else { fatalError() }
        return RuleTestFile.ExpectedAlert(members: members, location: node.location)
    }

    @Test func comparesOnlyTheGivenMembersAndTimesAsInstants() {
        #expect(RuleTestRunner.compare(expected: [expected(#"{"rule": "r", "time": "2026-03-01T11:00:00+01:00", "count": 3.0}"#)],
                                       produced: [alert(count: 3)]).isEmpty)
    }

    @Test func reportsEachDifference() {
        let d = RuleTestRunner.compare(expected: [expected(#"{"count": 2}"#), expected(#"{"rule": "r"}"#)], produced: [alert(count: 3)])
        #expect(d.count == 3)
        #expect(d[0] == "alert 1: \"count\": expected 2, got 3")
        #expect(d[2].hasPrefix("alert 2: expected {\"rule\":\"r\"}, but only 1 alert was produced"))
        let extra = RuleTestRunner.compare(expected: [], produced: [alert(count: 1)])
        #expect(extra.first?.hasPrefix("alert 1: unexpected {\"id\":\"i\"") == true)
    }
}
