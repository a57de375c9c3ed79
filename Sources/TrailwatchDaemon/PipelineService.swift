import Foundation
import ServiceLifecycle
import UnixSignals

/// Runs the pipeline's blocking loop on a thread of its own, as a `Service` of the daemon's group:
/// graceful shutdown asks it to stop, and it returns once the last batch is committed.
struct PipelineService: Service {
    let pipeline: Pipeline
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        try await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    pipeline.run()
                    done.resume()
                }
                thread.name = "trailwatch-pipeline"
                thread.stackSize = 8 << 20
                thread.start()
            }
            try Task.checkCancellation()
        } onGracefulShutdown: {
            onShutdown()
            pipeline.requestStop()
        }
    }
}

/// Turns SIGHUP into a pipeline reload (systemd's `ExecReload=kill -HUP $MAINPID`).
struct ReloadSignalService: Service {
    let pipeline: Pipeline

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            pipeline.requestReload()
        }
    }
}
