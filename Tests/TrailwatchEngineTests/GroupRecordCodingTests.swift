import Foundation
import Testing
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules
import TrailwatchTestSupport
@testable import TrailwatchEngine

/// The daemon's per-batch group records: what `takeChanges` writes, `restore` must read back exactly.
struct GroupRecordCodingTests {
    /// A stand-in for the state store's tables, applied the way the store applies a commit.
    struct Store {
        var firstSeen: [String: Int64?] = [:]
        var fingerprints: [String: String] = [:]
        var groups: [String: [[UInt8]: Data]] = [:]

        mutating func apply(_ changes: EngineChanges) {
            for rule in changes.rules {
                firstSeen[rule.rule] = rule.firstSeen
                fingerprints[rule.rule] = rule.fingerprint
                for g in rule.upserts { groups[rule.rule, default: [:]][g.key] = g.state }
                for key in rule.deletions { groups[rule.rule]?[key] = nil }
            }
        }

        var saved: [SavedRuleState] {
            fingerprints.map { rule, fingerprint in
                SavedRuleState(rule: rule, fingerprint: fingerprint, firstSeen: firstSeen[rule] ?? nil,
                               groups: (groups[rule] ?? [:]).map { GroupRecord(key: $0.key, state: $0.value) })
            }
        }
    }

    static func ruleSet() throws -> CompiledRuleSet {
        let node = try JSONDocumentParser.parse(Array(MixedKindsFixture.rules.utf8), file: "r.json")
        return CompiledRuleSet(RuleLoader.decodeFile(node).0)
    }

    /// Batches of 13 events, each committed as records; a restart after any of them resumes exactly.
    @Test(arguments: [13, 104, 208, 390])
    func recordsResumeExactly(stopAt: Int) throws {
        let set = try Self.ruleSet()
        let lines = MixedKindsFixture.events()
        let whole = run(set, Engine(ruleSet: set), lines[...], from: 0)

        let first = Engine(ruleSet: set)
        first.trackChanges()
        var store = Store()
        var resumed: [Alert] = []
        for start in stride(from: 0, to: stopAt, by: 13) {
            resumed += run(set, first, lines[start..<min(stopAt, start + 13)], from: start)
            store.apply(try first.takeChanges())
        }
        let recordBytes = store.groups.values.flatMap(\.values)
        #expect(!recordBytes.isEmpty)
        #expect(recordBytes.allSatisfy { $0.first == GroupRecordFormat.binaryVersion })

        let second = Engine(ruleSet: set)
        let saved = SavedEngineState(watermark: first.watermark, alertsSent: first.alertsSent,
                                     alertsSuppressed: first.alertsSuppressed)
        #expect(try second.restore(engine: saved, rules: store.saved).isEmpty)
        resumed += run(set, second, lines[stopAt...], from: stopAt)

        #expect(Set(whole.map(\.rule)) == MixedKindsFixture.ruleIDs, "every kind fires")
        #expect(resumed == whole)
    }

    /// State saved by earlier versions (one JSON object per group) is still restored.
    @Test func legacyJSONRecordsAreRead() throws {
        let set = try Self.ruleSet()
        let engine = Engine(ruleSet: set)
        let key = GroupKey(bytes: Array("s\u{3}\0\0\0abc".utf8))
        let legacy = """
            {"key":"\(Data(key.bytes).base64EncodedString())","members":"{\\"target\\":\\"abc\\"}",\
            "suppression":{"lastSent":5,"suppressed":2},"state":{"kept":[{"time":7,"sequence":3,"id":"e1"}]}}
            """
        let thr = try #require(set.rules.first { $0.definition.kind == .threshold })
        let saved = SavedRuleState(rule: thr.id, fingerprint: thr.definition.fingerprint, firstSeen: nil,
                                   groups: [GroupRecord(key: key.bytes, state: Data(legacy.utf8))])
        try engine.restore(engine: SavedEngineState(watermark: nil, alertsSent: 0, alertsSuppressed: 0), rules: [saved])

        let runtime = try #require(engine.runtimes.first { $0.rule.id == thr.id } as? ThresholdRule)
        let entry = try #require(runtime.groups[key])
        #expect(runtime.members(of: entry, key: key) == [JSONMember("target", .string("abc"))])
        #expect(entry.storedMembers == nil, "string members are read back from the key")
        #expect(entry.suppression.lastSent == 5 && entry.suppression.suppressed == 2)
        #expect(entry.state.kept.all == [EventRef(time: 7, sequence: 3, id: "e1")])
    }

