import Foundation
import Testing

/// The default rule pack in rules/: valid, every rule tested, and alerting on the built-in sample.
struct RulePackTests {
    @Test func rulesAreValid() throws {
        let r = try CLI.run(["check", "--rules", "rules"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func everyRuleHasPassingTests() throws {
        let r = try CLI.run(["test", "--require-all-rules", "rules"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stdout.contains("rules no test names"), "\(r.stdout)")
        #expect(r.stdout.contains(" 0 failed"))
    }

    @Test func sampleReplayAlerts() throws {
        let r = try CLI.run(["replay", "--rules", "rules", "samples/activity-tracker.jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let rules = Set(r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["rule"] as? String
        })
        #expect(rules.count >= 8, "rules that fired on the sample: \(rules.sorted())")
        #expect(r.stderr.contains(" 0 rejected lines"))
    }
}
