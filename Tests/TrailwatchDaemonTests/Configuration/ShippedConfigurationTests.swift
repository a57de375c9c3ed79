import Foundation
import Testing
import TrailwatchCore
import TrailwatchSinks
import TrailwatchConfiguration
import TrailwatchDaemon

/// The configurations the repository ships are valid and say what their documentation says.
struct ShippedConfigurationTests {
    /// `packaging/trailwatch.json`, installed as `/etc/trailwatch/trailwatch.json`; the package puts the rule
    /// pack in `/usr/share/trailwatch/rules` (packaging/build-deb). Loaded from a copy whose rules path points
    /// at the repository's `rules/`, since the host running the tests need not have the package installed.
    @Test func packagedDefaultConfiguration() throws {
        let f = try ConfigFixture()
        let original = repositoryRoot + "/packaging/trailwatch.json"
        let text = try String(contentsOfFile: original, encoding: .utf8)
        #expect(text.contains(#""rules": ["/usr/share/trailwatch/rules"]"#))
        let file = try f.write(text.replacingOccurrences(of: "/usr/share/trailwatch/rules", with: repositoryRoot + "/rules"))
        let configuration = try ConfigurationLoader.load(file: file, environment: ["STATE_DIRECTORY": "/var/lib/trailwatch"])
        #expect(configuration == DaemonConfiguration(
            file: file, rules: [repositoryRoot + "/rules"], stateDirectory: "/var/lib/trailwatch",
            sources: [SourceConfiguration(name: "activity-tracker",
                                          kind: .file(paths: ["/var/log/activity-tracker/*.jsonl"], startAt: .end))],
            sinks: [SinkConfiguration(name: "alerts", settings: FileSinkSettings(path: "/var/log/trailwatch/alerts.jsonl"))],
            routes: [], defaultSinks: ["alerts"]))
        #expect(try ConfigurationLoader.load(file: file, environment: [:]).stateDirectory == "/var/lib/trailwatch")

        // The file as shipped: valid, except for the rule pack when the package is not installed here.
        let problems = ConfigurationLoader.check(file: original, environment: [:]).diagnostics.map(\.description)
        if FileManager.default.fileExists(atPath: "/usr/share/trailwatch/rules") {
            #expect(problems == [])
        } else {
            #expect(problems == ["\(original):2:13: rules[0]: cannot read rules at /usr/share/trailwatch/rules: No such file or directory"])
        }
    }

    /// `samples/trailwatch.json`: the foreground demo over the sample log, with the repository's rules.
    @Test func sampleConfiguration() throws {
        let samples = repositoryRoot + "/samples"
        let configuration = try ConfigurationLoader.load(file: samples + "/trailwatch.json", environment: [:])
        #expect(configuration == DaemonConfiguration(
            file: samples + "/trailwatch.json", rules: [repositoryRoot + "/rules"],
            stateDirectory: samples + "/.build-demo/state",
            sources: [SourceConfiguration(name: "activity-tracker", kind: .file(paths: [samples + "/*.jsonl"], startAt: .beginning))],
            sinks: [SinkConfiguration(name: "console", settings: StdoutSinkSettings(format: .text)),
                    SinkConfiguration(name: "alerts", settings: FileSinkSettings(path: samples + "/.build-demo/alerts.jsonl"))],
            routes: [RouteConfiguration(sinks: ["alerts"], severities: [.low, .info])],
            defaultSinks: ["console", "alerts"],
            liveTime: LiveTimeConfiguration(wallClock: false)))
    }
}
