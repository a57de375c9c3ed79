import Foundation
import Synchronization

/// The daemon's only source of "now": injectable so tests move time by hand.
public protocol WallClock: Sendable {
    /// Milliseconds since the epoch.
    func now() -> Int64
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that stands still until a test moves it.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Int64>

    public init(_ start: Int64) { current = Mutex(start) }

    public func now() -> Int64 { current.withLock { $0 } }

    public func set(_ time: Int64) { current.withLock { $0 = time } }

    public func advance(by milliseconds: Int64) { current.withLock { $0 += milliseconds } }
}

/// Monotonic milliseconds, for intervals (batch delays, watchdog, rates) that must not jump with the wall clock.
func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
