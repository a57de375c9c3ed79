import TrailwatchCore
import TrailwatchState

/// Why a delivery failed, and whether trying again can help.
public enum DeliveryError: Error, CustomStringConvertible {
    /// A temporary failure (receiver down, disk full): the same alerts are tried again later.
    case retry(String, after: Duration? = nil)
    /// The receiver will never take these alerts: they go to the dead-letter list.
    case permanent(String)

    public var description: String {
        switch self {
        case .retry(let why, _): why
        case .permanent(let why): why
        }
    }
}

/// Where alerts leave trailwatch. A sink only transports: retries, ordering and bookkeeping are the
/// dispatcher's, so every sink behaves the same under failure.
public protocol AlertSink: Sendable {
    var name: String { get }
    /// Delivers alerts in outbox order; succeeds only when all of them are with the receiver.
    func deliver(_ deliveries: [PendingDelivery]) async throws(DeliveryError)
    /// Releases what the sink holds (files, connections).
    func close() async
}
