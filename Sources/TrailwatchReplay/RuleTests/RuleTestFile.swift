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
        let root: JSONNode
        let bytes = [UInt8](data)
        do { root = try JSONDocumentParser.parse(bytes, file: path) } catch { throw Diagnostics([error]) }
        var problems: [Diagnostic] = []
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || folder.isEmpty ? p : (folder as NSString).appendingPathComponent(p)
        }
        func unknown(_ members: [JSONNode.Member], _ known: Set<String>, _ what: String) {
            for m in members where !known.contains(m.key) {
                problems.append(Diagnostic(m.keyLocation, "\"\(m.key)\": unknown member of \(what) (known: \(known.sorted().joined(separator: ", ")))"))
            }
        }
        func strings(_ node: JSONNode, _ member: String) -> [String]? {
            guard let items = node.items, items.allSatisfy({ $0.string != nil }) else {
                problems.append(Diagnostic(node.location, "\"\(member)\": expected an array of strings"))
                return nil
            }
            return items.map { $0.string! }
        }

        guard let members = root.members else {
            throw Diagnostics([Diagnostic(root.location, "expected a test file object {\"rule_files\": [...], \"tests\": [...]}")])
        }
        unknown(members, fileMembers, "a test file")
        var ruleFiles = [folder.isEmpty ? "." : folder]
        if let node = members.first(where: { $0.key == "rule_files" })?.value {
            ruleFiles = (strings(node, "rule_files") ?? []).map(resolve)
        }
        var tests: [Test] = []
        if let testsNode = members.first(where: { $0.key == "tests" })?.value {
            if let items = testsNode.items {
                for item in items {
                    guard let t = item.members else {
                        problems.append(Diagnostic(item.location, "expected a test object"))
                        continue
                    }
                    unknown(t, testMembers, "a test")
                    let byName = Dictionary(t.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                    let name = byName["name"]?.string
                    if name == nil { problems.append(Diagnostic(item.location, "\"name\": required: a string naming the test")) }
                    let rules = byName["rules"].flatMap { strings($0, "rules") }
                    if let r = byName["rules"], rules?.isEmpty == true {
                        problems.append(Diagnostic(r.location, "\"rules\": name at least one rule (leave it out to run them all)"))
                    }
                    var events: Events? = nil
                    switch (byName["events"], byName["events_file"]) {
                    case (let e?, nil):
                        if let list = e.items, list.allSatisfy({ $0.members != nil }) {
                            events = .inline(list.map { Array(bytes[$0.span]) })
                        } else {
                            problems.append(Diagnostic(e.location, "\"events\": expected an array of event objects"))
                        }
                    case (nil, let f?):
                        if let s = f.string, !FileManager.default.isReadableFile(atPath: resolve(s)) {
                            problems.append(Diagnostic(f.location, "\"events_file\": cannot read \(resolve(s))"))
                        } else if let s = f.string {
                            events = .file(written: s, resolved: resolve(s))
                        } else {
                            problems.append(Diagnostic(f.location, "\"events_file\": expected a path string"))
                        }
                    case (nil, nil):
                        problems.append(Diagnostic(item.location, "\"events\": required: give \"events\" or \"events_file\""))
                    case (_?, let f?):
                        problems.append(Diagnostic(f.location, "\"events_file\": give \"events\" or \"events_file\", not both"))
                    }
                    var until: Int64? = nil
                    if let u = byName["until"] {
                        until = u.string.flatMap { EventTime.parse($0) }
                        if until == nil { problems.append(Diagnostic(u.location, "\"until\": expected an RFC 3339 time like \"2026-03-01T10:00:00Z\"")) }
                    }
                    var alerts: [ExpectedAlert] = []
                    if let a = byName["alerts"] {
                        if let list = a.items {
                            for alert in list {
                                guard let am = alert.members else {
                                    problems.append(Diagnostic(alert.location, "expected an alert object"))
                                    continue
                                }
                                unknown(am, alertMembers, "an expected alert")
                                if let t = am.first(where: { $0.key == "time" })?.value,
                                   t.string.flatMap({ EventTime.parse($0) }) == nil {
                                    problems.append(Diagnostic(t.location, "\"time\": expected an RFC 3339 time"))
                                }
                                alerts.append(ExpectedAlert(members: am.filter { alertMembers.contains($0.key) }.map { JSONMember($0.key, $0.value.value) },
                                                            location: alert.location))
                            }
                        } else {
                            problems.append(Diagnostic(a.location, "\"alerts\": expected an array of expected alerts"))
                        }
                    } else {
                        problems.append(Diagnostic(item.location, "\"alerts\": required: the alerts expected, [] for none"))
                    }
                    if let name, let events {
                        tests.append(Test(name: name, location: item.location, rules: rules,
                                          rulesLocation: byName["rules"]?.location, events: events, until: until,
                                          alerts: alerts))
                    }
                }
            } else {
                problems.append(Diagnostic(testsNode.location, "\"tests\": expected an array of tests"))
            }
        } else {
            problems.append(Diagnostic(root.location, "\"tests\": required: an array of tests"))
        }
        if !problems.isEmpty { throw Diagnostics(problems) }
        return RuleTestFile(path: path, ruleFiles: ruleFiles, tests: tests)
    }
}
