import Testing
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules
@testable import TrailwatchEngine

/// Runs rules (JSON) over events (JSON lines) the way replay does, with time from `eventTime`.
func evaluate(_ rules: String, _ events: [String], until: String? = nil, indexed: Bool = true) throws -> [Alert] {
    let node = try JSONDocumentParser.parse(Array(rules.utf8), file: "rules.json")
    let (definitions, problems) = RuleLoader.decodeFile(node)
    try #require(problems.isEmpty, "\(problems)")
    let set = CompiledRuleSet(definitions)
    let engine = Engine(ruleSet: set, only: nil, indexed: indexed)
    let parser = set.makeParser()
    var alerts: [Alert] = []
    var last: Int64 = 0
    for (i, line) in events.enumerated() {
        guard parser.parse(Array(line.utf8)) == .event else { continue }
        let time = parser.value(at: set.schema.eventTimeSlot).jsonValue?.stringValue.flatMap { EventTime.parse($0) }
        if let time { last = time }
        engine.process(parser, context: EventContext(time: last, source: "s", line: i + 1, sequence: UInt64(i)),
                       movesWatermark: time != nil, into: &alerts)
    }
    if let until, let t = EventTime.parse(until) { engine.advanceWatermark(to: t, into: &alerts) }
    return alerts
}

func event(_ id: String, _ time: String, _ action: String = "db.pw.update", extra: String = "") -> String {
    #"{"id": "\#(id)", "eventTime": "2026-03-01T\#(time)Z", "action": "\#(action)""# + (extra.isEmpty ? "" : ", " + extra) + "}"
}

struct EngineKindTests {
    @Test func thresholdFiresOncePerBurstAndClears() throws {
        let rules = #"{"id": "t", "severity": "high", "kind": "threshold", "window": "10m", "count": 3, "group_by": ["target.id"], "match": {"field": "action", "equals": "db.pw.update"}, "summary": "{{count}} on {{group.target.id}}"}"#
        let a = #""target": {"id": "A"}"#, b = #""target": {"id": "B"}"#
        let alerts = try evaluate(rules, [
            event("1", "10:00:00", extra: a), event("2", "10:01:00", extra: b), event("3", "10:02:00", extra: a),
            event("4", "10:03:00", extra: a), event("5", "10:04:00", extra: a), event("6", "10:30:00", extra: b),
        ])
        #expect(alerts.map(\.events) == [["1", "3", "4"]])
        #expect(alerts.first?.summary == "3 on A")
        #expect(alerts.first?.group == [JSONMember("target.id", .string("A"))])
        #expect(alerts.first.map { EventTime.format($0.time) } == "2026-03-01T10:03:00.000Z")
    }