    /// Every state round-trips, and damaged bytes are an error, never a wrong state.
    @Test func recordsRoundTripAndDamageIsAnError() throws {
        let refs = [EventRef(time: -5, sequence: 0, id: ""), EventRef(time: 1_700_000_000_000, sequence: 1 << 40, id: "é-1")]
        let suppression = Suppression(lastSent: nil, suppressed: 300)
        let threshold = GroupRecordCodec.encode(members: "{}", suppression: suppression, state: ThresholdState(kept: refs))
        let decoded = try GroupRecordCodec<ThresholdState>.decode(threshold)
        #expect(decoded.state.kept.all == refs && decoded.members == "{}" && decoded.suppression.suppressed == 300)
        #expect(decoded.suppression.lastSent == nil)

        let absence = AbsenceState(last: refs[1], fired: true, sentAlert: "a1")
        let a = try GroupRecordCodec<AbsenceState>.decode(
            GroupRecordCodec.encode(members: "{\"x\":1}", suppression: Suppression(lastSent: 9), state: absence))
        #expect(a.state.last == refs[1] && a.state.fired && a.state.sentAlert == "a1" && a.suppression.lastSent == 9)

        let values: Set<GroupKey> = [GroupKey(bytes: [1, 2]), GroupKey(bytes: [])]
        #expect(try GroupRecordCodec<Set<GroupKey>>.decode(
            GroupRecordCodec.encode(members: "{}", suppression: Suppression(), state: values)).state == values)
        let distinct = DistinctState(values: [GroupKey(bytes: [7]): refs[0]])
        #expect(try GroupRecordCodec<DistinctState>.decode(
            GroupRecordCodec.encode(members: "{}", suppression: Suppression(), state: distinct)).state.values == distinct.values)
        let partial: SequencePartial? = SequencePartial(start: 3, events: refs)
        let p = try GroupRecordCodec<SequencePartial?>.decode(
            GroupRecordCodec.encode(members: "{}", suppression: Suppression(), state: partial))
        #expect(p.state?.start == 3 && p.state?.events == refs)

        for cut in 0..<threshold.count {
            #expect(throws: SnapshotError.self) { try GroupRecordCodec<ThresholdState>.decode(Array(threshold[..<cut])) }
        }
        #expect(throws: SnapshotError.self) { try GroupRecordCodec<ThresholdState>.decode(threshold + [0]) }
        var wrongVersion = threshold
        wrongVersion[0] = 9
        #expect(throws: SnapshotError.self) { try GroupRecordCodec<ThresholdState>.decode(wrongVersion) }
    }

    /// Groups keep no members when the key gives them back; alerts show the first event's values.
    @Test func membersReadBackFromKeysMatchTheEvent() throws {
        let rules = """
            {"id": "g", "severity": "low", "kind": "threshold", "window": "1h", "count": 2,
             "group_by": ["s", "b", "z", "missing", "n"], "match": {"all": []}}
            """
        let extra = #""s": "caf\u00e9 \"q\"", "b": false, "z": null, "n": "#
        let alerts = try evaluate(rules, [event("1", "10:00:00", "a", extra: extra + "1.50"),
                                          event("2", "10:00:01", "a", extra: extra + "1.5")])
        #expect(alerts.count == 1)
        #expect(alerts.first.map { JSONValue.object($0.group).description }
            == #"{"s":"café \"q\"","b":false,"z":null,"missing":null,"n":1.5}"#)
    }
}
