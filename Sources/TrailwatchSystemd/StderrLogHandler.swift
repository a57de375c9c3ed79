import Glibc
import Logging

/// Plain text to stderr (or another descriptor) when no journal is listening, one line per message:
/// `2026-11-21T10:00:00.123Z warning trailwatch: message key=value ...`
///
/// UTC with milliseconds, so lines from a terminal, a pipe or a container log sort and compare without a
/// time zone. Each line is written with a single write(2), so concurrent loggers do not interleave.
public struct StderrLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let fileDescriptor: Int32

    /// `fileDescriptor` is stderr unless a test or a caller wants the lines elsewhere.
    public init(label: String, fileDescriptor: Int32 = STDERR_FILENO, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let merged = MetadataMerge.merge(handler: metadata, provider: metadataProvider, event: event)
        let line = TextLogLine.format(time: now, level: event.level, label: label,
                                      message: "\(event.message)", metadata: merged)
        TextLogLine.write(line + "\n", to: fileDescriptor)
    }
}
