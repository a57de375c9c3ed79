import Foundation
import Testing
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules
import TrailwatchTestSupport
@testable import TrailwatchEngine

/// Saved state must resume exactly: stopping anywhere, saving, and loading into a new engine gives the
/// alerts of one uninterrupted run.
struct SnapshotTests {
    static let rules = MixedKindsFixture.rules
    static func events() -> [String] { MixedKindsFixture.events() }

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

        #expect(Set(whole.map(\.rule)) == MixedKindsFixture.ruleIDs, "every kind fires")
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
