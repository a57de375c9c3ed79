import Foundation
import Logging
import TrailwatchState

/// Writes the pipeline's batch commits in order: on a thread of its own while the pipeline reads a backlog,
/// on the pipeline's thread when it keeps up with the stream.
///
/// Each batch is one transaction (rule state, alerts, positions), written in the order the pipeline closed
/// them, and a batch's alerts go to the sinks only once it is written: what a crash can lose is what it
/// always could, batches not yet written, whose events are read again from the last written positions.
///
/// On a backlog, a commit written on the pipeline's thread stopped evaluation for its whole length, a fifth
/// of the time; handed to this thread (`overlap`), it is written while the next batch is evaluated, and the
/// pipeline waits only when two batches are already waiting (`isFull`). A batch closed by its time limit
/// (the stream is not ahead of us) is written at once on the caller's thread when nothing is queued: that
/// saves its alerts the hand-over between threads. A write that fails is queued and retried here every
/// second, and a full queue is how a disk that stays full pauses reading.
final class Committer: @unchecked Sendable {
    /// Batches that may wait, the one being written included, before the pipeline stops reading.
    static let capacity = 2
    /// A failed commit is tried again after this long (the batch stays first in line).
    static let retryInterval: Duration = .seconds(1)

    private let store: StateStore
    private let dispatcher: Dispatcher?
    private let logger: Logger
    private let onProgress: @Sendable () -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [(batch: BatchCommit, submittedAt: ContinuousClock.Instant)] = []
    private var stopping = false
    private var finished = false
    private var failures = 0
    private var failedSinceDrain = false
    private var writtenCPUNanoseconds: Int64 = 0
    private var longestWait: Duration = .zero
    private var problemText: String?

    /// - Parameter onProgress: called on the committer's thread after each write it tries (written or
    ///   failed), so a pipeline waiting for room can read again, or see the failure.
    init(store: StateStore, dispatcher: Dispatcher?, logger: Logger, onProgress: @escaping @Sendable () -> Void) {
        self.store = store
        self.dispatcher = dispatcher
        self.logger = logger
        self.onProgress = onProgress
        let thread = Thread { [self] in run() }
        thread.name = "trailwatch-commit"
        thread.start()
    }

    /// Writes `batch` after those already queued: on this thread when `overlap` (the caller goes on
    /// evaluating) or when others are queued, else at once on the caller's thread.
    func submit(_ batch: BatchCommit, overlap: Bool) {
        let submittedAt = ContinuousClock.now
        let now = !overlap && condition.withLock { queue.isEmpty && failures == 0 }
        guard now else {
            condition.withLock {
                queue.append((batch, submittedAt))
                condition.broadcast()
            }
            return
        }
        // The queue is empty, so this thread is idle, and only the caller submits: nothing runs beside it.
        let (result, cpu) = write(batch)
        switch result {
        case .success:
            condition.withLock { recordWritten(cpu: cpu, submittedAt: submittedAt) }
            if !batch.alerts.isEmpty { dispatcher?.wake() }
        case .failure(let error):
            // Queued and counted as failed in one step: the thread, woken, waits a retry interval.
            let attempts = condition.withLock {
                queue.append((batch, submittedAt))
                return recordFailure(error, cpu: cpu, retried: false).attempts
            }
            report(error, attempts: attempts, dropped: 0)
        }
    }

    /// True when the pipeline should not read more until a batch is written.
    var isFull: Bool { condition.withLock { queue.count >= Self.capacity } }

    /// True while batches wait to be written.
    var hasWork: Bool { condition.withLock { !queue.isEmpty } }

    /// Why commits are failing, while they are.
    var problem: String? { condition.withLock { problemText } }

    /// CPU time spent writing batches (on this thread or the caller's), and the longest a batch waited
    /// from `submit` until it was written (what an alert waits for).
    var totals: (cpuNanoseconds: Int64, longestWait: Duration) {
        condition.withLock { (writtenCPUNanoseconds, longestWait) }
    }

