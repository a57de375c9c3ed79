import Foundation
import Testing
import TrailwatchCore
import TrailwatchSinks
import TrailwatchConfiguration
import TrailwatchDaemon

/// The configuration file format: what a valid file gives, and the exact error for each kind of mistake.
struct ConfigurationLoaderTests {
    static let full = """
    {
      "rules": ["rules", "extra/one.json"],
      "state_directory": "state",
      "sources": [
        {"name": "activity-tracker", "type": "file", "paths": ["at/*.jsonl", "/var/log/other.jsonl"], "start_at": "end", "max_line_bytes": 2048},
        {"name": "stdin", "type": "stdin"}
      ],
      "sinks": [
        {"name": "alerts", "type": "file", "path": "out/../alerts.jsonl"},
        {"name": "console", "type": "stdout", "format": "text"},
        {"name": "raw", "type": "stdout"}
      ],
      "routes": [
        {"sinks": ["console"], "severity": ["high", "critical"], "rules": ["cdb-*"], "labels": {"team": "db"}, "continue": true},
        {"sinks": "raw"}
      ],
      "default_sinks": ["alerts"],
      "pipeline": {"batch_max_events": 100, "batch_max_delay": "20ms", "commit_interval": "2s"},
      "live_time": {"wall_clock": false, "delay": "1h30m"}
    }
    """

    @Test func fullConfigurationDecodesWithPathsResolved() throws {
        let f = try ConfigFixture()
        try f.write("{}", to: "extra/one.json")
        let configuration = try f.load(Self.full, environment: ["STATE_DIRECTORY": "/ignored"])
        let expected = DaemonConfiguration(
            file: f.path("trailwatch.json"),
            rules: [f.path("rules"), f.path("extra/one.json")],
            stateDirectory: f.path("state"),
            sources: [
                SourceConfiguration(name: "activity-tracker",
                                    kind: .file(paths: [f.path("at/*.jsonl"), "/var/log/other.jsonl"], startAt: .end),
                                    maximumLineBytes: 2048),
                SourceConfiguration(name: "stdin", kind: .stdin, maximumLineBytes: 1 << 20),
            ],
            sinks: [
                SinkConfiguration(name: "alerts", settings: FileSinkSettings(path: f.path("alerts.jsonl"))),
                SinkConfiguration(name: "console", settings: StdoutSinkSettings(format: .text)),
                SinkConfiguration(name: "raw", settings: StdoutSinkSettings(format: .json)),
            ],
            routes: [
                RouteConfiguration(sinks: ["console"], severities: [.high, .critical], rules: ["cdb-*"],
                                   labels: ["team": "db"], continue: true),
                RouteConfiguration(sinks: ["raw"]),
            ],
            defaultSinks: ["alerts"],
            pipeline: PipelineConfiguration(batchMaximumEvents: 100, batchMaximumDelayMilliseconds: 20,
                                            commitIntervalMilliseconds: 2000),
            liveTime: LiveTimeConfiguration(wallClock: false, delayMilliseconds: 5_400_000))
        #expect(configuration == expected)
    }

    static let minimal = """
    {"rules": "rules", "sources": [{"name": "in", "type": "stdin"}],
     "sinks": [{"name": "out", "type": "stdout"}], "default_sinks": "out"}
    """

