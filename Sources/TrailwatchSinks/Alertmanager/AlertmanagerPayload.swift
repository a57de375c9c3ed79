import Foundation
import TrailwatchCore

/// Builds Alertmanager's `POST /api/v2/alerts` request: a pure function of the alerts, the settings and the
/// time, so it is tested against golden files.
///
/// Each trailwatch alert becomes one Alertmanager alert:
/// * `labels`: `alertname` and `rule` (the rule id), `severity`, each group member under a label name made
///   valid for Alertmanager (`initiator.name` → `initiator_name`), then the rule's labels. A label set
///   earlier wins over a later one with the same name; empty values are left out (Alertmanager treats an
///   empty label as absent). The alert id is not a label: alerts of one rule and group are one incident
///   to Alertmanager, which merges them.
/// * `annotations`: `summary`, `alert_id`, `count`, `events` (ids, comma-separated), `time`, and
///   `suppressed` when some were.
/// * `startsAt`: the alert's time. `endsAt`: `resolve_after` after the alert's time or after `now`, whichever
///   is later, so an alert delivered late (after an outage, from a replay) still fires for that long
///   instead of arriving already resolved. A resolved alert has `endsAt` = `now`.
public enum AlertmanagerPayload {
    /// One alert as posted, kept by the sink to post again while it fires.
    public struct PostableAlert: Sendable, Equatable {
        public var labels: [JSONMember]
        public var annotations: [JSONMember]
        public var startsAt: Int64
        public var endsAt: Int64
        public var generatorURL: String?

        public var json: JSONValue {
            var members = [
                JSONMember("labels", .object(labels)),
                JSONMember("annotations", .object(annotations)),
                JSONMember("startsAt", .string(EventTime.format(startsAt))),
                JSONMember("endsAt", .string(EventTime.format(endsAt))),
            ]
            if let generatorURL { members.append(JSONMember("generatorURL", .string(generatorURL))) }
            return .object(members)
        }

        /// Alertmanager identifies an alert by its label set.
        public var fingerprint: String { JSONValue.object(labels).canonicalText }
    }

    public static func alert(_ outgoing: OutgoingAlert, now: Int64, resolveAfter: Int64,
                             generatorURL: String?) -> PostableAlert {
        let alert = outgoing.alert
        var labels: [JSONMember] = []
        var names: Set<String> = []
        func add(_ name: String, _ value: JSONValue) {
            let text = value.stringValue ?? (value == .null ? "" : value.description)
            let name = labelName(name)
            guard !text.isEmpty, names.insert(name).inserted else { return }
            labels.append(JSONMember(name, .string(text)))
        }
        add("alertname", .string(alert.rule))
        add("rule", .string(alert.rule))
        add("severity", .string(alert.severity.rawValue))
        for member in alert.group { add(member.key, member.value) }
        for member in alert.labels { add(member.key, member.value) }

        var annotations = [
            JSONMember("summary", .string(alert.summary)),
            JSONMember("alert_id", .string(alert.id)),
            JSONMember("count", .string(String(alert.count))),
            JSONMember("events", .string(alert.events.joined(separator: ","))),
            JSONMember("time", .string(EventTime.format(alert.time))),
        ]
        if alert.suppressed > 0 { annotations.append(JSONMember("suppressed", .string(String(alert.suppressed)))) }

        let endsAt = outgoing.status == .resolved ? max(now, alert.time) : max(alert.time, now) + resolveAfter
        return PostableAlert(labels: labels, annotations: annotations, startsAt: alert.time, endsAt: endsAt,
                             generatorURL: generatorURL)
    }

    /// The request posting `alerts` to Alertmanager at `baseURL`.
    public static func request(_ alerts: [PostableAlert], baseURL: String, authorization: String?) -> HTTPRequestSpec {
        var body: [UInt8] = []
        JSONWriter.write(.array(alerts.map(\.json)), to: &body)
        var headers = [("Content-Type", "application/json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        return HTTPRequestSpec(url: baseURL + "/api/v2/alerts", method: "POST", headers: headers, body: body)
    }

    /// A valid Alertmanager label name (`[a-zA-Z_][a-zA-Z0-9_]*`): every other character becomes `_`, and a
    /// leading digit gets a `_` in front.
    public static func labelName(_ key: String) -> String {
        var out = String(String.UnicodeScalarView(key.unicodeScalars.map { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_": scalar
            default: "_"
            }
        }))
        if out.isEmpty || out.first!.isNumber { out = "_" + out }
        return out
    }
}
