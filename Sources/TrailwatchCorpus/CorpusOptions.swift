/// Settings for one generated event log; the same options always give byte-identical output, so corpora never need to be stored.
public struct CorpusOptions: Sendable, Equatable, Hashable {
    /// Seeds every random choice (entities, event mix, incidents), so a seed names a reproducible corpus.
    public var seed: UInt64
    /// Number of lines to write, so callers size a corpus exactly (scheduled backups and incidents count towards it).
    public var events: Int
    /// Milliseconds since the Unix epoch of the first event, so a corpus can be placed anywhere in time.
    public var start: Int64
    /// Mean spacing of events in milliseconds (gaps are exponential), which sets how much time the corpus spans.
    public var meanGapMilliseconds: Int64
    /// Whether to plant incidents, so a clean background stream is also available (no rule should fire on it).
    public var incidents: Bool

    /// 2026-03-01T00:00:00Z in milliseconds: a fixed default start keeps default corpora reproducible.
    public static let defaultStart: Int64 = 1_772_323_200_000

    /// Default spacing: 250 ms, so the 1M-event benchmark corpus spans about 69 hours (more than the 26 h backup window).
    public static let defaultMeanGapMilliseconds: Int64 = 250

    /// Makes options; the defaults give a small reproducible corpus for quick tests.
    public init(
        seed: UInt64 = 42,
        events: Int = 1000,
        start: Int64 = CorpusOptions.defaultStart,
        meanGapMilliseconds: Int64 = CorpusOptions.defaultMeanGapMilliseconds,
        incidents: Bool = true
    ) {
        self.seed = seed
        self.events = events
        self.start = start
        self.meanGapMilliseconds = meanGapMilliseconds
        self.incidents = incidents
    }

    /// The options of `samples/activity-tracker.jsonl` (2,500 events over about 72 hours), so the demo can be regenerated and checked.
    public static let demoSample = CorpusOptions(seed: 7, events: 2500, meanGapMilliseconds: 103_680)

    /// The options of the throughput benchmark corpus (1,000,000 events over about 69 hours), so every benchmark run reads the same bytes.
    public static let benchmark = CorpusOptions(seed: 42, events: 1_000_000)

    /// The time span the options aim for (`events × meanGapMilliseconds`), so callers can tell whether time-based incidents fit.
    public var plannedSpanMilliseconds: Int64 {
        Int64(max(events, 0)) &* max(meanGapMilliseconds, 1)
    }
}

/// How many incidents of each kind were written, so tests and reports can compare alerts with what was planted.
///
/// An incident is counted when the event that makes it detectable is written (its only or last event, or the
/// 5th and 21st failure of a burst); once started, an incident is always written completely, and one that would
/// not fit in the remaining events is left out whole. Kinds are defined in `samples/README.md`.
public struct PlantedIncidents: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Bursts of 5–8 failed database password updates (`user-password.update` / `deployment-user.update`) by one initiator on one deployment within 10 minutes, the brute-force pattern.
    public var passwordFailureBursts = 0
    /// Real denies on a database (failure, 403, critical, `requestData.dry_run` false), which need investigation unlike console probes.
    public var realDenies = 0
    /// Failed scheduled backups (`backup-scheduled.create` / `deployment-backup-scheduled.create`), the alert Cloud Databases recommends.
    public var failedScheduledBackups = 0
    /// Failed on-demand backups (`backup-ondemand.create` / `deployment-backup.create`, not a 403 deny), a data-protection gap.
    public var failedOnDemandBackups = 0
    /// Deployments whose scheduled backups stop, counted once the stream runs more than 26 h past their last one, the absence case.
    public var stoppedScheduledBackups = 0
    /// Failed restores (`backup.restore`, not a 403 deny), which matter during recovery.
    public var failedRestores = 0
    /// Successful allowlist changes (`whitelisted-ips-list.update` / `deployment-allowlist-ip-addresses.update`), a network exposure change.
    public var allowlistChanges = 0
    /// Of `allowlistChanges`, those whose `requestData` opens the allowlist to `0.0.0.0/0`, the critical case.
    public var allowlistOpenedToWorld = 0
    /// Successful service-endpoint changes (`serviceendpoints.update` / `deployment.update`), another exposure change.
    public var serviceEndpointChanges = 0
    /// Database users created and deleted again within an hour on one deployment, a cover-your-tracks sequence.
    public var usersCreatedThenDeleted = 0
    /// Failed scaling or autoscaling operations (not a 403 deny), a capacity risk.
    public var scalingFailures = 0
    /// Successful load balancer deletions (`is.load-balancer.load-balancer.delete`), an outage risk.
    public var loadBalancersDeleted = 0
    /// Successful listener deletions (`is.load-balancer.load-balancer-listener.delete`), an outage risk.
    public var listenersDeleted = 0
    /// Failed load balancer operations (any `is.load-balancer.*` failure), which the background never contains.
    public var loadBalancerFailures = 0
    /// Bursts of 21–24 failed IAM API-key logins within 30 minutes on one account, a credential-stuffing pattern.
    public var failedLoginBursts = 0
    /// Successful API-key logins from a source address never seen before for that key, at least 24 h into the stream, a stolen-key signal.
    public var newSourceLogins = 0

    /// Makes an empty count, so a generator starts from zero.
    public init() {}

    /// Every kind with its count, in a fixed order, so reports can print one line per kind.
    public var counts: [(kind: String, count: Int)] {
        [
            ("passwordFailureBursts", passwordFailureBursts),
            ("realDenies", realDenies),
            ("failedScheduledBackups", failedScheduledBackups),
            ("failedOnDemandBackups", failedOnDemandBackups),
            ("stoppedScheduledBackups", stoppedScheduledBackups),
            ("failedRestores", failedRestores),
            ("allowlistChanges", allowlistChanges),
            ("allowlistOpenedToWorld", allowlistOpenedToWorld),
            ("serviceEndpointChanges", serviceEndpointChanges),
            ("usersCreatedThenDeleted", usersCreatedThenDeleted),
            ("scalingFailures", scalingFailures),
            ("loadBalancersDeleted", loadBalancersDeleted),
            ("listenersDeleted", listenersDeleted),
            ("loadBalancerFailures", loadBalancerFailures),
            ("failedLoginBursts", failedLoginBursts),
            ("newSourceLogins", newSourceLogins),
        ]
    }

    /// Number of incidents of all kinds (`allowlistOpenedToWorld` is a subset and not added twice), for a one-line summary.
    public var total: Int {
        counts.reduce(0) { $0 + ($1.kind == "allowlistOpenedToWorld" ? 0 : $1.count) }
    }

    /// One `kind=count` pair per kind, so a report line is easy to read and to diff.
    public var description: String {
        counts.map { "\($0.kind)=\($0.count)" }.joined(separator: " ")
    }
}
