import Synchronization

/// Wakes one waiting task, or the next one to wait: how committed alerts reach idle sink workers at once
/// without polling.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one came since the last wait), or after `timeout`.
    func wait(timeout: Duration?) async {
        // Cancelled once the wait ends: a cancelled timer must not signal, or the next wait returns at once.
        let timer = timeout.map { t in Task { [weak self] in
            guard (try? await Task.sleep(for: t)) != nil else { return }
            self?.signal()
        } }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
        timer?.cancel()
    }
}
