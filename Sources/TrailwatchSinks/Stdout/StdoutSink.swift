import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// `{"type": "stdout", "format": "text"}`
public struct StdoutSinkSettings: SinkSettings {
    /// One JSON object per line (what `replay` prints), or one readable line per alert.
    public enum Format: String, Sendable, CaseIterable {
        case json, text
    }

    public static let type = "stdout"
    public static let members: Set<String> = ["format"]
    public var format: Format

    public init(format: Format) { self.format = format }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        guard let node = block["format"] else {
            format = .json
            return
        }
        guard let format: Format = decoder.decodeChoice(node, at: block.path["format"]) else { return nil }
        self.format = format
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        StdoutSink(name: name, format: format)
    }
}

/// Writes alerts to standard output.
public struct StdoutSink: AlertSink {
    public let name: String
    public let format: StdoutSinkSettings.Format

    public init(name: String, format: StdoutSinkSettings.Format) {
        self.name = name
        self.format = format
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        var text = ""
        for outgoing in alerts where outgoing.status == .firing {
            text += format == .json ? outgoing.json : outgoing.alert.textLine
            text += "\n"
        }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .retry("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            written += n
        }
    }

    /// Lines in one write (and one fsync): many per delivery.
    public var alertsPerDelivery: Int { 1024 }

    public func close() async {}
}
