import Foundation
import Testing

/// The commands' contracts: exit statuses, where output goes, error formats (rules.md §8-§9).
struct CommandTests {
    let rule = #"{"id": "fail", "severity": "high", "summary": "{{action}}", "match": {"field": "outcome", "equals": "failure"}}"#
    let events = """
    {"id": "a", "eventTime": "2026-03-01T10:00:00Z", "action": "x.y.update", "outcome": "failure"}
    not json
    {"id": "b", "eventTime": "2026-03-01T10:01:00Z", "action": "x.y.update", "outcome": "success"}

    """

    func setUp() throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try Data(rule.utf8).write(to: dir.appendingPathComponent("rules.json"))
        try Data(events.utf8).write(to: dir.appendingPathComponent("events.jsonl"))
        return dir
    }

    @Test func replayPrintsAlertsAndCountsSeparately() throws {
        let dir = try setUp()
        let r = try CLI.run(["replay", "--rules", "rules.json", "events.jsonl"], in: dir)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let alert = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(alert?["rule"] as? String == "fail")
        #expect(alert?["summary"] as? String == "x.y.update")
        #expect(alert?["time"] as? String == "2026-03-01T10:00:00.000Z")
        #expect(r.stderr.contains("events.jsonl:2: rejected: not valid JSON"))
        #expect(r.stderr.contains("2 events, 1 rejected lines, 1 alerts, 0 suppressed"))
    }

    @Test func replayTextFormat() throws {
        let dir = try setUp()
        let r = try CLI.run(["replay", "--rules", "rules.json", "--format", "text", "events.jsonl"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "2026-03-01T10:00:00.000Z  HIGH  fail  x.y.update\n")
    }

    @Test func replayReadsStandardInput() throws {
        let dir = try setUp()
        let r = try CLI.run(["replay", "--rules", "rules.json", "-"], in: dir, stdin: events)
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"rule\":\"fail\""))
        #expect(r.stderr.contains("-:2: rejected"))
    }

    @Test func exitStatuses() throws {
        let dir = try setUp()
        #expect(try CLI.run(["replay", "--rules", "rules.json", "missing.jsonl"], in: dir).status == 1)
        #expect(try CLI.run(["replay", "--rules", "rules.json", "--until", "yesterday", "events.jsonl"], in: dir).status == 2)
        #expect(try CLI.run(["replay", "--rules", "nope.json", "events.jsonl"], in: dir).status == 2)
        #expect(try CLI.run(["replay", "events.jsonl"], in: dir).status == 2)
        #expect(try CLI.run(["replay", "--rules", "rules.json", "--max-line-bytes", "100000000000", "events.jsonl"], in: dir).status == 2)
        #expect(try CLI.run(["check", "--rules", "rules.json"], in: dir).status == 0)
        #expect(try CLI.run(["check", "--rules", "events.jsonl"], in: dir).status == 1)
    }

    @Test func checkSummarisesOrListsEveryError() throws {
        let dir = try setUp()
        let ok = try CLI.run(["check", "--rules", "rules.json"], in: dir)
        #expect(ok.stdout == "ok: 1 rules in 1 file\n")
        try Data(#"{"rules": [{"id": "A", "severity": "urgent", "match": {"all": []}}, {"id": "b", "severity": "low", "window": "5m", "match": {"all": []}}]}"#.utf8)
            .write(to: dir.appendingPathComponent("bad.json"))
        let bad = try CLI.run(["check", "--rules", "bad.json"], in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.json:1:19: \"id\": \"A\" is not a valid rule id"))
        #expect(bad.stderr.contains("bad.json:1:36: \"severity\": expected one of"))
        #expect(bad.stderr.contains("bad.json:1:100: \"window\": not a member of an \"every\" rule"))
    }

    @Test func versionAndHelp() throws {
        #expect(try CLI.run(["--version"]).stdout.hasPrefix("trailwatch "))
        for command in ["replay", "check", "test", "generate"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE: trailwatch \(command)"))
        }
    }

    @Test func ruleTestsReportFailuresWithExitOne() throws {
        let dir = try setUp()
        let test = """
        {"rule_files": ["rules.json"], "tests": [
          {"name": "passes", "events_file": "good.jsonl", "alerts": [{"rule": "fail", "events": ["good.jsonl:1"]}]},
          {"name": "fails", "events": [{"outcome": "failure"}], "alerts": []}
        ]}
        """
        try Data(test.utf8).write(to: dir.appendingPathComponent("x.test.json"))
        try Data("{\"outcome\": \"failure\"}\n".utf8).write(to: dir.appendingPathComponent("good.jsonl"))
        let r = try CLI.run(["test", "."], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("ok    ./x.test.json: passes"))
        #expect(r.stdout.contains("FAIL  ./x.test.json: fails"))
        #expect(r.stdout.contains("alert 1: unexpected {"))
        #expect(r.stdout.contains("rule tests: 1 passed, 1 failed"))
        try Data(#"{"tests": [{"name": "n", "events": [], "alerts": [{"rul": "x"}]}]}"#.utf8)
            .write(to: dir.appendingPathComponent("bad.test.json"))
        let bad = try CLI.run(["test", "bad.test.json"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.test.json:1:52: \"rul\": unknown member of an expected alert"))
        let loadErrors = [
            (#"{"tests": [{"name": "n", "rules": [], "events": [], "alerts": []}]}"#, "name at least one rule"),
            (#"{"tests": [{"name": "n", "events_file": "nope.jsonl", "alerts": []}]}"#, "\"events_file\": cannot read"),
            (#"{"rule_files": ["off.json"], "tests": [{"name": "n", "rules": ["off"], "events": [], "alerts": []}]}"#, "is disabled"),
        ]
        try Data(#"{"id": "off", "severity": "low", "enabled": false, "match": {"all": []}}"#.utf8).write(to: dir.appendingPathComponent("off.json"))
        for (text, message) in loadErrors {
            try Data(text.utf8).write(to: dir.appendingPathComponent("load.test.json"))
            let r = try CLI.run(["test", "load.test.json"], in: dir)
            #expect(r.status == 2)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
        // Inline events are taken as written: a number beyond a double rejects the event, as replay would.
        try Data(#"{"rule_files": ["rules.json"], "tests": [{"name": "n", "events": [{"outcome": "failure", "x": 1e400}], "alerts": []}]}"#.utf8)
            .write(to: dir.appendingPathComponent("raw.test.json"))
        let raw = try CLI.run(["test", "raw.test.json"], in: dir)
        #expect(raw.status == 1)
        #expect(raw.stdout.contains("event rejected: events:1: rejected: not valid JSON"), "\(raw.stdout)")
    }
}
