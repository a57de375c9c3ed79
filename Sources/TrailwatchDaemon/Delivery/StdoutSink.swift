import Foundation
import TrailwatchCore
import TrailwatchState

/// Writes alerts to standard output: JSON lines, or one readable line each (`format: text`).
public struct StdoutSink: AlertSink {
    public let name: String
    public let format: SinkConfiguration.OutputFormat

    public init(name: String, format: SinkConfiguration.OutputFormat) {
        self.name = name
        self.format = format
    }

    public func deliver(_ deliveries: [PendingDelivery]) async throws(DeliveryError) {
        var text = ""
        for delivery in deliveries {
            switch format {
            case .json: text += delivery.body
            case .text: text += Alert(jsonText: delivery.body)?.textLine ?? delivery.body
            }
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

    public func close() async {}
}
