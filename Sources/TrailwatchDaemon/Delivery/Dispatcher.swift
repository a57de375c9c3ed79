import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrailwatchState

/// Delivers the outbox to sinks: one worker per sink, each in outbox order, so a sink that keeps failing
/// holds back only itself. Nothing is removed from the outbox until the sink has it.
public final class Dispatcher: Service, Sendable {
    private let store: StateStore
    private let clock: any WallClock
    private let logger: Logger
    private let commands: AsyncStream<[any AlertSink]>
    private let configure: AsyncStream<[any AlertSink]>.Continuation
    private let workers = Mutex<[String: SinkWorker]>([:])
    /// How long a stop waits for pending deliveries before leaving them for the next start.
    let drainTimeout: Duration

    public init(store: StateStore, clock: any WallClock, logger: Logger, drainTimeout: Duration = .seconds(5)) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.drainTimeout = drainTimeout
        (commands, configure) = AsyncStream.makeStream(of: [any AlertSink].self)
    }

    /// Replaces the set of sinks (at start and after a reload); workers of unchanged names keep running.
    public func use(_ sinks: [any AlertSink]) {
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
                    let names = Set(sinks.map(\.name))
                    let (stopped, started) = workers.withLock { current -> ([SinkWorker], [SinkWorker]) in
                        let stopped = current.values.filter { !names.contains($0.sink.name) }
                        for worker in stopped { current[worker.sink.name] = nil }
                        var started: [SinkWorker] = []
                        for sink in sinks where current[sink.name] == nil {
                            let worker = SinkWorker(sink: sink, store: store, clock: clock, logger: logger)
                            current[sink.name] = worker
                            started.append(worker)
                        }
                        return (stopped, started)
                    }
                    for worker in stopped { worker.finish(drainFor: .zero) }
                    for worker in started { group.addTask { await worker.run() } }
                }
                for worker in workers.withLock({ Array($0.values) }) { worker.finish(drainFor: drainTimeout) }
            }
        } onGracefulShutdown: {
            self.configure.finish()
        }
    }
}

/// Delivers one sink's pending alerts in order, with exponential backoff and jitter on failure.
final class SinkWorker: Sendable {
    let sink: any AlertSink
    let wakeup = Wakeup()
    private let store: StateStore
    private let clock: any WallClock
    private let logger: Logger
    /// Set when the worker should stop: the instant (monotonic ms) after which it gives up draining.
    private let stopAt = Mutex<Int64?>(nil)
    static let batchSize = 256
    static let maximumBackoff: Duration = .seconds(60)

    init(sink: any AlertSink, store: StateStore, clock: any WallClock, logger: Logger) {
        self.sink = sink
        self.store = store
        self.clock = clock
        var logger = logger
        logger[metadataKey: "sink"] = "\(sink.name)"
        self.logger = logger
    }

    func finish(drainFor timeout: Duration) {
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        stopAt.withLock { $0 = monotonicMilliseconds() + ms }
        wakeup.signal()
    }

    func run() async {
        var failures = 0
        var retryAt: Int64?  // monotonic ms: after a failure, new alerts do not cut the backoff short
        deliveries: while true {
            let stopping = stopAt.withLock { $0 }
            if let stopping, monotonicMilliseconds() >= stopping { break }
            if let retryAt, stopping == nil, case let wait = retryAt - monotonicMilliseconds(), wait > 0 {
                await wakeup.wait(timeout: .milliseconds(wait))
                continue
            }
            let pending: [PendingDelivery]
            do {
                pending = try store.pendingDeliveries(sink: sink.name, limit: Self.batchSize)
            } catch {
                logger.error("cannot read the outbox: \(error)")
                await wakeup.wait(timeout: .seconds(1))
                continue
            }
            if pending.isEmpty {
                if stopping != nil { break }
                await wakeup.wait(timeout: nil)
                continue
            }
            do throws(DeliveryError) {
                try await sink.deliver(pending)
                failures = 0
                retryAt = nil
                do {
                    try store.markDelivered(sink: sink.name, seqs: pending.map(\.seq), at: clock.now())
                } catch {
                    logger.error("delivered \(pending.count) alerts but cannot record it (they may be sent again): \(error)")
                }
            } catch {
                switch error {
                case .permanent(let why):
                    logger.error("alert \(pending[0].alertID) refused for good, moved to the dead-letter list: \(why)")
                    try? store.recordFailure(sink: sink.name, seq: pending[0].seq, error: why, at: clock.now(), dead: true)
                case .retry(let why, let after):
                    failures += 1
                    let delay = after ?? Self.backoff(failures: failures)
                    logger.warning("delivery failed, retrying in \(delay): \(why)", metadata: ["attempt": "\(failures)"])
                    try? store.recordFailure(sink: sink.name, seq: pending[0].seq, error: why, at: clock.now(), dead: false)
                    if stopping != nil { break deliveries }
                    retryAt = monotonicMilliseconds() + Int64(delay.components.seconds * 1000)
                        + delay.components.attoseconds / 1_000_000_000_000_000
                }
            }
        }
        await sink.close()
    }

    /// 0.5 s doubled per failure up to a minute, with ±25 % jitter so many failing workers do not retry in step.
    static func backoff(failures: Int) -> Duration {
        let base = min(500.0 * pow(2.0, Double(min(failures - 1, 20))), 60_000)
        return .milliseconds(Int64(base * Double.random(in: 0.75...1.25)))
    }
}
