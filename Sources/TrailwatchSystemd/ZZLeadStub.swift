// TEMPORARY lead stub until the systemd module lands.
public final class SystemdNotifier: @unchecked Sendable {
    public init() {}
    public var isEnabled: Bool { false }
    public func ready(status: String?) {}
    public func reloading() {}
    public func status(_ text: String) {}
    public func stopping(status: String?) {}
    public func watchdog() {}
    public var watchdogInterval: Duration? { nil }
}
import Logging
public enum LogDestination {
    public static func bootstrap(identifier: String, level: Logger.Level) {}
}
