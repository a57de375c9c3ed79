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
