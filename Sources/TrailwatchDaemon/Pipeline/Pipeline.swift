import Foundation
import Logging
import Synchronization
import TrailwatchCore
import TrailwatchEngine
import TrailwatchReplay
import TrailwatchRules
import TrailwatchSources
import TrailwatchState

/// What the pipeline tells the outside world (systemd in production, tests directly).
public protocol PipelineObserver: AnyObject, Sendable {
    /// A reload starts.
    func reloading()
    /// Running (again) after a reload, successful or not; `status` says which.
    func ready(status: String)
    /// Live counters, every few seconds.
    func status(_ text: String)
    /// The pipeline is making progress: systemd's watchdog may be fed.
    func alive()
}

/// The daemon's unit of work, on one thread: read what the sources have, evaluate it, and commit rule
/// state, alerts and source positions in one transaction. The `Committer` writes the batches in order:
/// one that filled up on its own thread while the next is evaluated, others at once.
///
/// A batch that produced alerts (or resolutions) commits at once: its alerts go out only once they are
/// durable. A batch that produced none waits for a later commit while the stream keeps coming, at most
/// `commit_interval`, and commits as soon as the stream pauses: a crash before then only means reading
/// those events again from the committed positions, which produces the same state and no alert.
///
/// Everything the engine touches stays on the pipeline's thread; other threads only ask for a reload or a
/// stop (`requestReload`, `requestStop`), which wake the thread through a pipe.
public final class Pipeline: @unchecked Sendable {
    /// One configuration's worth of running parts: replaced whole by a successful reload.
    private struct Generation {
        var configuration: DaemonConfiguration
        var evaluator: LiveEvaluator
        var router: AlertRouter
        var sources: [any EventSource]
        var sourceConfigurations: [String: SourceConfiguration]
        var ruleCount: Int
    }

    private let store: StateStore
    private let clock: any WallClock
    private let logger: Logger
    private let dispatcher: Dispatcher?
    private weak var observer: (any PipelineObserver)?
    private let configurationFile: String
    private var generation: Generation!

    // Requests from other threads.
    private let stopRequested = Atomic<Bool>(false)
    private let reloadRequested = Atomic<Bool>(false)
    private let wakeup: LoopWakeup

    // The batch being built.
    private var batchAlerts: [Alert] = []
    private var batchItems = 0
    private var batchStartedAt: Int64 = 0
    private var batchDirty = false
    private var replaceAllRulesAtNextCommit = false
    /// Batches evaluated but not committed yet (they produced no alert): when the first of them started.
    private var uncommittedSince: Int64?
    /// When the last batch closed: the stream counts as paused when no new batch opened within a batch delay.
    private var lastBatchClosedAt: Int64 = 0
    /// Writes closed batches; reading pauses while it is full (commits slower than reading, or failing).
    private let committer: Committer

    // Reporting.
    private var lastStatusAt: Int64 = 0
    private var eventsAtLastStatus = 0
    private var rejectionsLoggedSinceStatus = 0
    private var rejectionsUnloggedSinceStatus = 0
    private var lastProblem: String?
    static let statusIntervalMilliseconds: Int64 = 2000
    static let idleTickMilliseconds: Int64 = 100
    static let rejectionsLoggedPerInterval = 100
    /// Alerts every sink has are kept this long (for inspection), then removed from the outbox.
    static let deliveredRetentionMilliseconds: Int64 = 7 * 86_400_000
    static let pruneIntervalMilliseconds: Int64 = 600_000
    private var lastPruneAt: Int64 = 0
    private var reloadWaitsLogged = false

    /// Batches handed to the committer, and the pipeline thread's CPU time spent preparing them (the
    /// committer counts its own): what durability costs, logged at stop (the benchmark compares it with
    /// evaluation).
    private(set) var commits = 0
    private(set) var commitPreparationCPUNanoseconds: Int64 = 0

    /// Counters for tests and status.
    public var events: Int { generation.evaluator.events }
    public var rejected: Int { generation.evaluator.rejected }
    public var alertsSent: Int { generation.evaluator.engine.alertsSent }
    public var ruleIDs: [String] { generation.evaluator.engine.ruleSet.rules.map(\.id) }