    /// Waits until every batch submitted so far is written, or until a write fails (the batch stays
    /// queued and is tried again; a stop or reload must not wait for a disk that stays full).
    func drain() {
        condition.withLock {
            failedSinceDrain = false
            while !queue.isEmpty && !failedSinceDrain && !finished { condition.wait() }
        }
    }

    /// Writes what is queued, trying a failed batch once more, then ends the thread. A batch still not
    /// written is left to the next start, which reads its events again.
    func finish() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while !finished { condition.wait() }
        }
    }

    private func run() {
        while let (batch, submittedAt, retried) = next() {
            let (result, cpu) = write(batch)
            switch result {
            case .success:
                let failedBefore = condition.withLock {
                    let failedBefore = failures
                    queue.removeFirst()
                    failures = 0
                    problemText = nil
                    recordWritten(cpu: cpu, submittedAt: submittedAt)
                    condition.broadcast()
                    return failedBefore
                }
                if failedBefore > 0 { logger.notice("state commits work again after \(failedBefore) failures") }
                if !batch.alerts.isEmpty { dispatcher?.wake() }
            case .failure(let error):
                let (attempts, dropped) = condition.withLock { recordFailure(error, cpu: cpu, retried: retried) }
                report(error, attempts: attempts, dropped: dropped)
            }
            onProgress()
        }
    }

    /// Writes `batch` on the calling thread; also returns the CPU time it took.
    private func write(_ batch: BatchCommit) -> (Result<Void, any Error>, cpu: Int64) {
        let started = threadCPUNanoseconds()
        let result = Result<Void, any Error> { _ = try store.commit(batch) }
        return (result, threadCPUNanoseconds() - started)
    }

    /// Counts a written batch (with the lock held).
    private func recordWritten(cpu: Int64, submittedAt: ContinuousClock.Instant) {
        writtenCPUNanoseconds += cpu
        longestWait = max(longestWait, ContinuousClock.now - submittedAt)
    }

    /// Records a failed write of the first queued batch (with the lock held); at a stop, a batch that
    /// failed again is dropped with those behind it.
    private func recordFailure(_ error: any Error, cpu: Int64, retried: Bool) -> (attempts: Int, dropped: Int) {
        writtenCPUNanoseconds += cpu
        failures += 1
        failedSinceDrain = true
        problemText = "state commit failing: \(error)"
        var dropped = 0
        if stopping && retried {
            dropped = queue.count
            queue.removeAll()
        }
        condition.broadcast()
        return (failures, dropped)
    }

    private func report(_ error: any Error, attempts: Int, dropped: Int) {
        if attempts == 1 || attempts % 60 == 0 {
            logger.error("cannot commit state (reading paused, nothing is lost; retrying): \(error)",
                         metadata: ["attempts": "\(attempts)"])
        }
        if dropped > 0 {
            logger.error("stopping with \(dropped) batches not committed; their events are read again at the next start")
        }
    }

    /// The batch to write next (`retried`: it failed before), waiting for one; nil once stopping with
    /// nothing left.
    private func next() -> (BatchCommit, ContinuousClock.Instant, Bool)? {
        condition.withLock {
            while true {
                if queue.isEmpty {
                    if stopping {
                        finished = true
                        condition.broadcast()
                        return nil
                    }
                    condition.wait()
                    continue
                }
                if failures > 0 {
                    // Wait before trying a failed batch again; a stop cuts the wait short. Timed on the
                    // monotonic clock: a wall clock set back must not hold the retry (and reading) for hours.
                    let due = ContinuousClock.now + Self.retryInterval
                    while !stopping {
                        let left = due - ContinuousClock.now
                        if left <= .zero { break }
                        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(left / .milliseconds(1)) / 1000))
                    }
                }
                return (queue[0].batch, queue[0].submittedAt, failures > 0)
            }
        }
    }
}

/// CPU time of the calling thread.
func threadCPUNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
