/// How urgent an alert is; routing and receivers (PagerDuty, the journal) map it to their own levels.
public enum Severity: String, CaseIterable, Sendable, Codable, Comparable {
    case critical, high, medium, low, info

    /// Most urgent first, so `critical < high` sorts the way people read a list of alerts.
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }

    var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .medium: 2
        case .low: 3
        case .info: 4
        }
    }
}
