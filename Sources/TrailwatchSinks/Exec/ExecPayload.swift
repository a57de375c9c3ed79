import TrailwatchCore

/// What the `exec` sink gives its program: a pure function of the alerts, tested against golden files.
///
/// Standard input is the firing alerts as JSON lines: each alert's JSON object exactly as `replay` prints
/// it and the `file` sink writes it, one per line, newline-terminated — one line for a single alert, one
/// line per alert for a batch (storm control), so a program reads it the same way in both cases
/// (`while read -r line`, `jq -c`). Resolved alerts are not sent (the alert JSON has no status).
///
/// The environment adds `TRAILWATCH_SINK` (the sink's name), `TRAILWATCH_ALERT_COUNT` and
/// `TRAILWATCH_ALERT_IDS` (space-separated) to the configured `env` and the daemon's own variables (minus
/// those systemd addresses to the daemon itself: `NOTIFY_SOCKET`, `WATCHDOG_*`, `LISTEN_*`).
public enum ExecPayload {
    public struct Invocation: Sendable, Equatable {
        public var arguments: [String]
        public var environment: [String: String]
        public var standardInput: [UInt8]
    }

    /// Variables the daemon gets from systemd that mean nothing to (or could confuse) a child.
    static let withheld: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID", "LISTEN_FDS",
                                        "LISTEN_FDNAMES"]

    /// Nil when no alert is firing (nothing to run).
    public static func invocation(_ alerts: [OutgoingAlert], sink: String, settings: ExecSinkSettings,
                                  inherited: [String: String]) -> Invocation? {
        let firing = alerts.filter { $0.status == .firing }
        guard !firing.isEmpty else { return nil }
        var input: [UInt8] = []
        for outgoing in firing {
            input.append(contentsOf: outgoing.json.utf8)
            input.append(0x0A)
        }
        var environment = inherited.filter { !withheld.contains($0.key) }
        environment.merge(settings.environment) { _, configured in configured }
        environment["TRAILWATCH_SINK"] = sink
        environment["TRAILWATCH_ALERT_COUNT"] = String(firing.count)
        environment["TRAILWATCH_ALERT_IDS"] = firing.map(\.alert.id).joined(separator: " ")
        return Invocation(arguments: settings.command, environment: environment, standardInput: input)
    }
}
