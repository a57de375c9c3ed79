import CSystemd
import Glibc
import Logging

/// A swift-log `LogHandler` writing to the journal with structured fields, so operators can filter with
/// `journalctl RULE=… SOURCE=…` instead of parsing text.
///
/// Each message carries MESSAGE, PRIORITY (from the level), SYSLOG_IDENTIFIER, LOGGER (the logger's label),
/// CODE_FILE/CODE_LINE/CODE_FUNC, and every metadata key as an upper-cased field (`rule` → `RULE=`); see
/// `JournalFieldName` for how invalid names are mapped. A key that would clash with one of those fixed
/// fields gets the `X_` prefix (`message` → `X_MESSAGE=`). Writes go through `sd_journal_sendv`, which is
/// thread-safe and carries newlines in values intact.
public struct JournalLogHandler: LogHandler {
    /// Fields this handler sets itself; metadata may not overwrite them.
    static let reservedFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "LOGGER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    public let label: String
    public let identifier: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// `identifier` becomes SYSLOG_IDENTIFIER (what `journalctl -t` and the short output show).
    public init(label: String, identifier: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = MetadataMerge.merge(handler: metadata, provider: metadataProvider, event: event)
        Self.send(fields(for: event, metadata: merged))
    }

    /// The `KEY=value` fields of one entry, fixed fields first, metadata sorted by key.
    func fields(for event: LogEvent, metadata: Logger.Metadata) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(JournalPriority.from(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "LOGGER=\(label)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var name = JournalFieldName.from(key)
            if Self.reservedFields.contains(name) { name = String(("X_" + name).prefix(JournalFieldName.maximumLength)) }
            fields.append("\(name)=\(value)")
        }
        return fields
    }

    /// Sends one entry (`KEY=value` strings); see `JournalWriter.send`.
    @discardableResult
    static func send(_ fields: [String]) -> Int32 { JournalWriter.send(fields) }
}
