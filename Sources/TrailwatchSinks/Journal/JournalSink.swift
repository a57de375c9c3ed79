import TrailwatchSystemd
import Glibc
import TrailwatchCore

/// Writes each alert to the journal as one entry with structured fields (see `JournalFields`), through
/// `sd_journal_sendv`: native protocol, so values may hold newlines and `journalctl TRAILWATCH_RULE=…` filters.
///
/// A failed write (journald's socket missing or full) is a *retry*. When no journald listens at all,
/// libsystemd drops entries without an error, as it does for the daemon's own log.
public struct JournalSink: AlertSink {
    public let name: String
    public let identifier: String

    public init(name: String, identifier: String) {
        self.name = name
        self.identifier = identifier
    }

    /// Entries are written one by one; many per delivery.
    public var alertsPerDelivery: Int { 256 }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        for outgoing in alerts {
            let result = Self.send(JournalFields.fields(for: outgoing, identifier: identifier))
            if result < 0 {
                throw .retry("cannot write to the journal: \(String(cString: strerror(-result)))")
            }
        }
    }

    public func close() async {}

    /// One `sd_journal_sendv` call; its result (a negative errno on failure).
    static func send(_ fields: [(String, String)]) -> Int32 { JournalWriter.send(fields) }
}
