import Foundation
import Testing
import TrailwatchCore
@testable import TrailwatchRules

/// Loading real files from a temporary directory: walking, ordering, located errors, all or nothing.
struct RuleLoaderTests {
    let dir = NSTemporaryDirectory() + "rules-\(UUID().uuidString)"

    func write(_ relative: String, _ text: String) {
        let path = dir + "/" + relative
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    func errors(_ text: String) -> [String] {
        write("r.json", text)
        do {
            _ = try RuleLoader.load(paths: [dir + "/r.json"])
            return []
        } catch {
            return error.items.map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        }
    }

    @Test func walksDirectoriesInByteOrderAndSkipsTests() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write("b.json", #"{"id": "b", "severity": "low", "match": {"all": []}}"#)
        write("a/z.json", #"{"rules": [{"id": "az", "severity": "low", "match": {"all": []}}]}"#)
        write("B.json", #"{"id": "upper-b", "severity": "low", "match": {"all": []}}"#)
        write("b.test.json", "not even JSON")
        write("notes.txt", "ignored")
        let rules = try RuleLoader.load(paths: [dir])
        #expect(rules.map(\.id) == ["upper-b", "az", "b"])
    }

    @Test func aSymlinkedRulesDirectoryIsFollowed() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write("v42/a.json", #"{"id": "a", "severity": "low", "match": {"all": []}}"#)
        try FileManager.default.createSymbolicLink(atPath: dir + "/current", withDestinationPath: dir + "/v42")
        let rules = try RuleLoader.load(paths: [dir + "/current"])
        #expect(rules.map(\.id) == ["a"])
        #expect(rules.first?.location.file == dir + "/current/a.json", "errors name the path as given")
    }

    @Test func reportsEveryErrorWithLineAndColumn() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = errors("""
        {"rules": [
          {"id": "a", "severity": "high", "kind": "threshold",
           "window": "ten minutes", "count": 0, "treshold": 5,
           "match": {"field": "action", "regex": "(unclosed"}},
          {"id": "a", "severity": "low", "match": {"field": "x", "gt": 1, "ignore_case": true}}
        ]}
        """)
        #expect(e.contains { $0.hasPrefix("r.json:3:14: \"window\": expected a duration") && $0.contains("ten minutes") })
        #expect(e.contains { $0.hasPrefix("r.json:3:38: \"count\"") })
        #expect(e.contains { $0.hasPrefix("r.json:3:41: \"treshold\": unknown member") })
        #expect(e.contains { $0.hasPrefix("r.json:4:42: \"regex\": invalid regular expression") })
        #expect(e.contains { $0.hasPrefix("r.json:5:67: \"ignore_case\": does not apply to \"gt\"") })
        #expect(e.count == 5, "\(e)")
    }

    @Test func duplicateIDsAreReportedAtTheSecond() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = errors("""
        {"rules": [
          {"id": "same", "severity": "low", "match": {"all": []}},
          {"id": "same", "severity": "low", "match": {"all": []}}
        ]}
        """)
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("r.json:3:10: \"id\": duplicate rule id \"same\" (first defined at ") == true)
    }

    @Test func membersMustBelongToTheKind() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = errors(#"{"id": "x", "severity": "low", "kind": "new-value", "field": "a", "count": 3, "learn": "1h", "match": {"all": []}}"#)
        #expect(e.count == 1)
        #expect(e.first?.contains("\"count\": not a member of a \"new-value\" rule") == true)
    }

    @Test func templatesAreCheckedAtLoad() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = #"{"id": "x", "severity": "low", "match": {"all": []}, "group_by": ["target.id"], "summary": "#
        #expect(errors(base + #""{{group.initiator.id}}"}"#).first?.contains("unknown template name \"group.initiator.id\"") == true)
        #expect(errors(base + #""{{ count }} on {{group.target.id}} {literal}"}"#).isEmpty)
        #expect(errors(base + #""oops {{count"}"#).first?.contains("unclosed") == true)
        #expect(errors(base + #""{{}}"}"#).first?.contains("empty name") == true)
    }

    @Test func durationsHaveACeiling() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = errors(#"{"id": "x", "severity": "low", "kind": "absence", "window": "106751991000d", "match": {"all": []}}"#)
        #expect(e.first?.contains("longer than the longest duration a rule may use, 36500d") == true)
        #expect(errors(#"{"id": "x", "severity": "low", "kind": "absence", "window": "36500d", "match": {"all": []}}"#).isEmpty)
    }

    @Test func missingPathIsALoadError() {
        do {
            _ = try RuleLoader.load(paths: ["/nonexistent/rules"])
            Issue.record("loaded")
        } catch {
            #expect(error.items.first?.message.contains("no such file") == true)
        }
    }

    @Test func unknownOperatorSuggestsTheKnownOne() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = errors(#"{"id": "x", "severity": "low", "match": {"field": "action", "equal": "x"}}"#)
        #expect(e.first?.contains("(did you mean \"equals\"?)") == true)
    }
}
