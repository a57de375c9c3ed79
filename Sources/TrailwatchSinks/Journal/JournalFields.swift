import TrailwatchCore
import TrailwatchSystemd

/// The journal entry of one alert: a pure function, tested against golden files.
///
/// * `MESSAGE`: the alert's text line (what the `stdout` sink prints), `resolved: ` in front when resolved.
/// * `PRIORITY` from the severity: critical → 2 (crit), high → 3 (err), medium → 4 (warning),
///   low → 5 (notice), info → 6 (info); a resolved alert is 5 (notice).
/// * `SYSLOG_IDENTIFIER` (configurable), `TRAILWATCH_ALERT_ID`, `TRAILWATCH_RULE`, `TRAILWATCH_SEVERITY`,
///   `TRAILWATCH_STATUS` (firing or resolved), `TRAILWATCH_COUNT`, `TRAILWATCH_SUPPRESSED` when some were,
///   `TRAILWATCH_GROUP_<MEMBER>` per group member (`initiator.name` → `TRAILWATCH_GROUP_INITIATOR_NAME`;
///   strings as they are, other values as JSON), `TRAILWATCH_LABEL_<NAME>` per rule label, and
///   `TRAILWATCH_JSON` (the alert's JSON, as `replay` prints it).
///
/// Field names follow journald's rules (A–Z, 0–9, `_`, at most 64 bytes); a member whose mapped name is
/// already taken is left out rather than overwriting another.
public enum JournalFields {
    public static func fields(for outgoing: OutgoingAlert, identifier: String) -> [(String, String)] {
        let alert = outgoing.alert
        let resolved = outgoing.status == .resolved
        var fields: [(String, String)] = [
            ("MESSAGE", (resolved ? "resolved: " : "") + alert.textLine),
            ("PRIORITY", String(resolved ? 5 : priority(alert.severity))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("TRAILWATCH_ALERT_ID", alert.id),
            ("TRAILWATCH_RULE", alert.rule),
            ("TRAILWATCH_SEVERITY", alert.severity.rawValue),
            ("TRAILWATCH_STATUS", outgoing.status.rawValue),
            ("TRAILWATCH_COUNT", String(alert.count)),
        ]
        if alert.suppressed > 0 { fields.append(("TRAILWATCH_SUPPRESSED", String(alert.suppressed))) }
        var taken = Set(fields.map(\.0)).union(["TRAILWATCH_JSON"])
        for (prefix, members) in [("TRAILWATCH_GROUP_", alert.group), ("TRAILWATCH_LABEL_", alert.labels)] {
            for member in members {
                let name = fieldName(prefix + member.key)
                guard taken.insert(name).inserted else { continue }
                fields.append((name, member.value.stringValue ?? member.value.description))
            }
        }
        fields.append(("TRAILWATCH_JSON", outgoing.json))
        return fields
    }

    /// Syslog priority of a severity (PRIORITY=, `journalctl -p`).
    public static func priority(_ severity: Severity) -> Int {
        switch severity {
        case .critical: 2  // LOG_CRIT
        case .high: 3      // LOG_ERR
        case .medium: 4    // LOG_WARNING
        case .low: 5       // LOG_NOTICE
        case .info: 6      // LOG_INFO
        }
    }

    /// A valid journal field name (`JournalFieldName`: upper case, `_` for anything else, at most 64 bytes).
    static func fieldName(_ key: String) -> String { JournalFieldName.from(key) }
}
