import Logging
import TrailwatchConfiguration

/// A sink type's own configuration: decoded and validated from its block (unknown members are errors,
/// secrets only from files or credentials), then turned into a running sink.
///
/// Adding a sink is its folder (settings, a pure payload builder, the transport) plus one line in `SinkTypes`.
public protocol SinkSettings: ConfigurationBlock, Equatable {
    /// The block's `"type"`.
    static var type: String { get }
    /// The sink these settings describe; `name` is the block's `"name"`.
    func makeSink(name: String, context: SinkContext) throws -> any AlertSink
    /// The file the sink writes, if any: a configuration may not read it as a source or write it twice.
    var writesFile: String? { get }
}

extension SinkSettings {
    public var writesFile: String? { nil }

    /// Equality across sink types (configurations compare their sinks on reload and in tests).
    public func isEqual(to other: any SinkSettings) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}

/// What a sink may use besides its settings.
public struct SinkContext: Sendable {
    public var logger: Logger
    /// The process environment (secrets from systemd credentials: `$CREDENTIALS_DIRECTORY`).
    public var environment: [String: String]

    public init(logger: Logger, environment: [String: String]) {
        self.logger = logger
        self.environment = environment
    }
}
