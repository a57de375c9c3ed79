import Foundation
import Logging
import ServiceLifecycle
import TrailwatchCore
import TrailwatchState
import TrailwatchSystemd

/// The composition root of `trailwatch run`: configuration, state, pipeline, delivery and systemd, run
/// as one `ServiceGroup` until SIGTERM or SIGINT.
public enum Daemon {
    /// Why the daemon did not start: each line is one problem, located where it can be.
    public struct StartupError: Error, CustomStringConvertible {
        public var lines: [String]
        public var description: String { lines.joined(separator: "\n") }
    }

    /// Runs until stopped; returns normally after a clean stop (exit status 0).
    /// `clock` is the wall clock for arrival times and `absence` deadlines (tests pass a manual one).
    public static func run(configurationFile: String, clock: any WallClock = SystemWallClock(),
                           logger: Logger) async throws {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(file: configurationFile)
        } catch {
            throw StartupError(lines: error.items.map(\.description))
        }
        let store: StateStore, checkpointer: BackgroundCheckpointer
        do {
            store = try StateStore(directory: configuration.stateDirectory)
            checkpointer = try store.checkpointInBackground(every: .milliseconds(250)) { error in
                logger.warning("cannot checkpoint the state database (commits will): \(error)")
            }
        } catch {
            throw StartupError(lines: ["cannot open the state in \(configuration.stateDirectory): \(error)"])
        }
        defer { checkpointer.stop() }
        let notifier = SystemdNotifier()
        let observer = SystemdObserver(notifier: notifier)
        let dispatcher = Dispatcher(store: store, clock: clock, logger: logger)
        let pipeline: Pipeline
        do {
            pipeline = try Pipeline(configuration: configuration, store: store, clock: clock, logger: logger,
                                    dispatcher: dispatcher, observer: observer)
        } catch let error as PipelineError {
            throw StartupError(lines: error.lines)
        }
        // State is open, rules compiled, sources open: only now is the service ready.
        notifier.ready(status: pipeline.statusLine)
        logger.info("ready", metadata: ["config": "\(configurationFile)", "state": "\(store.path)"])

        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                // Shut down in reverse order: the pipeline commits its last batch before delivery drains.
                .init(service: dispatcher),
                .init(service: ReloadSignalService(pipeline: pipeline)),
                .init(service: PipelineService(pipeline: pipeline, onShutdown: {
                    notifier.stopping(status: "stopping: committing and delivering")
                    logger.info("stopping")
                }), successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped", metadata: ["events": "\(pipeline.events)", "alerts": "\(pipeline.alertsSent)"])
    }
}