    @Test func absenceFiresOnlyWhenTheWatermarkPassesTheDeadline() throws {
        let rules = #"{"id": "backup", "severity": "medium", "kind": "absence", "window": "1h", "group_by": ["target.id"], "match": {"field": "action", "equals": "backup"}}"#
        let alerts = try evaluate(rules, [
            event("b1", "10:00:00", "backup", extra: #""target": {"id": "A"}"#),
            event("x1", "11:00:00", "other"),  // exactly the deadline: not yet due
            event("x2", "11:00:00.001", "other"),  // strictly after: due, fires at 11:00
            event("b2", "11:30:00", "backup", extra: #""target": {"id": "A"}"#),
        ], until: "2026-03-01T13:00:00Z")
        #expect(alerts.map { EventTime.format($0.time) } == ["2026-03-01T11:00:00.000Z", "2026-03-01T12:30:00.000Z"])
        #expect(alerts.map(\.count) == [0, 0])
        #expect(alerts.map(\.events) == [["b1"], ["b2"]])
    }

    @Test func sequenceNeedsStepsInOrderWithinTheWindow() throws {
        let rules = #"{"id": "s", "severity": "high", "kind": "sequence", "window": "1h", "group_by": ["target.id"], "steps": [{"field": "action", "equals": "user.create"}, {"field": "action", "equals": "user.delete"}]}"#
        let t = #""target": {"id": "D"}"#
        let alerts = try evaluate(rules, [
            event("c1", "10:00:00", "user.delete", extra: t),  // a second step first: nothing
            event("c2", "10:10:00", "user.create", extra: t),
            event("d1", "11:10:00", "user.delete", extra: t),  // exactly the window after c2: inside
            event("c3", "12:00:00", "user.create", extra: t),
            event("d2", "13:00:01", "user.delete", extra: t),  // too late
        ])
        #expect(alerts.map(\.events) == [["c2", "d1"]])
        #expect(alerts.first?.count == 2)
    }

    @Test func suppressionCountsWhatItHeldBack() throws {
        let rules = #"{"id": "e", "severity": "low", "suppress": "10m", "match": {"field": "action", "equals": "db.pw.update"}}"#
        let alerts = try evaluate(rules, (0..<5).map { event("\($0)", "10:0\($0 * 2):00") } + [event("late", "10:20:00")])
        #expect(alerts.map(\.events) == [["0"], ["late"]])
        #expect(alerts.map(\.suppressed) == [0, 4])
    }

    @Test func newValueLearnsFirst() throws {
        let rules = #"{"id": "n", "severity": "low", "kind": "new-value", "field": "ip", "learn": "1h", "group_by": ["user"], "match": {"field": "action", "equals": "login"}}"#
        let alerts = try evaluate(rules, [
            event("1", "10:00:00", "login", extra: #""user": "u", "ip": "1.1.1.1""#),
            event("2", "10:30:00", "login", extra: #""user": "u", "ip": "2.2.2.2""#),  // learning
            event("3", "11:00:00", "login", extra: #""user": "u", "ip": "2.2.2.2""#),  // known
            event("4", "11:00:00", "login", extra: #""user": "u", "ip": "3.3.3.3""#),  // new
            event("5", "11:05:00", "login", extra: #""user": "v", "ip": "3.3.3.3""#),  // new for v
        ])
        #expect(alerts.map(\.events) == [["4"], ["5"]])
    }

    /// Group and value keys are built in storage reused from event to event: the keys a rule keeps (its
    /// groups, the values a group has seen) must keep their bytes when the next event's key is written.
    @Test func keptKeysSurviveTheNextEventsKeys() throws {
        let rules = #"{"id": "n", "severity": "low", "kind": "new-value", "field": "ip", "learn": "0s", "group_by": ["user"], "match": {"field": "action", "equals": "login"}}"#
        let alerts = try evaluate(rules, [
            event("1", "10:00:00", "login", extra: #""user": "u1", "ip": "10.0.0.1""#),
            event("2", "10:00:01", "login", extra: #""user": "u2", "ip": "10.0.0.1""#),
            event("3", "10:00:02", "login", extra: #""user": "u1", "ip": "10.0.0.22""#),
            event("4", "10:00:03", "login", extra: #""user": "u1", "ip": "10.0.0.1""#),
            event("5", "10:00:04", "login", extra: #""user": "u2", "ip": "10.0.0.1""#),
            event("6", "10:00:05", "login", extra: #""user": "u1", "ip": "10.0.0.22""#),
            event("7", "10:00:06", "login", extra: #""user": "u22", "ip": "10.0.0.1""#),
        ])
        #expect(alerts.map(\.events) == [["1"], ["2"], ["3"], ["7"]])
        #expect(alerts.map { $0.group.first?.value } == [.string("u1"), .string("u2"), .string("u1"), .string("u22")])
    }

    @Test func distinctCountsDifferentValues() throws {
        let rules = #"{"id": "d", "severity": "high", "kind": "distinct", "field": "target.id", "count": 3, "window": "15m", "group_by": ["initiator.id"], "match": {"field": "outcome", "equals": "failure"}}"#
        let i = #""outcome": "failure", "initiator": {"id": "I"}, "target": {"id": "#
        let alerts = try evaluate(rules, [
            event("1", "10:00:00", "x", extra: i + #""a"}"#), event("2", "10:01:00", "x", extra: i + #""a"}"#),
            event("3", "10:02:00", "x", extra: i + #""b"}"#), event("4", "10:20:00", "x", extra: i + #""c"}"#),
            event("5", "10:21:00", "x", extra: i + #""d"}"#), event("6", "10:22:00", "x", extra: i + #""e"}"#),
        ])
        #expect(alerts.map(\.events) == [["4", "5", "6"]])
        #expect(alerts.first?.count == 3)
    }

    @Test func alertIDsAreStable() throws {
        let rules = #"{"id": "e", "severity": "low", "group_by": ["k"], "match": {"all": []}}"#
        let events = [event("1", "10:00:00", "a", extra: #""k": 1"#), event("2", "10:00:00", "a", extra: #""k": 1.0"#), event("3", "10:00:01", "a", extra: #""k": 1"#)]
        let first = try evaluate(rules, events), second = try evaluate(rules, events)
        #expect(first.map(\.id) == second.map(\.id))
        #expect(first[0].id == first[1].id)  // same rule, group (1 == 1.0) and time
        #expect(first[0].id != first[2].id)
        #expect(first[0].id.count == 24)
    }
}

/// The action index must never change what fires: compare with every rule seeing every event, over the
/// realistic sample (194 actions, both event shapes of the quirks real streams carry).
struct RuleIndexTests {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/activity-tracker.jsonl")

    @Test func indexedAndUnindexedAgree() throws {
        let rules = """
        {"rules": [
          {"id": "eq", "severity": "low", "match": {"field": "action", "equals": "databases-for-postgresql.user-password.update"}},
          {"id": "in-any", "severity": "low", "match": {"any": [{"field": "action", "in": ["kms.secrets.delete", "iam-am.policy.delete"]}, {"field": "action", "suffix": ".resources.scale"}]}},
          {"id": "glob-all", "severity": "low", "group_by": ["outcome"], "match": {"all": [{"field": "action", "glob": "databases-for-*"}, {"field": "outcome", "equals": "failure"}]}},
          {"id": "not-action", "severity": "low", "suppress": "1h", "match": {"not": {"field": "action", "prefix": "databases"}}},
          {"id": "no-action", "severity": "low", "kind": "threshold", "window": "5m", "count": 2, "match": {"field": "outcome", "equals": "failure"}},
          {"id": "mixed-any", "severity": "low", "match": {"any": [{"field": "action", "equals": "kms.secrets.delete"}, {"field": "reason.reasonCode", "equals": 403}]}},
          {"id": "ic", "severity": "low", "match": {"field": "action", "equals": "KMS.SECRETS.DELETE", "ignore_case": true}},
          {"id": "seq", "severity": "low", "kind": "sequence", "window": "12h", "group_by": ["target.id"], "match": {"field": "action", "glob": "databases-for-*"}, "steps": [{"field": "action", "suffix": ".deployment-user.create"}, {"field": "action", "suffix": ".deployment-user.update"}]},
          {"id": "abs", "severity": "low", "kind": "absence", "window": "20h", "group_by": ["target.id"], "match": {"field": "action", "suffix": "backup-scheduled.create"}}
        ]}
        """
        let events = try String(contentsOf: Self.sample, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(events.count == 2500)
        let indexed = try evaluate(rules, events, indexed: true)
        let plain = try evaluate(rules, events, indexed: false)
        #expect(Set(indexed.map(\.rule)).count == 9, "\(Set(indexed.map(\.rule)).sorted())")
        #expect(indexed == plain)
    }
}

import Foundation
