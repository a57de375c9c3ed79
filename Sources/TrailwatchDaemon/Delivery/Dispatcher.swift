import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrailwatchCore
import TrailwatchSinks
import TrailwatchState

/// Delivers the outbox to sinks: one worker per sink, each in outbox order, so a sink that keeps failing
/// holds back only itself. An alert leaves a sink's queue only once the sink has it, or once it is moved to
/// the dead-letter list (too many attempts, too old, refused for good).
public final class Dispatcher: Service, Sendable {
    private let store: StateStore
    private let clock: any WallClock
    private let logger: Logger
    private let environment: [String: String]
    private let commands: AsyncStream<[SinkConfiguration]>
    private let configure: AsyncStream<[SinkConfiguration]>.Continuation
    private let workers = Mutex<[String: SinkWorker]>([:])
    /// How long a stop waits for pending deliveries before leaving them for the next start.
    let drainTimeout: Duration

    public init(store: StateStore, clock: any WallClock, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment, drainTimeout: Duration = .seconds(5)) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.environment = environment
        self.drainTimeout = drainTimeout
        (commands, configure) = AsyncStream.makeStream(of: [SinkConfiguration].self)
    }

    /// Replaces the set of sinks (at start and after a reload); a sink whose configuration is unchanged
    /// keeps its worker (and its backoff).
    public func use(_ sinks: [SinkConfiguration]) {
        configure.yield(sinks)
    }

    /// New alerts are in the outbox.
    public func wake() {
        for worker in workers.withLock({ Array($0.values) }) { worker.wakeup.signal() }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await sinks in commands {
                    for worker in reconfigure(sinks) { group.addTask { await worker.run() } }
                }
                for worker in workers.withLock({ Array($0.values) }) { worker.finish(drainFor: drainTimeout) }
            }
        } onGracefulShutdown: {
            self.configure.finish()
        }
    }

    /// Stops the workers of removed or changed sinks and returns the new workers to start.
    private func reconfigure(_ sinks: [SinkConfiguration]) -> [SinkWorker] {
        var built: [SinkWorker] = []
        let stopped = workers.withLock { current -> [SinkWorker] in
            var stopped: [SinkWorker] = []
            let wanted = Dictionary(sinks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for (name, worker) in current where wanted[name] != worker.configuration {
                stopped.append(worker)
                current[name] = nil
            }
            for configuration in sinks where current[configuration.name] == nil {
                var sinkLogger = logger
                sinkLogger[metadataKey: "sink"] = "\(configuration.name)"
                do {
                    let sink = try configuration.settings.makeSink(
                        name: configuration.name, context: SinkContext(logger: sinkLogger, environment: environment))
                    let worker = SinkWorker(configuration: configuration, sink: sink, store: store, clock: clock,
                                            logger: sinkLogger)
                    current[configuration.name] = worker
                    built.append(worker)
                } catch {
                    // Its alerts stay pending in the outbox until a reload or restart gives it a working setup.
                    sinkLogger.error("cannot start the sink; its alerts wait in the outbox: \(error)")
                }
            }
            return stopped
        }
        for worker in stopped { worker.finish(drainFor: .zero) }
        return built
    }
}

/// Delivers one sink's pending alerts in order: batching when the sink's policy says so, exponential
/// backoff with jitter (or the receiver's `Retry-After`) on failure, dead letters past the policy's limits.
final class SinkWorker: Sendable {
    let configuration: SinkConfiguration
    let sink: any AlertSink
    let wakeup = Wakeup()
    private let store: StateStore
    private let clock: any WallClock
    private let logger: Logger
    /// Set when the worker should stop: the instant (monotonic ms) after which it gives up draining.
    private let stopAt = Mutex<Int64?>(nil)
    /// While idle, the worker also looks at the outbox this often (dead letters put back by `trailwatch outbox retry`).
    static let idleRecheck: Duration = .seconds(5)
    static let longestRetryAfter: Int64 = 3_600_000

