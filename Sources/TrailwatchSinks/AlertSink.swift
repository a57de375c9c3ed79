import TrailwatchCore

/// Why a delivery failed, and whether trying again can help.
public enum DeliveryError: Error, CustomStringConvertible, Equatable {
    /// A temporary failure (receiver down, timeout, 5xx, 429, disk full): the same alerts are tried again
    /// later, after `after` when the receiver said so (`Retry-After`).
    case retry(String, after: Duration? = nil)
    /// The receiver will never take these alerts (4xx, a bad address): they go to the dead-letter list.
    case permanent(String)

    public var description: String {
        switch self {
        case .retry(let why, _): why
        case .permanent(let why): why
        }
    }
}

/// One alert as a sink receives it.
public struct OutgoingAlert: Sendable, Equatable {
    /// Firing is the alert itself; resolved says its condition has ended (an `absence` group whose awaited
    /// event arrived), for receivers that track incidents (PagerDuty, Alertmanager).
    public enum Status: String, Sendable {
        case firing, resolved
    }

    public var alert: Alert
    /// The alert as one compact JSON object, exactly as `replay` prints it.
    public var json: String
    public var status: Status

    public init(alert: Alert, json: String, status: Status = .firing) {
        self.alert = alert
        self.json = json
        self.status = status
    }
}

/// Where alerts leave trailwatch. A sink builds its payload and transports it, nothing more: retries,
/// ordering, batching and bookkeeping are the dispatcher's, so every sink behaves the same under failure.
public protocol AlertSink: Sendable {
    var name: String { get }
    /// Delivers one notification: a single alert, or several when the sink batches them (storm control).
    /// Succeeds only when the receiver has all of them; throws whether trying again can help.
    func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError)
    /// Most alerts handed to one `deliver` when the sink's policy does not batch: 1 for receivers where each
    /// call is one notification (a webhook, a mail), more where they are lines in a file.
    var alertsPerDelivery: Int { get }
    /// Releases what the sink holds (connections, files).
    func close() async
}

extension AlertSink {
    public var alertsPerDelivery: Int { 1 }
}
