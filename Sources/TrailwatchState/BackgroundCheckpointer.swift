import Dispatch
import GRDB
import Synchronization

/// Copies committed WAL pages into the database file from a thread of its own, so commits do not.
///
/// SQLite checkpoints in whichever commit crosses `wal_autocheckpoint` pages: that commit then copies the
/// pages changed since the last checkpoint and waits for two `fsync`s, and the alerts of its batch wait
/// with it (about once a second at 10,000 events/s). Here a second connection runs a PASSIVE checkpoint, which never blocks the writer,
/// every `interval`; the writer's own threshold is raised, not removed, so the WAL stays bounded should
/// this thread fall behind.
public final class BackgroundCheckpointer: Sendable {
    /// The writer checkpoints by itself past this many WAL pages (64 MiB): only when this thread lags.
    static let writerFallbackPages = 16_384
    /// SQLite's default threshold, restored at stop: the store's writer checkpoints by itself again.
    static let defaultAutocheckpointPages = 1000

    private let store: StateStore
    private let connection: DatabaseQueue
    private let interval: Duration
    private let onError: @Sendable (any Error) -> Void
    private let queue = DispatchQueue(label: "trailwatch.checkpoint")
    private let stopped = Atomic<Bool>(false)
    /// Rounds in a row that found the checkpoint locks taken.
    private let busyRounds = Atomic<Int>(0)
    /// Busy rounds (at 250 ms, 10 s) before it is worth a report: a few are normal beside a busy writer.
    static let busyRoundsReported = 40

    init(store: StateStore, interval: Duration, onError: @escaping @Sendable (any Error) -> Void) throws {
        self.store = store
        self.interval = interval
        self.onError = onError
        var configuration = Configuration()
        configuration.label = "trailwatch.checkpoint"
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: store.path, configuration: configuration)
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.writerFallbackPages)")
        }
        schedule()
    }

    /// Checkpoints once more and hands checkpointing back to the writer's commits.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.sync { checkpoint() }
        try? store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.defaultAutocheckpointPages)")
        }
    }

    private func schedule() {
        let nanoseconds = Int(interval / .nanoseconds(1))
        queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
            guard !stopped.load(ordering: .acquiring) else { return }
            checkpoint()
            schedule()
        }
    }

    private func checkpoint() {
        do {
            _ = try connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            busyRounds.store(0, ordering: .relaxed)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            // A passive checkpoint does not wait for the locks a writer holds for an instant; the next round will.
            let rounds = busyRounds.add(1, ordering: .relaxed).newValue
            if rounds % Self.busyRoundsReported == 0 { onError(error) }
        } catch {
            onError(error)
        }
    }
}

extension StateStore {
    /// Starts checkpointing the WAL every `interval` on a thread of its own (the daemon does; one-off
    /// commands leave it to SQLite). Stop it before closing the store.
    public func checkpointInBackground(every interval: Duration,
                                       onError: @escaping @Sendable (any Error) -> Void) throws -> BackgroundCheckpointer {
        try BackgroundCheckpointer(store: self, interval: interval, onError: onError)
    }
}