    init(configuration: SinkConfiguration, sink: any AlertSink, store: StateStore, clock: any WallClock, logger: Logger) {
        self.configuration = configuration
        self.sink = sink
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    func finish(drainFor timeout: Duration) {
        stopAt.withLock { $0 = monotonicMilliseconds() + timeout.milliseconds }
        wakeup.signal()
    }

    func run() async {
        let policy = configuration.delivery
        var failures = 0
        var retryAt: Int64?  // monotonic ms: after a failure, new alerts do not cut the backoff short
        deliveries: while true {
            let stopping = stopAt.withLock { $0 }
            if let stopping, monotonicMilliseconds() >= stopping { break }
            if let retryAt, stopping == nil, case let wait = retryAt - monotonicMilliseconds(), wait > 0 {
                await wakeup.wait(timeout: .milliseconds(wait))
                continue
            }
            let most = policy.batchWindowMilliseconds == nil ? sink.alertsPerDelivery : policy.batchMaximumAlerts
            let pending: [PendingDelivery]
            do {
                pending = try store.pendingDeliveries(sink: sink.name, limit: most)
            } catch {
                logger.error("cannot read the outbox: \(error)")
                await wakeup.wait(timeout: .seconds(1))
                continue
            }
            if pending.isEmpty {
                if stopping != nil { break }
                await wakeup.wait(timeout: Self.idleRecheck)
                continue
            }
            // Storm control: wait for the window of the oldest waiting alert to close, unless the batch is full.
            if let window = policy.batchWindowMilliseconds, stopping == nil, pending.count < most,
               case let wait = pending[0].createdAt + window - clock.now(), wait > 0 {
                await wakeup.wait(timeout: .milliseconds(wait))
                continue
            }
            var outgoing: [OutgoingAlert] = []
            var corrupt: [Int64] = []
            for delivery in pending {
                if let alert = Alert(jsonText: delivery.body) {
                    outgoing.append(OutgoingAlert(alert: alert, json: delivery.body, status: delivery.firing ? .firing : .resolved))
                } else {
                    corrupt.append(delivery.seq)
                }
            }
            if !corrupt.isEmpty {
                logger.error("outbox rows that are not alerts moved to the dead-letter list", metadata: ["seq": "\(corrupt)"])
                try? store.recordFailure(sink: sink.name, seqs: corrupt, error: "not an alert", at: clock.now(),
                                         dead: Set(corrupt))
                continue
            }
            let seqs = pending.map(\.seq)
            do throws(DeliveryError) {
                try await sink.deliver(outgoing)
                failures = 0
                retryAt = nil
                do {
                    try store.markDelivered(sink: sink.name, seqs: seqs, at: clock.now())
                } catch {
                    logger.error("delivered \(seqs.count) alerts but cannot record it (they may be sent again): \(error)")
                }
                // Fewer than asked for: the queue was empty after these. A commit since then has signalled the
                // wakeup, so waiting returns at once when there is more; asking the outbox again would not.
                if pending.count < most, stopping == nil { await wakeup.wait(timeout: Self.idleRecheck) }
            } catch {
                let now = clock.now()
                switch error {
                case .permanent(let why):
                    logger.error("refused for good, moved to the dead-letter list: \(why)",
                                 metadata: ["alerts": "\(pending.map(\.alertID).joined(separator: ","))"])
                    try? store.recordFailure(sink: sink.name, seqs: seqs, error: why, at: now, dead: Set(seqs))
                case .retry(let why, let after):
                    failures += 1
                    let dead = pending.filter {
                        $0.attempts + 1 >= policy.maximumAttempts || now - $0.createdAt >= policy.maximumAgeMilliseconds
                    }
                    try? store.recordFailure(sink: sink.name, seqs: seqs, error: why, at: now, dead: Set(dead.map(\.seq)))
                    if !dead.isEmpty {
                        logger.error("gave up after \(policy.maximumAttempts) attempts or \(DurationText.format(policy.maximumAgeMilliseconds)); moved to the dead-letter list: \(why)",
                                     metadata: ["alerts": "\(dead.map(\.alertID).joined(separator: ","))"])
                    }
                    if stopping != nil { break deliveries }
                    let delay = after.map { min($0.milliseconds, Self.longestRetryAfter) } ?? Self.backoff(failures: failures)
                    logger.warning("delivery failed, retrying in \(DurationText.format(delay)): \(why)",
                                   metadata: ["attempt": "\(failures)"])
                    retryAt = monotonicMilliseconds() + delay
                }
            }
        }
        await sink.close()
    }

    /// 0.5 s doubled per failure up to a minute, with ±25 % jitter so many failing workers do not retry in step.
    static func backoff(failures: Int) -> Int64 {
        let base = min(500.0 * pow(2.0, Double(min(failures - 1, 20))), 60_000)
        return Int64(base * Double.random(in: 0.75...1.25))
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
