import Foundation
import Testing
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules
@testable import TrailwatchEngine

/// Saved state must resume exactly: stopping anywhere, saving, and loading into a new engine gives the
/// alerts of one uninterrupted run.
struct SnapshotTests {
    static let rules = """
    {"rules": [
      {"id": "every", "severity": "low", "suppress": "5m", "group_by": ["target"], "match": {"field": "action", "suffix": ".delete"}},
      {"id": "thr", "severity": "low", "kind": "threshold", "window": "30m", "count": 3, "group_by": ["target"], "match": {"field": "outcome", "equals": "failure"}},
      {"id": "dist", "severity": "low", "kind": "distinct", "window": "30m", "count": 3, "field": "target", "match": {"field": "outcome", "equals": "failure"}},
      {"id": "seq", "severity": "low", "kind": "sequence", "window": "20m", "group_by": ["target"], "steps": [{"field": "action", "equals": "u.create"}, {"field": "action", "equals": "u.delete"}]},
      {"id": "abs", "severity": "low", "kind": "absence", "window": "15m", "group_by": ["target"], "match": {"field": "action", "equals": "backup"}},
      {"id": "new", "severity": "low", "kind": "new-value", "field": "ip", "learn": "10m", "group_by": ["target"], "match": {"all": []}}
    ]}
    """

    static func events() -> [String] {
        let actions = ["u.create", "u.delete", "backup", "x.update"]
        return (0..<400).map { i in
            let t = i * 37
            let time = String(format: "2026-03-01T%02d:%02d:%02dZ", 10 + t / 3600, t / 60 % 60, t % 60)
            let outcome = i % 3 == 0 ? "failure" : "success"
            let action = (200..<300).contains(i) && actions[i * 7 % 4] == "backup" ? "x.update" : actions[i * 7 % 4]
            return #"{"id": "e\#(i)", "eventTime": "\#(time)", "action": "\#(action)", "outcome": "\#(outcome)", "target": "t\#(i % 5)", "ip": "10.0.0.\#(i * 13 % 11)"}"#
        }
    }

    func run(_ set: CompiledRuleSet, _ engine: Engine, _ lines: ArraySlice<String>, from offset: Int) -> [Alert] {
        let parser = set.makeParser()
        var alerts: [Alert] = []
        for (i, line) in lines.enumerated() {
            #expect(parser.parse(Array(line.utf8)) == .event)
            let time = parser.value(at: set.schema.eventTimeSlot).jsonValue?.stringValue.flatMap { EventTime.parse($0) }!
            engine.process(parser, context: EventContext(time: time!, source: "s", line: offset + i + 1, sequence: UInt64(offset + i)),
                           movesWatermark: true, into: &alerts)
        }
        return alerts
    }

    @Test(arguments: [1, 57, 200, 399])
    func resumesExactly(stopAt: Int) throws {
        let node = try JSONDocumentParser.parse(Array(Self.rules.utf8), file: "r.json")
        let set = CompiledRuleSet(RuleLoader.decodeFile(node).0)
        let lines = Self.events()
        let whole = run(set, Engine(ruleSet: set), lines[...], from: 0)

        let first = Engine(ruleSet: set)
        var resumed = run(set, first, lines[..<stopAt], from: 0)
        let saved = try JSONEncoder().encode(try first.snapshot())
        let second = Engine(ruleSet: set)
        #expect(try second.restore(try JSONDecoder().decode(EngineSnapshot.self, from: saved)).isEmpty)
        resumed += run(set, second, lines[stopAt...], from: stopAt)

        #expect(Set(whole.map(\.rule)).count == 6, "\(Set(whole.map(\.rule)).sorted())")
        #expect(resumed == whole)
        #expect(second.alertsSent == whole.count)
    }

    @Test func changedRulesStartEmpty() throws {
        let node = try JSONDocumentParser.parse(Array(Self.rules.utf8), file: "r.json")
        let set = CompiledRuleSet(RuleLoader.decodeFile(node).0)
        let engine = Engine(ruleSet: set)
        _ = run(set, engine, Self.events()[..<100], from: 0)
        var snapshot = try engine.snapshot()
        snapshot.rules[1].fingerprint = "changed"
        #expect(try Engine(ruleSet: set).restore(snapshot) == ["thr"])
        snapshot.version = 99
        #expect(throws: SnapshotError.self) { try Engine(ruleSet: set).restore(snapshot) }
    }
}
