import Logging

/// swift-log levels as syslog priorities (the journal's PRIORITY=), so `journalctl -p warning` works.
enum JournalPriority {
    static func from(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7   // LOG_DEBUG
        case .info: 6            // LOG_INFO
        case .notice: 5          // LOG_NOTICE
        case .warning: 4         // LOG_WARNING
        case .error: 3           // LOG_ERR
        case .critical: 2        // LOG_CRIT
        }
    }
}
