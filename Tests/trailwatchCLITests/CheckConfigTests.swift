import Foundation
import Testing

/// `trailwatch check --config FILE`: the configuration, its rules, and the sinks rules name, in one report.
struct CheckConfigTests {
    static let rules = """
    {"rules": [
      {"id": "fail", "severity": "high", "match": {"field": "outcome", "equals": "failure"}, "sinks": ["console"]},
      {"id": "quiet", "severity": "low", "enabled": false, "match": {"field": "outcome", "equals": "success"}}
    ]}
    """

    static let config = """
    {"rules": ["rules"], "state_directory": "state",
     "sources": [{"name": "at", "type": "file", "paths": ["events/*.jsonl"]}, {"name": "in", "type": "stdin"}],
     "sinks": [{"name": "alerts", "type": "file", "path": "alerts.jsonl"}, {"name": "console", "type": "stdout", "format": "text"}],
     "routes": [{"sinks": ["console"], "severity": ["critical"]}],
     "default_sinks": ["alerts"]}
    """

    func setUp(config: String = config, rules: String = rules) throws -> URL {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try Data(rules.utf8).write(to: dir.appendingPathComponent("rules/rules.json"))
        try Data(config.utf8).write(to: dir.appendingPathComponent("trailwatch.json"))
        return dir
    }

    @Test func validConfigurationPrintsASummary() throws {
        let dir = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["check", "--config", "trailwatch.json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "configuration OK: 2 sources, 2 sinks, 1 route, 2 rules (1 disabled)\n")
        #expect(r.stderr == "")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state").path), "check writes nothing")
    }

    @Test func configurationAndRuleErrorsAreReportedTogether() throws {
        let config = """
        {"rules": ["rules", "missing"],
         "sources": [{"name": "at", "type": "fiel", "paths": ["events/*.jsonl"]}],
         "sinks": [{"name": "alerts", "type": "file", "path": "alerts.jsonl"}, {"name": "console", "type": "stdout", "fromat": "text"}],
         "default_sinks": ["alert"]}
        """
        let rules = """
        {"rules": [
          {"id": "fail", "severity": "high", "match": {"field": "outcome", "equals": "failure"}, "sinks": ["alerts", "pager"]},
          {"id": "bad", "severity": "urgent", "match": {"field": "outcome", "equals": "x"}}
        ]}
        """
        let dir = try setUp(config: config, rules: rules)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["check", "--config", "trailwatch.json"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "")
        let rulesFile = dir.appendingPathComponent("rules/rules.json").path
        #expect(r.stderr.split(separator: "\n").map(String.init) == [
            "trailwatch.json:1:21: rules[1]: cannot read rules at \(dir.path)/missing: No such file or directory",
            #"trailwatch.json:2:37: sources[0].type: unknown source type "fiel" (did you mean "file"?): the source types are "file", "stdin""#,
            #"trailwatch.json:3:110: sinks[1].fromat: unknown member of a "stdout" sink (did you mean "format"?)"#,
            #"trailwatch.json:4:20: default_sinks[0]: no sink named "alert" (did you mean "alerts"?)"#,
            #"\#(rulesFile):3:29: "severity": expected one of "critical", "high", "medium", "low", "info", got "urgent""#,
            #"\#(rulesFile):2:110: "sinks": no sink named "pager" (the sinks are "alerts", "console") (rule "fail")"#,
            "trailwatch: 6 errors",
        ])
    }

    @Test func unreadableConfiguration() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["check", "--config", "nope.json"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "nope.json:1:1: cannot read the configuration: No such file or directory\ntrailwatch: 1 error\n")
    }

    @Test func sampleConfigurationIsValid() throws {
        let r = try CLI.run(["check", "--config", "samples/trailwatch.json"], in: CLI.packageRoot)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "configuration OK: 1 source, 2 sinks, 1 route, 23 rules\n")
    }

    @Test func configOrRulesButNotBoth() throws {
        let dir = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let both = try CLI.run(["check", "--config", "trailwatch.json", "--rules", "rules"], in: dir)
        #expect(both.status == 2)
        #expect(both.stderr.contains("give --config FILE or --rules PATH, not both"))
        let neither = try CLI.run(["check"], in: dir)
        #expect(neither.status == 2)
        #expect(neither.stderr.contains("give --config FILE or at least one --rules PATH"))
        #expect(try CLI.run(["check", "--rules", "rules"], in: dir).stdout == "ok: 2 rules in 1 file (1 disabled)\n")
    }
}

extension CheckConfigTests {
    @Test func aRuleDirectoryWithoutRulesIsAnError() throws {
        let dir = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: dir.appendingPathComponent("empty/only.test.json"))
        try Data(Self.config.replacingOccurrences(of: #"["rules"]"#, with: #"["rules", "empty"]"#).utf8)
            .write(to: dir.appendingPathComponent("trailwatch.json"))
        let r = try CLI.run(["check", "--config", "trailwatch.json"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "trailwatch.json:1:21: rules[1]: no rule files (*.json, not *.test.json) in \(dir.path)/empty\ntrailwatch: 1 error\n")
    }
}
