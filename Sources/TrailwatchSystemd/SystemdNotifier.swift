import CSystemd
import Glibc

/// Talks to systemd's notify socket through libsystemd (`sd_notify`); does nothing when NOTIFY_SOCKET is unset.
///
/// `Type=notify` units are "started" only when the daemon says `READY=1`, so dependants and `systemctl start`
/// wait until state, rules and sources are really open. libsystemd reads NOTIFY_SOCKET on every call and
/// opens a fresh datagram socket each time, so one instance is safe to share between threads.
public final class SystemdNotifier: Sendable {
    /// Whether a service manager listens (NOTIFY_SOCKET was set when this notifier was made).
    public let isEnabled: Bool

    /// Reads NOTIFY_SOCKET from the environment, where systemd puts it for `Type=notify` services.
    public init() {
        isEnabled = getenv("NOTIFY_SOCKET") != nil
    }

    /// Startup (or a reload) finished: the service manager marks the unit active.
    public func ready(status: String?) {
        send(Self.message("READY=1", status: status))
    }

    /// A reload began; systemd 252 needs the monotonic time to match it with the later `READY=1`.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.microseconds())")
    }

    /// One line for `systemctl status` (counters, what the daemon is doing).
    public func status(_ text: String) {
        send(Self.message(nil, status: text))
    }

    /// Shutdown began, so systemd shows "deactivating" rather than a hang while the last batch commits.
    public func stopping(status: String?) {
        send(Self.message("STOPPING=1", status: status))
    }

    /// Keeps `WatchdogSec=` from firing; send it only while the main loop really makes progress.
    public func watchdog() {
        send("WATCHDOG=1")
    }

    /// Sends `state` unchanged; returns `sd_notify`'s result: > 0 sent, 0 no socket, < 0 a negated errno.
    @discardableResult
    public func send(_ state: String) -> Int32 {
        sd_notify(0, state)
    }

    /// Half of WATCHDOG_USEC when the watchdog is enabled for this process (`sd_watchdog_enabled`), else nil.
    ///
    /// Half, as sd_watchdog_enabled(3) advises, so one late tick does not get the service killed.
    /// It honours WATCHDOG_PID, so a child that inherited the environment does not feed its parent's watchdog.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// Joins an optional assignment with a `STATUS=` line; a newline in the text would start a new
    /// assignment, so it becomes a space.
    static func message(_ assignment: String?, status: String?) -> String {
        var lines: [String] = []
        if let assignment { lines.append(assignment) }
        if let status { lines.append("STATUS=" + status.replacing("\n", with: " ")) }
        return lines.joined(separator: "\n")
    }
}