    @Test func defaultsOfAMinimalConfiguration() throws {
        let f = try ConfigFixture()
        let configuration = try f.load(Self.minimal)
        #expect(configuration == DaemonConfiguration(
            file: f.path("trailwatch.json"), rules: [f.path("rules")], stateDirectory: "/var/lib/trailwatch",
            sources: [SourceConfiguration(name: "in", kind: .stdin)],
            sinks: [SinkConfiguration(name: "out", settings: StdoutSinkSettings(format: .json))], routes: [], defaultSinks: ["out"]))
        #expect(configuration.pipeline == PipelineConfiguration(batchMaximumEvents: 4096, batchMaximumDelayMilliseconds: 5,
                                                                commitIntervalMilliseconds: 1000))
        #expect(configuration.liveTime == LiveTimeConfiguration(wallClock: true, delayMilliseconds: 60_000))
    }

    @Test func stateDirectoryComesFromSystemdWhenNotGiven() throws {
        let f = try ConfigFixture()
        #expect(try f.load(Self.minimal, environment: ["STATE_DIRECTORY": "/var/lib/tw:/var/lib/other"]).stateDirectory == "/var/lib/tw")
        #expect(try f.load(Self.minimal, environment: ["STATE_DIRECTORY": ""]).stateDirectory == "/var/lib/trailwatch")
        let explicit = Self.minimal.replacingOccurrences(of: #"{"rules""#, with: #"{"state_directory": "./s/", "rules""#)
        #expect(try f.load(explicit, environment: ["STATE_DIRECTORY": "/var/lib/tw"]).stateDirectory == f.path("s"))
    }

    // MARK: Whole-file errors

    @Test func unreadableFileAndSyntaxErrorsAreLocated() throws {
        let f = try ConfigFixture()
        #expect(f.errors(file: f.path("missing.json")) == ["missing.json:1:1: cannot read the configuration: No such file or directory"])
        #expect(f.errors(file: f.path("rules")) == ["rules:1:1: cannot read the configuration: Is a directory"])
        #expect(try f.errors("{\n  \"rules\": [\"rules\",]\n}") == ["trailwatch.json:2:21: trailing comma before ']'"])
        #expect(try f.errors("[1]") == ["trailwatch.json:1:1: expected a configuration (a JSON object), got an array"])
    }

    @Test func requiredMembers() throws {
        let f = try ConfigFixture()
        #expect(try f.errors("{}") == [
            #"trailwatch.json:1:1: rules: required: the rule files and directories, like ["rules"]"#,
            #"trailwatch.json:1:1: sources: required: at least one source, like {"name": "activity-tracker", "type": "file", "paths": ["/var/log/at/*.jsonl"]}"#,
            #"trailwatch.json:1:1: sinks: required: at least one sink, like {"name": "alerts", "type": "file", "path": "/var/log/trailwatch/alerts.jsonl"}"#,
            #"trailwatch.json:1:1: default_sinks: required: the sinks for alerts no route matches, like ["alerts"]"#,
        ])
        #expect(try f.errors(#"{"rules": [], "sources": [], "sinks": [], "default_sinks": []}"#) == [
            #"trailwatch.json:1:11: rules: must not be empty: give at least one rule file or directory"#,
            #"trailwatch.json:1:26: sources: must not be empty: give at least one source, like {"name": "activity-tracker", "type": "file", "paths": ["/var/log/at/*.jsonl"]}"#,
            #"trailwatch.json:1:39: sinks: must not be empty: give at least one sink, like {"name": "alerts", "type": "file", "path": "/var/log/trailwatch/alerts.jsonl"}"#,
            #"trailwatch.json:1:60: default_sinks: must not be empty: an alert must always go somewhere: name at least one sink"#,
        ])
    }

    // MARK: Members

    @Test func unknownMembersEverywhereWithSuggestions() throws {
        let f = try ConfigFixture()
        let text = """
        {"rules": "rules", "sink": [],
         "sources": [{"name": "a", "type": "file", "pahts": ["x"], "paths": ["y"], "start": "end", "format": "text"},
                     {"name": "b", "type": "stdin", "paths": ["z"]}],
         "sinks": [{"name": "out", "type": "stdout", "fromat": "text"}],
         "routes": [{"sinks": ["out"], "severities": ["high"], "contine": true}],
         "default_sinks": ["out"],
         "pipeline": {"batch_max_event": 5, "zzz": 1},
         "live_time": {"wallclock": false}}
        """
        #expect(try f.errors(text) == [
            #"trailwatch.json:1:20: sink: unknown member of the configuration (did you mean "sinks"?)"#,
            #"trailwatch.json:2:44: sources[0].pahts: unknown member of a "file" source (did you mean "paths"?)"#,
            #"trailwatch.json:2:76: sources[0].start: unknown member of a "file" source"#,
            #"trailwatch.json:2:92: sources[0].format: unknown member of a "file" source"#,
            #"trailwatch.json:3:45: sources[1].paths: not a member of a "stdin" source (only "file" sources take it)"#,
            #"trailwatch.json:4:46: sinks[0].fromat: unknown member of a "stdout" sink (did you mean "format"?)"#,
            #"trailwatch.json:5:32: routes[0].severities: unknown member of a route (did you mean "severity"?)"#,
            #"trailwatch.json:5:56: routes[0].contine: unknown member of a route (did you mean "continue"?)"#,
            #"trailwatch.json:7:15: pipeline.batch_max_event: unknown member of "pipeline" (did you mean "batch_max_events"?)"#,
            #"trailwatch.json:7:37: pipeline.zzz: unknown member of "pipeline""#,
            #"trailwatch.json:8:16: live_time.wallclock: unknown member of "live_time" (did you mean "wall_clock"?)"#,
        ])
    }

    @Test func blockTypesAndNames() throws {
        let f = try ConfigFixture()
        let text = """
        {"rules": "rules",
         "sources": [{"name": "a"}, {"name": "b", "type": "fiel", "paths": ["x"], "wat": 1}, {"name": "c", "type": 3},
                     {"type": "stdin"}, {"name": "bad name", "type": "stdin"}, "stdin"],
         "sinks": [{"name": "out", "type": "bellhop"}, {"name": "out", "type": "stdout"}, {"name": "x", "type": "stdout"},
                   {"name": "x", "type": "stdout"}],
         "default_sinks": ["out"]}
        """
        #expect(try f.errors(text) == [
            #"trailwatch.json:2:14: sources[0].type: required: one of "file", "stdin""#,
            #"trailwatch.json:2:51: sources[1].type: unknown source type "fiel" (did you mean "file"?): the source types are "file", "stdin""#,
            #"trailwatch.json:2:75: sources[1].wat: unknown member of a source"#,
            #"trailwatch.json:2:108: sources[2].type: expected a string, got a number: the source types are "file", "stdin""#,
            #"trailwatch.json:3:14: sources[3].name: required: a unique source name, like "activity-tracker""#,
            #"trailwatch.json:3:33: sources[4]: only one source can read standard input (sources[3] already does, at \#(f.path("trailwatch.json")):3:14)"#,
            #"trailwatch.json:3:42: sources[4].name: "bad name" is not a valid source name: use letters, digits, '_', '.' and '-'"#,
            #"trailwatch.json:3:72: sources[5]: expected a source object (a JSON object), got a string"#,
            #"trailwatch.json:4:36: sinks[0].type: unknown sink type "bellhop": the sink types are "#
                + ConfigDecoder.quotedList(ConfigurationTypes.sinks.keys.sorted()),
            #"trailwatch.json:4:57: sinks[1].name: duplicate sink name "out" (first defined at \#(f.path("trailwatch.json")):4:21)"#,
            #"trailwatch.json:5:21: sinks[3].name: duplicate sink name "x" (first defined at \#(f.path("trailwatch.json")):4:92)"#,
        ])
    }

    @Test func valuesAndLimits() throws {
        let f = try ConfigFixture()
        try f.write("not a directory", to: "state-file")
        let text = """
        {"rules": ["rules", "nope", 7, "~/rules", "rules"], "state_directory": "state-file",
         "sources": [{"name": "a", "type": "file", "paths": ["logs/*/x.jsonl", "", "ok.jsonl", "ok.jsonl"], "start_at": "middle", "max_line_bytes": 10},
                     {"name": "b", "type": "file", "paths": [], "max_line_bytes": 1.5},
                     {"name": "c", "type": "file", "paths": "dir/"}],
         "sinks": [{"name": "out", "type": "stdout", "format": "yaml"}, {"name": "f", "type": "file", "path": "alerts/"},
                   {"name": "g", "type": "file"}],
         "default_sinks": ["out"],
         "pipeline": {"batch_max_events": 0, "batch_max_delay": "11s"},
         "live_time": {"wall_clock": "yes", "delay": "ten minutes"}}
        """
        #expect(try f.errors(text) == [
            #"trailwatch.json:1:21: rules[1]: cannot read rules at \#(f.path("nope")): No such file or directory"#,
            #"trailwatch.json:1:29: rules[2]: expected a string, got a number"#,
            #"trailwatch.json:1:32: rules[3]: "~/rules": "~" is not expanded: write the full path, or one relative to the configuration file's directory"#,
            #"trailwatch.json:1:43: rules[4]: rule path "\#(f.path("rules"))" is listed twice (first at \#(f.path("trailwatch.json")):1:12)"#,
            #"trailwatch.json:1:72: state_directory: \#(f.path("state-file")) exists and is not a directory"#,
            #"trailwatch.json:2:54: sources[0].paths[0]: "logs/*/x.jsonl": wildcards (*, ?, [...]) are allowed in the file name only, not in directories"#,
            #"trailwatch.json:2:72: sources[0].paths[1]: must not be empty"#,
            #"trailwatch.json:2:88: sources[0].paths[3]: path "\#(f.path("ok.jsonl"))" is listed twice (first at \#(f.path("trailwatch.json")):2:76)"#,
            #"trailwatch.json:2:113: sources[0].start_at: expected one of "beginning", "end", got "middle""#,
            #"trailwatch.json:2:141: sources[0].max_line_bytes: expected a whole number from 1024 to 1073741824 bytes (1 KiB to 1 GiB), got 10"#,
            #"trailwatch.json:3:53: sources[1].paths: must not be empty: give at least one file or glob"#,
            #"trailwatch.json:3:75: sources[1].max_line_bytes: expected a whole number from 1024 to 1073741824 bytes (1 KiB to 1 GiB), got 1.5"#,
            #"trailwatch.json:4:53: sources[2].paths: "dir/": expected a file, not a directory"#,
            #"trailwatch.json:5:56: sinks[0].format: expected one of "json", "text", got "yaml""#,
            #"trailwatch.json:5:103: sinks[1].path: "alerts/": expected a file, not a directory"#,
            #"trailwatch.json:6:12: sinks[2].path: required: the file alerts are appended to"#,
            #"trailwatch.json:8:35: pipeline.batch_max_events: expected a whole number from 1 to 1000000 events, got 0"#,
            #"trailwatch.json:8:57: pipeline.batch_max_delay: "11s" is too long: at most "10s""#,
            #"trailwatch.json:9:30: live_time.wall_clock: expected true or false, got "yes""#,
            #"trailwatch.json:9:46: live_time.delay: expected a duration like "5ms", "10s" or "1h30m" (units d, h, m, s, ms, largest first), got "ten minutes""#,
        ])
        let longDelay = Self.minimal.replacingOccurrences(of: #"{"rules""#, with: #"{"live_time": {"delay": "1d1ms"}, "rules""#)
        #expect(try f.errors(longDelay) == [#"trailwatch.json:1:25: live_time.delay: "1d1ms" is too long: at most "1d""#])
        let longInterval = Self.minimal.replacingOccurrences(of: #"{"rules""#, with: #"{"pipeline": {"commit_interval": "61s"}, "rules""#)
        #expect(try f.errors(longInterval) == [#"trailwatch.json:1:34: pipeline.commit_interval: "61s" is too long: at most "1m""#])
    }

    @Test func routesAndSinkReferences() throws {
        let f = try ConfigFixture()
        let text = """
        {"rules": "rules", "sources": [{"name": "in", "type": "stdin"}],
         "sinks": [{"name": "console", "type": "stdout"}, {"name": "alerts", "type": "file", "path": "a.jsonl"}],
         "routes": [{"sinks": ["consol", "pager", "console", "console"]},
                    {"sinks": [], "severity": ["hihg", "low"], "rules": ["", "x*"], "labels": {"team": 1, "a b": "c"}, "continue": "no"},
                    {"severity": [], "rules": []},
                    {"sinks": ["bad name!"]}, 5],
         "default_sinks": ["alert"]}
        """
        #expect(try f.errors(text) == [
            #"trailwatch.json:3:24: routes[0].sinks[0]: no sink named "consol" (did you mean "console"?)"#,
            #"trailwatch.json:3:34: routes[0].sinks[1]: no sink named "pager" (the sinks are "console", "alerts")"#,
            #"trailwatch.json:3:54: routes[0].sinks[3]: sink "console" is listed twice (first at \#(f.path("trailwatch.json")):3:43)"#,
            #"trailwatch.json:4:23: routes[1].sinks: must not be empty: name the sinks this route sends to"#,
            #"trailwatch.json:4:40: routes[1].severity[0]: expected one of "critical", "high", "medium", "low", "info", got "hihg" (did you mean "high"?)"#,
            #"trailwatch.json:4:66: routes[1].rules[0]: must not be empty"#,
            #"trailwatch.json:4:96: routes[1].labels.team: expected a string, got a number"#,
            #"trailwatch.json:4:124: routes[1].continue: expected true or false, got "no""#,
            #"trailwatch.json:5:13: routes[2].sinks: required: the sinks for alerts this route matches, like ["console"]"#,
            #"trailwatch.json:5:26: routes[2].severity: must not be empty: leave "severity" out to match every severity"#,
            #"trailwatch.json:5:39: routes[2].rules: must not be empty: leave "rules" out to match every rule"#,
            #"trailwatch.json:6:24: routes[3].sinks[0]: "bad name!" is not a valid sink name: use letters, digits, '_', '.' and '-'"#,
            #"trailwatch.json:6:39: routes[4]: expected a route object (a JSON object), got a number"#,
            #"trailwatch.json:7:20: default_sinks[0]: no sink named "alert" (did you mean "alerts"?)"#,
        ])
    }

    @Test func conflictingSourcesAndSinks() throws {
        let f = try ConfigFixture()
        let text = """
        {"rules": "rules",
         "sources": [{"name": "in", "type": "stdin"}, {"name": "in2", "type": "stdin"},
                     {"name": "at", "type": "file", "paths": ["logs/*.jsonl"]}, {"name": "at2", "type": "file", "paths": ["logs/*.jsonl"]}],
         "sinks": [{"name": "a", "type": "file", "path": "logs/alerts.jsonl"}, {"name": "b", "type": "file", "path": "out.jsonl"},
                   {"name": "c", "type": "file", "path": "./out.jsonl"}],
         "default_sinks": ["a"]}
        """
        #expect(try f.errors(text) == [
            #"trailwatch.json:2:47: sources[1]: only one source can read standard input (sources[0] already does, at \#(f.path("trailwatch.json")):2:14)"#,
            #"trailwatch.json:3:114: sources[3].paths: \#(f.path("logs/*.jsonl")) is also followed by sources[2] (source "at"): a file belongs to one source only"#,
            #"trailwatch.json:4:50: sinks[0].path: \#(f.path("logs/alerts.jsonl")) is read by sources[2] (source "at", "\#(f.path("logs/*.jsonl"))"): its alerts would come back as events"#,
            #"trailwatch.json:4:50: sinks[0].path: \#(f.path("logs/alerts.jsonl")) is read by sources[3] (source "at2", "\#(f.path("logs/*.jsonl"))"): its alerts would come back as events"#,
            #"trailwatch.json:5:50: sinks[2].path: \#(f.path("out.jsonl")) is also written by sinks[1]: give each file sink its own file"#,
        ])
    }

    @Test func everyErrorIsReportedInOneRun() throws {
        let f = try ConfigFixture()
        let text = """
        {"rules": ["missing"],
         "sources": [{"name": "at", "type": "file", "paths": ["~/x.jsonl"], "max_line_bytes": 1}],
         "sinks": [{"name": "out", "type": "stdout", "format": "xml"}],
         "routes": [{"sinks": ["ot"]}],
         "default_sinks": ["out"],
         "pipeline": {"batch_max_events": 2000000},
         "extra": true}
        """
        let errors = try f.errors(text)
        #expect(errors.count == 7)
        #expect(errors.map { String($0.split(separator: " ")[1]) } == [
            "rules[0]:", "sources[0].paths[0]:", "sources[0].max_line_bytes:", "sinks[0].format:", "routes[0].sinks[0]:",
            "pipeline.batch_max_events:", "extra:",
        ])
    }

    @Test func pathsInKeysAreQuotedWhenNotPlain() {
        #expect(MemberPath.root["routes"][2]["labels"]["team"].description == "routes[2].labels.team")
        #expect(MemberPath.root["labels"]["a b"].description == #"labels["a b"]"#)
        #expect(MemberPath.root["labels"]["x.y"].description == #"labels["x.y"]"#)
        #expect(MemberPath.root.description == "")
    }
}