    /// Loads rules, restores saved state and opens the sources: once this returns, the daemon is ready.
    /// Throws `PipelineError.rules` with every rule error when the rules do not load.
    public init(configuration: DaemonConfiguration, store: StateStore, clock: any WallClock, logger: Logger,
                dispatcher: Dispatcher?, observer: (any PipelineObserver)?) throws {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.dispatcher = dispatcher
        self.observer = observer
        configurationFile = configuration.file
        let wakeup = try LoopWakeup()
        self.wakeup = wakeup
        committer = Committer(store: store, dispatcher: dispatcher, logger: logger, onProgress: wakeup.roomMade)

        let saved = try store.load()
        let ruleSet = try Self.compileRules(configuration)
        let engine = Engine(ruleSet: ruleSet)
        let reset = try engine.restore(engine: saved.engine, rules: saved.rules)
        let runningIDs = Set(ruleSet.rules.map(\.id))
        if !saved.rules.isEmpty, !reset.isEmpty || saved.rules.contains(where: { !runningIDs.contains($0.rule) }) {
            // Rules changed while stopped: the first commit rewrites the state of every rule.
            replaceAllRulesAtNextCommit = true
            logger.info("rules changed since the last run; their state starts empty",
                        metadata: ["rules": "\(reset.joined(separator: ","))"])
        }
        engine.trackChanges()
        engine.reportResolutions()
        let evaluator = LiveEvaluator(engine: engine, clock: clock, sequence: saved.sequence, events: saved.events,
                                      rejected: saved.rejected)
        let decoder = JSONDecoder()
        var sources: [any EventSource] = []
        for source in configuration.sources {
            let checkpoint = saved.positions[source.name].flatMap { try? decoder.decode(SourceCheckpoint.self, from: Data($0.utf8)) }
            sources.append(try SourceRegistry.open(source, resumeFrom: checkpoint, logger: logger))
        }
        try store.forgetSources(except: Set(configuration.sources.map(\.name)))
        generation = Generation(
            configuration: configuration, evaluator: evaluator, router: Self.router(configuration, ruleSet),
            sources: sources, sourceConfigurations: Dictionary(uniqueKeysWithValues: configuration.sources.map { ($0.name, $0) }),
            ruleCount: ruleSet.rules.count)
        dispatcher?.use(configuration.sinks)
        logger.info("pipeline open", metadata: [
            "rules": "\(ruleSet.rules.count)", "sources": "\(sources.count)", "events": "\(saved.events)",
        ])
    }

    deinit {
        committer.finish()
    }

    /// The one-line summary systemd shows as the unit's status.
    public var statusLine: String {
        let g = generation!
        var text = "\(g.ruleCount) rules, \(g.sources.count) sources; \(events) events, \(alertsSent) alerts, \(rejected) rejected"
        if let problem = committer.problem ?? lastProblem { text += "; \(problem)" }
        return text
    }

