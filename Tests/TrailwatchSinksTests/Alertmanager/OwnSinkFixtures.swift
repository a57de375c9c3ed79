import Foundation
import Logging
import Testing
import TrailwatchConfiguration
import TrailwatchCore
@testable import TrailwatchSinks

/// Alerts and helpers shared by the alertmanager, email, exec and journal sink tests.
enum SampleAlerts {
    /// 2026-03-01T10:00:05.000Z
    static let time: Int64 = 1_772_359_205_000

    static func alert(id: String = "3f2a9c0d1e4b5a6978c1d2e3", rule: String = "cdb-backup-failed",
                      severity: Severity = .high, time: Int64 = time, summary: String = "Backup of cdb-01 failed 3 times",
                      group: [JSONMember] = [JSONMember("target.id", .string("cdb-01")),
                                             JSONMember("initiator.name", .string("backup-svc"))],
                      labels: [JSONMember] = [JSONMember("team", .string("dba"))], count: Int = 3,
                      events: [String] = ["ev-101", "ev-102", "ev-103"], suppressed: Int = 0,
                      status: OutgoingAlert.Status = .firing) -> OutgoingAlert {
        let alert = Alert(id: id, rule: rule, severity: severity, time: time, group: group, count: count, events: events,
                          summary: summary, labels: labels, suppressed: suppressed)
        return OutgoingAlert(alert: alert, json: alert.json.description, status: status)
    }

    /// Three rules, four alerts, severities mixed: a storm-control batch.
    static let batch: [OutgoingAlert] = [
        alert(),
        alert(id: "aa11bb22cc33dd44ee55ff66", rule: "login-failures", severity: .medium, time: time + 1000,
              summary: "12 failed logins for alice", group: [JSONMember("initiator.name", .string("alice"))],
              labels: [], count: 12, events: ["ev-201", "ev-202"], suppressed: 4),
        alert(id: "0badc0ffee0badc0ffee0bad", rule: "root-token-created", severity: .critical, time: time + 2000,
              summary: "Root token created by bob", group: [JSONMember("initiator.name", .string("bob"))],
              labels: [JSONMember("team", .string("iam")), JSONMember("runbook", .string("https://runbooks.example.org/root-token"))],
              count: 1, events: ["ev-301"]),
        alert(id: "1234567890abcdef12345678", rule: "login-failures", severity: .medium, time: time + 3000,
              summary: "7 failed logins for carol", group: [JSONMember("initiator.name", .string("carol"))],
              labels: [], count: 7, events: ["ev-401"]),
    ]

    /// Non-ASCII, a newline and a leading dot: what encodings and dot-stuffing must survive.
    static let unusual = alert(id: "cafe0000cafe0000cafe0000", rule: "gdpr-export", severity: .low,
                               summary: "Export de données — Zoë’s bucket ✓\n.hidden line", 
                               group: [JSONMember("project", .string("Überwachung")), JSONMember("n", .number(JSONNumber(integer: 42)))],
                               labels: [], count: 1, events: ["ev-ü"])

    static func context(_ environment: [String: String] = [:]) -> SinkContext {
        SinkContext(logger: Logger(label: "test"), environment: environment)
    }
}

/// Golden files in `Tests/TrailwatchSinksTests/Golden`. `TRAILWATCH_UPDATE_GOLDEN=1 swift test …` rewrites
/// them from the current output (then review the diff).
enum GoldenText {
    static func check(_ actual: String, _ name: String, sourceFile: String = #filePath,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["TRAILWATCH_UPDATE_GOLDEN"] == "1" {
            let directory = URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Golden")
            try actual.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return
        }
        let url = try #require(Bundle.module.url(forResource: "Golden/" + name, withExtension: nil)
                                   ?? Bundle.module.resourceURL?.appendingPathComponent("Golden/" + name),
                               sourceLocation: sourceLocation)
        let expected = try #require(try? String(contentsOf: url, encoding: .utf8),
                                    "missing golden file Golden/\(name) (TRAILWATCH_UPDATE_GOLDEN=1 writes it)",
                                    sourceLocation: sourceLocation)
        #expect(actual == expected, "differs from Golden/\(name)", sourceLocation: sourceLocation)
    }

    /// Pretty, key-sorted JSON text of `bytes` (a JSON document), newline-terminated.
    static func prettyJSON(_ bytes: [UInt8]) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Decodes a sink block the way the loader does: unknown members first, then the type's own decoder.
func decodeSinkBlock<Settings: SinkSettings>(_ type: Settings.Type, _ json: String, directory: String = "/etc/trailwatch",
                                             environment: [String: String] = [:]) throws -> (Settings?, [String]) {
    let node = try JSONDocumentParser.parse(Array(json.utf8), file: "trailwatch.json")
    var decoder = ConfigDecoder(file: "trailwatch.json", baseDirectory: directory, environment: environment)
    let path = MemberPath.root["sinks"][0]
    guard let object = decoder.object(node, at: path, what: "a sink") else { return (nil, decoder.diagnostics.map(\.description)) }
    decoder.rejectUnknownMembers(of: object, known: Settings.members, what: "a sink")
    let settings = Settings(from: object, decoder: &decoder)
    return (settings, decoder.diagnostics.map(\.description))
}
