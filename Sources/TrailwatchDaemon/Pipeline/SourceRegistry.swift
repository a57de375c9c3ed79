import Logging
import TrailwatchSources

/// Opens the configured sources: the one place that knows every source type (one line per type).
enum SourceRegistry {
    static func open(_ configuration: SourceConfiguration, resumeFrom checkpoint: SourceCheckpoint?,
                     logger: Logger) throws -> any EventSource {
        var logger = logger
        logger[metadataKey: "source"] = "\(configuration.name)"
        let limits = SourceLimits(maximumLineBytes: configuration.maximumLineBytes)
        switch configuration.kind {
        case .file(let paths, let startAt):
            return try FileSource(name: configuration.name, patterns: paths,
                                  startAt: startAt == .end ? .end : .beginning, limits: limits,
                                  resumeFrom: checkpoint, logger: logger)
        case .stdin:
            return StdinSource(name: configuration.name, fileDescriptor: 0, limits: limits, logger: logger)
        }
    }
}

/// Builds the configured sinks: the one place that knows every sink type.
enum SinkRegistry {
    static func make(_ configuration: SinkConfiguration) -> any AlertSink {
        switch configuration.kind {
        case .file(let path): FileSink(name: configuration.name, path: path)
        case .stdout(let format): StdoutSink(name: configuration.name, format: format)
        }
    }
}
