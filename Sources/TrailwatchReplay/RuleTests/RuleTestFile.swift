import Foundation
import TrailwatchCore
import TrailwatchRules

/// A `*.test.json` file (docs/rule-tests.md): rules to load, and tests of events against expected alerts.
public struct RuleTestFile: Sendable {
    public struct Test: Sendable {
        public var name: String
        public var location: SourceLocation
        /// Ids of the rules that run; nil runs every loaded rule.
        public var rules: [String]?
        public var rulesLocation: SourceLocation?
        public var events: Events
        public var until: Int64?
        public var alerts: [ExpectedAlert]
    }

    public enum Events: Sendable {
        /// Each event's text exactly as the test file writes it (it may span lines).
        case inline([[UInt8]])
        /// A JSON-lines file: the path as written (names events without id) and the path to open.
        case file(written: String, resolved: String)
    }

    /// The members an expected alert gives; only these are compared.
    public struct ExpectedAlert: Sendable {
        public var members: [JSONMember]
        public var location: SourceLocation
    }

    public var path: String
    /// Rule files or directories, resolved against the test file's folder.
    public var ruleFiles: [String]
    public var tests: [Test]

    static let fileMembers: Set<String> = ["rule_files", "tests"]
    static let testMembers: Set<String> = ["name", "rules", "events", "events_file", "until", "alerts"]
    static let alertMembers: Set<String> = ["id", "rule", "severity", "time", "group", "count", "events", "summary",
                                            "labels", "suppressed"]

    /// The test files `paths` name: each file itself, and every `*.test.json` below each directory.
    public static func files(in paths: [String]) throws(Diagnostic) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw Diagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot read tests: no such file or directory")
            }
            files += isDirectory.boolValue ? RuleLoader.filesBelow(path) { $0.hasSuffix(".test.json") } : [path]
        }
        return files
    }

    /// Reads and validates a test file, reporting every problem with its location.
    public static func load(_ path: String) throws(Diagnostics) -> RuleTestFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Diagnostics([Diagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot read test file")])
        }
        let bytes = [UInt8](data)
        let root: JSONNode
        do { root = try JSONDocumentParser.parse(bytes, file: path) } catch { throw Diagnostics([error]) }
        var decoder = Decoder(bytes: bytes, folder: (path as NSString).deletingLastPathComponent)
        let file = decoder.file(root, path: path)
        guard let file, decoder.problems.isEmpty else { throw Diagnostics(decoder.problems) }
        return file
    }

    /// Decodes the parsed file, one function per level, collecting every problem.
    private struct Decoder {
        let bytes: [UInt8]
        let folder: String
        var problems: [Diagnostic] = []

        init(bytes: [UInt8], folder: String) {
            self.bytes = bytes
            self.folder = folder
        }

        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || folder.isEmpty ? p : (folder as NSString).appendingPathComponent(p)
        }

        mutating func report(_ location: SourceLocation, _ message: String) {
            problems.append(Diagnostic(location, message))
        }

        mutating func rejectUnknown(_ members: [JSONNode.Member], _ known: Set<String>, _ what: String) {
            for m in members where !known.contains(m.key) {
                report(m.keyLocation, "\"\(m.key)\": unknown member of \(what) (known: \(known.sorted().joined(separator: ", ")))")
            }
        }

        mutating func strings(_ node: JSONNode, _ member: String) -> [String]? {
            guard let items = node.items, items.allSatisfy({ $0.string != nil }) else {
                report(node.location, "\"\(member)\": expected an array of strings")
                return nil
            }
            return items.map { $0.string! }
        }

        mutating func file(_ root: JSONNode, path: String) -> RuleTestFile? {
            guard let members = root.members else {
                report(root.location, "expected a test file object {\"rule_files\": [...], \"tests\": [...]}")
                return nil
            }
            rejectUnknown(members, fileMembers, "a test file")
            let byName = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            var ruleFiles = [folder.isEmpty ? "." : folder]
            if let node = byName["rule_files"] { ruleFiles = (strings(node, "rule_files") ?? []).map(resolve) }
            guard let testsNode = byName["tests"] else {
                report(root.location, "\"tests\": required: an array of tests")
                return nil
            }
            guard let items = testsNode.items else {
                report(testsNode.location, "\"tests\": expected an array of tests")
                return nil
            }
            return RuleTestFile(path: path, ruleFiles: ruleFiles, tests: items.compactMap { test($0) })
        }

        mutating func test(_ item: JSONNode) -> Test? {
            guard let members = item.members else {
                report(item.location, "expected a test object")
                return nil
            }
            rejectUnknown(members, testMembers, "a test")
            let byName = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let name = byName["name"]?.string
            if name == nil { report(item.location, "\"name\": required: a string naming the test") }
            let rules = byName["rules"].flatMap { strings($0, "rules") }
            if let r = byName["rules"], rules?.isEmpty == true {
                report(r.location, "\"rules\": name at least one rule (leave it out to run them all)")
            }
            let events = self.events(byName["events"], byName["events_file"], test: item)
            var until: Int64? = nil
            if let u = byName["until"] {
                until = u.string.flatMap { EventTime.parse($0) }
                if until == nil { report(u.location, "\"until\": expected an RFC 3339 time like \"2026-03-01T10:00:00Z\"") }
            }
            var alerts: [ExpectedAlert] = []
            if let a = byName["alerts"] {
                if let list = a.items {
                    alerts = list.compactMap { expectedAlert($0) }
                } else {
                    report(a.location, "\"alerts\": expected an array of expected alerts")
                }
            } else {
                report(item.location, "\"alerts\": required: the alerts expected, [] for none")
            }
            guard let name, let events else { return nil }
            return Test(name: name, location: item.location, rules: rules, rulesLocation: byName["rules"]?.location,
                        events: events, until: until, alerts: alerts)
        }

        mutating func events(_ inline: JSONNode?, _ file: JSONNode?, test: JSONNode) -> Events? {
            switch (inline, file) {
            case (let e?, nil):
                guard let list = e.items, list.allSatisfy({ $0.members != nil }) else {
                    report(e.location, "\"events\": expected an array of event objects")
                    return nil
                }
                return .inline(list.map { Array(bytes[$0.span]) })
            case (nil, let f?):
                guard let written = f.string else {
                    report(f.location, "\"events_file\": expected a path string")
                    return nil
                }
                guard FileManager.default.isReadableFile(atPath: resolve(written)) else {
                    report(f.location, "\"events_file\": cannot read \(resolve(written))")
                    return nil
                }
                return .file(written: written, resolved: resolve(written))
            case (nil, nil):
                report(test.location, "\"events\": required: give \"events\" or \"events_file\"")
            case (_?, let f?):
                report(f.location, "\"events_file\": give \"events\" or \"events_file\", not both")
            }
            return nil
        }

        mutating func expectedAlert(_ node: JSONNode) -> ExpectedAlert? {
            guard let members = node.members else {
                report(node.location, "expected an alert object")
                return nil
            }
            rejectUnknown(members, alertMembers, "an expected alert")
            if let t = members.first(where: { $0.key == "time" })?.value, t.string.flatMap({ EventTime.parse($0) }) == nil {
                report(t.location, "\"time\": expected an RFC 3339 time")
            }
            return ExpectedAlert(members: members.filter { alertMembers.contains($0.key) }.map { JSONMember($0.key, $0.value.value) },
                                 location: node.location)
        }
    }
}
