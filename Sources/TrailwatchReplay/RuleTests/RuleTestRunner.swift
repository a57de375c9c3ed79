#if canImport(Glibc)
import Glibc
#endif
import TrailwatchCore
import TrailwatchEngine
import TrailwatchRules

/// Runs rule tests: each test feeds its events to a fresh engine and compares the alerts produced.
public final class RuleTestRunner {
    /// The outcome of one test: passed when `differences` is empty.
    public struct Result: Sendable {
        public var file: String
        public var name: String
        public var differences: [String]
        public var passed: Bool { differences.isEmpty }
    }

    private var compiled: [[String]: CompiledRuleSet] = [:]
    /// When set, replaces every file's `rule_files`.
    private let ruleOverride: [String]?

    public init(rules: [String]? = nil) {
        ruleOverride = rules
    }

    /// Every rule id the tests of `files` have loaded so far (to find rules no test names).
    public private(set) var loadedRuleIDs: Set<String> = []
    /// Rule ids named by a test's `rules` (or all loaded ones when a test names none).
    public private(set) var testedRuleIDs: Set<String> = []

    /// Runs every test of `file`; throws when the file or its rules do not load.
    public func run(_ file: RuleTestFile) throws(Diagnostics) -> [Result] {
        let paths = ruleOverride ?? file.ruleFiles
        let ruleSet: CompiledRuleSet
        if let cached = compiled[paths] {
            ruleSet = cached
        } else {
            ruleSet = CompiledRuleSet(try RuleLoader.load(paths: paths))
            compiled[paths] = ruleSet
        }
        let known = Set(ruleSet.rules.map(\.id))
        let disabled = Set(ruleSet.rules.filter { !$0.definition.enabled }.map(\.id))
        loadedRuleIDs.formUnion(known.subtracting(disabled))
        var problems: [Diagnostic] = []
        for test in file.tests {
            for id in test.rules ?? [] where !known.contains(id) || disabled.contains(id) {
                let why = disabled.contains(id) ? "rule \"\(id)\" is disabled, so it can never fire"
                    : "no rule \"\(id)\" in \(paths.joined(separator: ", "))"
                problems.append(Diagnostic(test.rulesLocation ?? test.location, "\"rules\": \(why)"))
            }
        }
        if !problems.isEmpty { throw Diagnostics(problems) }
        return file.tests.map { test in
            testedRuleIDs.formUnion(test.rules ?? Array(known))
            return run(test, in: file, ruleSet: ruleSet)
        }
    }

    private func run(_ test: RuleTestFile.Test, in file: RuleTestFile, ruleSet: CompiledRuleSet) -> Result {
        let engine = Engine(ruleSet: ruleSet, only: test.rules.map(Set.init))
        let reader = EventStreamReader(engine: engine)
        var produced: [Alert] = []
        var differences: [String] = []
        let collect: (Alert) -> Void = { produced.append($0) }
        let rejected: (Rejection) -> Void = { differences.append("event rejected: \($0)") }
        do {
            switch test.events {
            case .inline(let lines):
                try reader.read(lines: lines, source: "events", onAlert: collect, onRejected: rejected)
            case .file(let written, let resolved):
                let fd = open(resolved, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    return Result(file: file.path, name: test.name, differences: ["cannot read events_file \(resolved): \(String(cString: strerror(errno)))"])
                }
                defer { close(fd) }
                try reader.read(source: written, fileDescriptor: fd, onAlert: collect, onRejected: rejected)
            }
            try reader.finish(until: test.until, onAlert: collect)
        } catch {
            differences.append("error while reading events: \(error)")
        }
        differences += Self.compare(expected: test.alerts, produced: produced)
        return Result(file: file.path, name: test.name, differences: differences)
    }

    /// Pairs expected and produced alerts in order; each difference is one readable line (or two).
    static func compare(expected: [RuleTestFile.ExpectedAlert], produced: [Alert]) -> [String] {
        var out: [String] = []
        for i in 0..<max(expected.count, produced.count) {
            let n = i + 1
            guard i < produced.count else {
                out.append("alert \(n): expected \(JSONValue.object(expected[i].members)), but only \(produced.count) alert\(produced.count == 1 ? " was" : "s were") produced")
                continue
            }
            let alert = produced[i].json
            guard i < expected.count else {
                out.append("alert \(n): unexpected \(alert)")
                continue
            }
            var mismatches: [String] = []
            for member in expected[i].members {
                let got = alert[member.key] ?? .null
                if !matches(member.key, expected: member.value, got: got) {
                    mismatches.append("\"\(member.key)\": expected \(member.value), got \(got)")
                }
            }
            if !mismatches.isEmpty {
                out.append("alert \(n): " + mismatches.joined(separator: "; "))
                out.append("         produced \(alert)")
            }
        }
        return out
    }

    static func matches(_ key: String, expected: JSONValue, got: JSONValue) -> Bool {
        if key == "time", let e = expected.stringValue.flatMap({ EventTime.parse($0) }),
           let g = got.stringValue.flatMap({ EventTime.parse($0) }) {
            return e == g
        }
        return expected == got
    }
}
