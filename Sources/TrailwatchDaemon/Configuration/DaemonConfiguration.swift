import TrailwatchCore
import TrailwatchSinks

/// The daemon's whole configuration: one JSON file (`/etc/trailwatch/trailwatch.json` by default).
///
/// Relative paths in it are resolved against the directory of the configuration file, so a configuration
/// and its rules can move together.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the configuration was read from (absolute).
    public var file: String
    /// Rule files and directories, as `replay --rules` takes them.
    public var rules: [String]
    /// Holds `state.sqlite`: rule state, source positions and the alert outbox.
    public var stateDirectory: String
    public var sources: [SourceConfiguration]
    public var sinks: [SinkConfiguration]
    /// Evaluated in order; the first route that matches decides (unless it says `continue`).
    public var routes: [RouteConfiguration]
    /// Sinks for an alert no route matched: an alert never goes nowhere.
    public var defaultSinks: [String]
    public var pipeline: PipelineConfiguration
    public var liveTime: LiveTimeConfiguration

    public init(file: String, rules: [String], stateDirectory: String, sources: [SourceConfiguration],
                sinks: [SinkConfiguration], routes: [RouteConfiguration], defaultSinks: [String],
                pipeline: PipelineConfiguration = .init(), liveTime: LiveTimeConfiguration = .init()) {
        self.file = file
        self.rules = rules
        self.stateDirectory = stateDirectory
        self.sources = sources
        self.sinks = sinks
        self.routes = routes
        self.defaultSinks = defaultSinks
        self.pipeline = pipeline
        self.liveTime = liveTime
    }
}

/// One event source (`"type"` picks the kind).
public struct SourceConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// JSON-lines files followed like `tail -F`: paths or globs (`*`, `?`, `[...]` in the file name part).
        case file(paths: [String], startAt: StartPosition)
        /// Standard input; the daemon keeps running after its end when other sources remain.
        case stdin
    }

    /// Where a file never seen before is first read from.
    public enum StartPosition: String, Sendable, Equatable {
        case beginning, end
    }

    /// Unique among sources; names events without an `id` (`<name>:<line>`) and keys the saved position.
    public var name: String
    public var kind: Kind
    /// Longest line accepted (default 1 MiB); a longer one is rejected with its place and the stream goes on.
    public var maximumLineBytes: Int

    public init(name: String, kind: Kind, maximumLineBytes: Int = 1 << 20) {
        self.name = name
        self.kind = kind
        self.maximumLineBytes = maximumLineBytes
    }
}

/// One notification sink: its name and its type's own settings (see `SinkTypes`).
public struct SinkConfiguration: Sendable, Equatable {
    /// Unique among sinks; routes and rules' `sinks` name it.
    public var name: String
    public var settings: any SinkSettings
    /// Retries, dead letters and batching: the same members for every sink type.
    public var delivery: DeliveryPolicy

    public init(name: String, settings: any SinkSettings, delivery: DeliveryPolicy = .init()) {
        self.name = name
        self.settings = settings
        self.delivery = delivery
    }

    public static func == (a: SinkConfiguration, b: SinkConfiguration) -> Bool {
        a.name == b.name && a.settings.isEqual(to: b.settings) && a.delivery == b.delivery
    }
}

/// How the dispatcher treats one sink: when to give up on an alert, and whether to batch alerts.
public struct DeliveryPolicy: Sendable, Equatable {
    /// Attempts before an alert goes to the dead-letter list.
    public var maximumAttempts: Int
    /// Age (milliseconds since the alert was produced) after which a failing alert goes to the dead-letter list.
    public var maximumAgeMilliseconds: Int64
    /// Storm control: alerts produced within this many milliseconds of the first waiting one go out as one
    /// notification ("12 alerts from 3 rules"); nil sends each alert on its own.
    public var batchWindowMilliseconds: Int64?
    /// Most alerts in one batched notification.
    public var batchMaximumAlerts: Int

    public init(maximumAttempts: Int = 12, maximumAgeMilliseconds: Int64 = 86_400_000,
                batchWindowMilliseconds: Int64? = nil, batchMaximumAlerts: Int = 100) {
        self.maximumAttempts = maximumAttempts
        self.maximumAgeMilliseconds = maximumAgeMilliseconds
        self.batchWindowMilliseconds = batchWindowMilliseconds
        self.batchMaximumAlerts = batchMaximumAlerts
    }
}

/// Sends alerts that match every given criterion to `sinks`.
public struct RouteConfiguration: Sendable, Equatable {
    public var sinks: [String]
    /// Any of these severities; nil matches all.
    public var severities: [Severity]?
    /// Rule id globs (`*`, `?`); nil matches all.
    public var rules: [String]?
    /// Labels the alert must carry with exactly these values.
    public var labels: [String: String]
    /// Keep evaluating later routes after this one matched.
    public var `continue`: Bool

    public init(sinks: [String], severities: [Severity]? = nil, rules: [String]? = nil, labels: [String: String] = [:],
                continue: Bool = false) {
        self.sinks = sinks
        self.severities = severities
        self.rules = rules
        self.labels = labels
        self.continue = `continue`
    }
}

/// How events are grouped into units of work (batches, each read and evaluated in one go) and how often
/// their results are made durable.
public struct PipelineConfiguration: Sendable, Equatable {
    /// Most events in one batch.
    public var batchMaximumEvents: Int
    /// Longest an event waits for its batch to fill, in milliseconds.
    public var batchMaximumDelayMilliseconds: Int64
    /// Longest a batch that produced no alert waits for its durable commit, in milliseconds, while the
    /// stream keeps coming; 0 commits every batch. A batch with alerts or resolutions commits at once.
    public var commitIntervalMilliseconds: Int64

    public init(batchMaximumEvents: Int = 4096, batchMaximumDelayMilliseconds: Int64 = 5,
                commitIntervalMilliseconds: Int64 = 1000) {
        self.batchMaximumEvents = batchMaximumEvents
        self.batchMaximumDelayMilliseconds = batchMaximumDelayMilliseconds
        self.commitIntervalMilliseconds = commitIntervalMilliseconds
    }
}

/// How the wall clock drives `absence` deadlines when streams go quiet (rules.md §5: live, the watermark is the clock).
public struct LiveTimeConfiguration: Sendable, Equatable {
    /// When false, only event time moves the watermark, exactly as in replay.
    public var wallClock: Bool
    /// The watermark follows the clock this far behind (milliseconds), allowing for delivery delay of events.
    public var delayMilliseconds: Int64

    public init(wallClock: Bool = true, delayMilliseconds: Int64 = 60_000) {
        self.wallClock = wallClock
        self.delayMilliseconds = delayMilliseconds
    }
}
