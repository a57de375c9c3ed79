import Foundation
import Glibc
import Logging

/// Where `trailwatch run` sends its logs: the journal under systemd, else text on stderr.
public enum LogDestination {
    /// True when stderr is connected to the journal: $JOURNAL_STREAM is "<dev>:<ino>" matching fstat(2).
    ///
    /// systemd sets JOURNAL_STREAM for services whose output goes to the journal; comparing it with the
    /// descriptor (rather than trusting its mere presence) keeps a child whose stderr was redirected, or a
    /// shell started from a service, writing text where its stderr really goes.
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isJournalStream(fileDescriptor: STDERR_FILENO, environment: environment)
    }

    /// Whether `fileDescriptor` is the stream JOURNAL_STREAM names (the same test for any descriptor).
    public static func isJournalStream(fileDescriptor: Int32, environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    private static let bootstrapped = NSLock()
    nonisolated(unsafe) private static var done = false

    /// Bootstraps swift-log once (journal when `stderrIsJournal()`, else stderr text), with a minimum level.
    ///
    /// swift-log traps on a second bootstrap; later calls here are ignored instead, so tests and an
    /// embedding program may call it freely.
    public static func bootstrap(identifier: String, level: Logger.Level) {
        bootstrapped.lock()
        defer { bootstrapped.unlock() }
        guard !done else { return }
        done = true
        let journal = stderrIsJournal()
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StderrLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
