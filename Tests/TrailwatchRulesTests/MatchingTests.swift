import Foundation
import Testing
import TrailwatchCore
import TrailwatchEvents
@testable import TrailwatchRules

/// Operators evaluated the way the engine does: a rule file's condition compiled, an event line parsed.
struct MatchingTests {
    /// A one-rule set for `condition`, and a parser holding the event `line`.
    func prepare(_ condition: String, _ line: String) throws -> (set: CompiledRuleSet, parser: EventParser) {
        let rule = #"{"id": "t", "severity": "low", "match": "# + condition + "}"
        let node = try JSONDocumentParser.parse(Array(rule.utf8), file: "t.json")
        let (rules, problems) = RuleLoader.decodeFile(node)
        try #require(problems.isEmpty, "\(problems)")
        let set = CompiledRuleSet(rules)
        let parser = set.makeParser()
        try #require(parser.parse(Array(line.utf8)) == .event)
        return (set, parser)
    }

    /// Whether `condition` (JSON) holds for the event `line` (JSON).
    func holds(_ condition: String, _ line: String) throws -> Bool {
        let (set, parser) = try prepare(condition, line)
        return set.rules[0].match!.evaluate(parser.slots, TestResults(table: set.tests))
    }

    @Test func numericStringsEqualNumbers() throws {
        #expect(try holds(#"{"field": "c", "equals": 403}"#, #"{"c": "403"}"#))
        #expect(try holds(#"{"field": "c", "equals": 403}"#, #"{"c": 4.03e2}"#))
        #expect(try !holds(#"{"field": "c", "equals": "403"}"#, #"{"c": 403}"#))
        #expect(try !holds(#"{"field": "c", "equals": 403}"#, #"{"c": " 403"}"#))
        #expect(try holds(#"{"field": "c", "gte": 400}"#, #"{"c": "4e2"}"#))
        #expect(try !holds(#"{"field": "c", "lt": 1}"#, #"{"c": false}"#))
        #expect(try !holds(#"{"field": "c", "equals": 0}"#, #"{"c": false}"#))
        #expect(try holds(#"{"field": "c", "equals": null}"#, #"{"c": null}"#))
        #expect(try !holds(#"{"field": "c", "equals": null}"#, #"{}"#))
    }

    @Test func ignoreCaseIncludingNonASCII() throws {
        #expect(try holds(#"{"field": "n", "equals": "ALICE", "ignore_case": true}"#, #"{"n": "alice"}"#))
        #expect(try holds(#"{"field": "n", "prefix": "BÜCHER", "ignore_case": true}"#, #"{"n": "bücher-db"}"#))
        #expect(try holds(#"{"field": "n", "contains": "DB", "ignore_case": true}"#, #"{"n": "bücher-db"}"#))
        #expect(try holds(#"{"field": "n", "glob": "*.USER-*", "ignore_case": true}"#, #"{"n": "x.user-password.update"}"#))
        #expect(try holds(#"{"field": "n", "regex": "^JOSÉ", "ignore_case": true}"#, #"{"n": "josé"}"#))
        #expect(try !holds(#"{"field": "n", "suffix": "DB"}"#, #"{"n": "x-db"}"#))
    }

    @Test func globsMatchTheWholeString() throws {
        let cases: [(String, String, Bool)] = [
            ("*.user-password.update", "databases-for-redis.user-password.update", true),
            ("databases-for-*", "databases-for-redis.backup.restore", true),
            ("*password*", "x.user-password.update", true),
            ("a?c", "abc", true), ("a?c", "ac", false), ("a?c", "aéc", true),
            ("is.*.delete", "is.load-balancer.load-balancer.delete", true),
            ("[a]", "[a]", true), ("[a]", "a", false), ("a\\b", "a\\b", true),
            ("*", "", true), ("x*y*z", "xyz", true), ("x*y*z", "xyzq", false),
        ]
        for (pattern, value, expected) in cases {
            let condition = #"{"field": "v", "glob": "# + JSONValue.string(pattern).description + "}"
            let line = #"{"v": "# + JSONValue.string(value).description + "}"
            #expect(try holds(condition, line) == expected, "glob \(pattern) on \(value)")
        }
    }

    @Test func cidrV4AndV6() throws {
        #expect(try holds(#"{"field": "a", "cidr": "10.1.2.3/8"}"#, #"{"a": "10.255.0.1"}"#))
        #expect(try holds(#"{"field": "a", "cidr": ["192.0.2.0/24", "2001:db8::/32"]}"#, #"{"a": "2001:db8:0:1::5"}"#))
        #expect(try !holds(#"{"field": "a", "cidr": "0.0.0.0/0"}"#, #"{"a": "::ffff:10.0.0.1"}"#))
        #expect(try holds(#"{"field": "a", "cidr": "::ffff:0:0/96"}"#, #"{"a": "::ffff:10.0.0.1"}"#))
        #expect(try !holds(#"{"field": "a", "cidr": "0.0.0.0/0"}"#, #"{"a": "10.0.0.1:443"}"#))
        #expect(try !holds(#"{"field": "a", "cidr": "0.0.0.0/0"}"#, #"{"a": "010.0.0.1"}"#))
        #expect(try holds(#"{"field": "a", "cidr": "203.0.113.7"}"#, #"{"a": "203.0.113.7"}"#))
        #expect(try !holds(#"{"field": "a", "cidr": "203.0.113.7"}"#, #"{"a": "203.0.113.8"}"#))
    }

    @Test func missingValuesOnlySatisfyExistsFalse() throws {
        #expect(try holds(#"{"field": "x", "exists": false}"#, #"{}"#))
        #expect(try holds(#"{"field": "x", "exists": true}"#, #"{"x": null}"#))
        #expect(try holds(#"{"not": {"field": "x", "equals": "a"}}"#, #"{}"#))
        #expect(try holds(#"{"all": []}"#, #"{}"#))
        #expect(try !holds(#"{"any": []}"#, #"{}"#))
    }

    /// RE2 cannot be driven into catastrophic backtracking: this takes seconds or more with a backtracking engine.
    /// Only the match is timed (parsing 50 kB in a debug build under a parallel test run is not), and the
    /// bound is loose: backtracking over 50,000 characters would take longer than the universe has had.
    @Test func regexIsLinearTime() throws {
        let value = String(repeating: "a", count: 50_000) + "!"
        let (set, parser) = try prepare(#"{"field": "v", "regex": "^(a+)+$"}"#, #"{"v": "\#(value)"}"#)
        let start = ContinuousClock.now
        #expect(!set.rules[0].match!.evaluate(parser.slots, TestResults(table: set.tests)))
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func networksParse() {
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("2001:db8::/129") == nil)
        #expect(IPNetwork("2001:db8::1::2") == nil)
        #expect(IPNetwork("fe80::1%eth0") == nil)
        #expect(IPNetwork("::/0")?.prefixLength == 0)
        #expect(IPAddress(Array("::".utf8)) != nil)
        #expect(IPAddress(Array("1::".utf8)) != nil)
        #expect(IPAddress(Array("1:2:3:4:5:6:7:8:9".utf8)) == nil)
    }
}
