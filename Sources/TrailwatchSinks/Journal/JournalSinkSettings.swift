import TrailwatchConfiguration

/// `{"type": "journal", "identifier": "trailwatch"}`
///
/// `identifier` is the entries' SYSLOG_IDENTIFIER (`journalctl -t trailwatch`); default `trailwatch`.
public struct JournalSinkSettings: SinkSettings {
    public static let type = "journal"
    public static let members: Set<String> = ["identifier"]
    public var identifier: String

    public init(identifier: String = "trailwatch") { self.identifier = identifier }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        guard let node = block["identifier"] else {
            identifier = "trailwatch"
            return
        }
        guard let identifier = decoder.decodeNonEmptyString(node, at: block.path["identifier"]) else { return nil }
        guard identifier.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            decoder.report(node.location, block.path["identifier"], "\(node.shortText) must be printable ASCII without spaces")
            return nil
        }
        self.identifier = identifier
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        JournalSink(name: name, identifier: identifier)
    }
}
