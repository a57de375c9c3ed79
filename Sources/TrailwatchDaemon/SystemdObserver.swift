import Synchronization
import TrailwatchSystemd

/// Reports the pipeline to systemd: readiness, reloads, status, and the watchdog at half its interval.
final class SystemdObserver: PipelineObserver {
    let notifier: SystemdNotifier
    private let watchdogMilliseconds: Int64?
    private let lastWatchdog = Mutex<Int64>(0)

    init(notifier: SystemdNotifier) {
        self.notifier = notifier
        watchdogMilliseconds = notifier.watchdogInterval.map {
            $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000
        }
    }

    func reloading() { notifier.reloading() }

    func ready(status: String) { notifier.ready(status: status) }

    func status(_ text: String) { notifier.status(text) }

    func alive() {
        guard let interval = watchdogMilliseconds else { return }
        let now = monotonicMilliseconds()
        let due = lastWatchdog.withLock { last -> Bool in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
        if due { notifier.watchdog() }
    }
}