    // MARK: Requests from other threads

    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.poke()
    }

    public func requestReload() {
        reloadRequested.store(true, ordering: .releasing)
        wakeup.poke()
    }

    // MARK: The loop

    /// Runs until `requestStop` (or until every source has ended), then commits what was read.
    public func run() {
        while !stopRequested.load(ordering: .acquiring) {
            if step() == .finished { break }
        }
        flush()
        committer.finish()
        for source in generation.sources { source.close() }
        let written = committer.totals
        logger.notice("pipeline stopped", metadata: [
            "events": "\(events)", "alerts": "\(alertsSent)", "commits": "\(commits)",
            "commit_cpu_ms": "\((commitPreparationCPUNanoseconds + written.cpuNanoseconds) / 1_000_000)",
            "commit_prepare_cpu_ms": "\(commitPreparationCPUNanoseconds / 1_000_000)",
            "longest_commit_us": "\(Int(written.longestWait / .microseconds(1)))",
        ])
    }

    public enum StepResult { case running, finished }

    /// One turn: wait (at most until the next thing is due), read, evaluate, commit when the batch is due.
    /// Tests drive the pipeline with it directly.
    @discardableResult
    public func step(waitMilliseconds: Int64? = nil) -> StepResult {
        if reloadRequested.exchange(false, ordering: .acquiringAndReleasing) { reload() }
        wait(maximum: waitMilliseconds)
        if !committer.isFull {
            advanceWallClock()
            readSources()
            let pipeline = generation.configuration.pipeline, now = monotonicMilliseconds()
            if batchDirty {
                if batchItems >= pipeline.batchMaximumEvents || now - batchStartedAt >= pipeline.batchMaximumDelayMilliseconds {
                    closeBatch(now: now)
                }
            } else if uncommittedSince != nil, now - lastBatchClosedAt >= pipeline.batchMaximumDelayMilliseconds {
                commit()  // the stream paused: durability costs nothing now
            }
        }
        housekeeping()
        if !batchDirty, uncommittedSince == nil, !committer.hasWork, generation.sources.allSatisfy(\.isFinished) {
            return .finished
        }
        return .running
    }

    /// Ends the open batch: commits it now when it has something to deliver or the commit interval is up,
    /// else leaves it for a later commit.
    private func closeBatch(now: Int64) {
        let pipeline = generation.configuration.pipeline
        let since = uncommittedSince ?? batchStartedAt
        if !batchAlerts.isEmpty || generation.evaluator.engine.hasResolutions || replaceAllRulesAtNextCommit
            || now - since >= pipeline.commitIntervalMilliseconds {
            commit()
        } else {
            uncommittedSince = since
            batchItems = 0
            batchDirty = false
            lastBatchClosedAt = now
        }
    }

    /// Commits now what was evaluated and not yet committed, and waits until it is written (at stop and
    /// reload, and for tests); returns early when a write fails (it is retried).
    public func flush() {
        if batchDirty || uncommittedSince != nil { commit() }
        committer.drain()
    }

    /// Waits until every closed batch is written (tests).
    func waitForCommits() { committer.drain() }

    private func nextDueIn() -> Int64 {
        let now = monotonicMilliseconds()
        var due = Self.idleTickMilliseconds
        let delay = generation.configuration.pipeline.batchMaximumDelayMilliseconds
        if batchDirty {
            due = min(due, max(0, batchStartedAt + delay - now))
        } else if uncommittedSince != nil {
            due = min(due, max(0, lastBatchClosedAt + delay - now))
        }
        return due
    }

    /// Waits for data, a request or the next deadline, at most `maximum` milliseconds when given.
    private func wait(maximum: Int64?) {
        var fds = [pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0)]
        // An open batch is committed at its deadline whatever arrives before it, so new data is read then,
        // in one pass: waking for every append (thousands a second on a busy stream) only costs CPU.
        let batchWaits = batchDirty && batchItems < generation.configuration.pipeline.batchMaximumEvents
        // Nothing is read while the committer is full: wait for it to make room (it pokes), not for data.
        // The flag goes up before the check, so a batch written in between still pokes.
        wakeup.waitingForRoom.store(true, ordering: .releasing)
        let full = committer.isFull
        if !full { wakeup.waitingForRoom.store(false, ordering: .releasing) }
        defer { wakeup.waitingForRoom.store(false, ordering: .releasing) }
        for source in generation.sources where !source.isFinished && !batchWaits && !full {
            if let fd = source.wakeDescriptor { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        }
        // While the committer is full nothing is due but room, and it pokes when it makes some.
        let due = full ? Int64(Committer.retryInterval / .milliseconds(1)) : nextDueIn()
        let timeout = min(maximum ?? due, due)
        _ = poll(&fds, nfds_t(fds.count), Int32(clamping: timeout))
        if fds[0].revents & Int16(POLLIN) != 0 { wakeup.drain() }
    }

    private func advanceWallClock() {
        let live = generation.configuration.liveTime
        guard live.wallClock else { return }
        let before = batchAlerts.count
        generation.evaluator.engine.advanceWatermark(to: clock.now() - live.delayMilliseconds, into: &batchAlerts)
        if batchAlerts.count > before { markDirty() }
    }

    private func readSources() {
        let limit = generation.configuration.pipeline.batchMaximumEvents
        for source in generation.sources where !source.isFinished && batchItems < limit {
            do {
                let evaluator = generation.evaluator
                let delivered = try source.read(limit: limit - batchItems) { item in
                    if let rejection = evaluator.evaluate(item, into: &batchAlerts) { report(rejection, source: source.name) }
                }
                if delivered > 0 {
                    markDirty()
                    batchItems += delivered
                }
            } catch {
                logger.error("cannot read source: \(error)", metadata: ["source": "\(source.name)"])
            }
        }
    }

    private func markDirty() {
        if !batchDirty {
            batchDirty = true
            batchStartedAt = monotonicMilliseconds()
        }
    }

    private func report(_ rejection: Rejection, source: String) {
        if rejectionsLoggedSinceStatus < Self.rejectionsLoggedPerInterval {
            rejectionsLoggedSinceStatus += 1
            logger.warning("rejected line: \(rejection.reason)", metadata: [
                "source": "\(source)", "file": "\(rejection.source)", "line": "\(rejection.line)",
            ])
        } else {
            rejectionsUnloggedSinceStatus += 1
        }
    }

    // MARK: Commit

    private func commit() {
        let started = threadCPUNanoseconds()
        // A batch that filled up was cut short of data already there: written beside the next one.
        let filled = batchItems >= generation.configuration.pipeline.batchMaximumEvents
        let g = generation!
        let engine = g.evaluator.engine
        do {
            var positions: [String: String] = [:]
            for source in g.sources { positions[source.name] = CheckpointText.encode(source.checkpoint) }
            let batch = BatchCommit(
                engine: try engine.takeChanges(),
                replacesAllRules: replaceAllRulesAtNextCommit ? try engine.allRuleStates() : nil,
                sequence: g.evaluator.sequence, events: g.evaluator.events, rejected: g.evaluator.rejected,
                alerts: batchAlerts.map { RoutedAlert(alert: $0, sinks: g.router.sinks(for: $0)) },
                resolutions: engine.takeResolutions().map(\.alertID), positions: positions, committedAt: clock.now())
            replaceAllRulesAtNextCommit = false
            for routed in batch.alerts { logAlert(routed) }
            batchAlerts.removeAll(keepingCapacity: true)
            batchItems = 0
            batchDirty = false
            uncommittedSince = nil
            commits += 1
            commitPreparationCPUNanoseconds += threadCPUNanoseconds() - started
            committer.submit(batch, overlap: filled)  // the committer counts the writing
        } catch {
            // Encoding our own state failed: nothing was taken from the engine that a later commit would miss.
            commitPreparationCPUNanoseconds += threadCPUNanoseconds() - started
            logger.critical("cannot prepare the state commit: \(error)")
        }
    }

    /// Each alert in the log too, with its rule and severity as fields (journal: RULE=, SEVERITY=).
    private func logAlert(_ routed: RoutedAlert) {
        let a = routed.alert
        logger.info("alert: \(a.summary.isEmpty ? a.rule : a.summary)", metadata: [
            "rule": "\(a.rule)", "severity": "\(a.severity.rawValue)", "alert": "\(a.id)",
            "sinks": "\(routed.sinks.joined(separator: ","))",
        ])
    }

    // MARK: Status and watchdog

    private func housekeeping() {
        let now = monotonicMilliseconds()
        // Fed only from here: if the loop is stuck, systemd's watchdog is not, and it restarts the daemon.
        observer?.alive()
        if now - lastPruneAt >= Self.pruneIntervalMilliseconds {
            lastPruneAt = now
            do {
                let removed = try store.pruneDelivered(before: clock.now() - Self.deliveredRetentionMilliseconds)
                if removed > 0 { logger.info("removed \(removed) delivered alerts older than 7 days from the outbox") }
            } catch {
                logger.warning("cannot prune the outbox: \(error)")
            }
        }
        if now - lastStatusAt >= Self.statusIntervalMilliseconds {
            let seconds = Double(max(1, now - lastStatusAt)) / 1000
            let rate = lastStatusAt == 0 ? 0 : Double(events - eventsAtLastStatus) / seconds
            lastStatusAt = now
            eventsAtLastStatus = events
            if rejectionsUnloggedSinceStatus > 0 {
                logger.warning("\(rejectionsUnloggedSinceStatus) more rejected lines not logged one by one")
            }
            rejectionsLoggedSinceStatus = 0
            rejectionsUnloggedSinceStatus = 0
            var text = "\(Int(rate.rounded())) events/s; " + statusLine
            if let watermark = generation.evaluator.engine.watermark {
                text += "; lag \(DurationText.format(max(0, clock.now() - watermark)))"
            }
            observer?.status(text)
        }
    }

    // MARK: Reload

    /// Applies the configuration file and rules anew; on any error keeps running the old ones.
    private func reload() {
        flush()
        if committer.hasWork {
            // Commits are failing: sources reopened now would start from positions behind the queued
            // batches, and forgetting a removed source would be undone when they land. Tried again each turn.
            reloadRequested.store(true, ordering: .releasing)
            if !reloadWaitsLogged { logger.warning("reload waits until state commits work again") }
            reloadWaitsLogged = true
            return
        }
        reloadWaitsLogged = false
        observer?.reloading()
        logger.info("reloading", metadata: ["config": "\(configurationFile)"])
        let old = generation!
        do {
            let configuration = try ConfigurationLoader.load(file: configurationFile)
            let ruleSet = try Self.compileRules(configuration)
            let engine = Engine(ruleSet: ruleSet)
            let reset = try engine.restore(old.evaluator.engine.snapshot())
            engine.trackChanges()
            engine.reportResolutions()
            if configuration.stateDirectory != old.configuration.stateDirectory {
                logger.warning("state_directory changes take effect at the next start")
            }
            // Sources whose configuration is unchanged keep their open files and positions.
            var sources: [any EventSource] = []
            var kept = Set<String>()
            let decoder = JSONDecoder()
            let saved = try store.positions()
            for source in configuration.sources {
                if old.sourceConfigurations[source.name] == source,
                   let running = old.sources.first(where: { $0.name == source.name }) {
                    sources.append(running)
                    kept.insert(source.name)
                } else {
                    let checkpoint = saved[source.name].flatMap { try? decoder.decode(SourceCheckpoint.self, from: Data($0.utf8)) }
                    sources.append(try SourceRegistry.open(source, resumeFrom: checkpoint, logger: logger))
                }
            }
            for source in old.sources where !kept.contains(source.name) { source.close() }
            try store.forgetSources(except: Set(configuration.sources.map(\.name)))
            let evaluator = LiveEvaluator(engine: engine, clock: clock, sequence: old.evaluator.sequence,
                                          events: old.evaluator.events, rejected: old.evaluator.rejected)
            generation = Generation(
                configuration: configuration, evaluator: evaluator, router: Self.router(configuration, ruleSet),
                sources: sources,
                sourceConfigurations: Dictionary(uniqueKeysWithValues: configuration.sources.map { ($0.name, $0) }),
                ruleCount: ruleSet.rules.count)
            replaceAllRulesAtNextCommit = true
            markDirty()
            dispatcher?.use(configuration.sinks)
            lastProblem = nil
            logger.info("reloaded", metadata: [
                "rules": "\(ruleSet.rules.count)", "reset": "\(reset.joined(separator: ","))",
                "sources": "\(sources.count)",
            ])
            observer?.ready(status: "reloaded; " + statusLine)
        } catch let error as Diagnostics {
            reloadFailed(error.items.map(\.description))
        } catch let error as PipelineError {
            reloadFailed(error.lines)
        } catch {
            reloadFailed(["\(error)"])
        }
    }

    private func reloadFailed(_ errors: [String]) {
        for line in errors { logger.error("reload: \(line)") }
        lastProblem = "reload failed with \(errors.count) error\(errors.count == 1 ? "" : "s"), running the previous configuration"
        logger.error("reload failed: still running the previous configuration and rules")
        observer?.ready(status: statusLine)
    }

    // MARK: Building parts

    /// Loads and compiles the configured rules; a rule naming a sink that is not configured is an error too.
    static func compileRules(_ configuration: DaemonConfiguration) throws -> CompiledRuleSet {
        let definitions: [RuleDefinition]
        do {
            definitions = try RuleLoader.load(paths: configuration.rules)
        } catch {
            throw PipelineError.rules(error.items.map(\.description))
        }
        let unknown = RuleSinkCheck.unknownSinks(definitions, sinkNames: configuration.sinks.map(\.name))
        guard unknown.isEmpty else { throw PipelineError.rules(unknown.map(\.description)) }
        return CompiledRuleSet(definitions)
    }

    static func router(_ configuration: DaemonConfiguration, _ ruleSet: CompiledRuleSet) -> AlertRouter {
        var ruleSinks: [String: [String]] = [:]
        for rule in ruleSet.rules { if let sinks = rule.definition.sinks { ruleSinks[rule.id] = sinks } }
        return AlertRouter(routes: configuration.routes, defaultSinks: configuration.defaultSinks, ruleSinks: ruleSinks)
    }
}

/// Why the pipeline could not start or reload.
public enum PipelineError: Error, CustomStringConvertible {
    case rules([String])
    case system(String, Int32)

    public var lines: [String] {
        switch self {
        case .rules(let errors): errors
        case .system(let call, let code): ["\(call): \(String(cString: strerror(code)))"]
        }
    }

    public var description: String { lines.joined(separator: "\n") }
}
