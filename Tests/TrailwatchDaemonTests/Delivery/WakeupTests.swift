import Testing
@testable import TrailwatchDaemon

/// The primitive idle sink workers sleep on: a wait must end at a signal or its timeout, and not early.
struct WakeupTests {
    @Test func aSignalEndsTheWaitAndATimeoutToo() async {
        let wakeup = Wakeup()
        wakeup.signal()
        let clock = ContinuousClock()
        let start = clock.now
        await wakeup.wait(timeout: .seconds(30))
        #expect(clock.now - start < .seconds(10), "a pending signal returns at once")
        let waited = clock.now
        await wakeup.wait(timeout: .milliseconds(200))
        #expect(clock.now - waited >= .milliseconds(190), "no signal: the timeout ends it")
    }

    @Test func aFinishedWaitLeavesNoSignalBehind() async {
        // An idle worker waits, is woken, and waits again: the second wait must sleep, not spin.
        let wakeup = Wakeup()
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            wakeup.signal()
        }
        await wakeup.wait(timeout: .seconds(30))
        let clock = ContinuousClock()
        let start = clock.now
        var returns = 0
        while clock.now - start < .milliseconds(300) {
            await wakeup.wait(timeout: .milliseconds(100))
            returns += 1
        }
        #expect(returns <= 4, "woke \(returns) times in 300 ms with 100 ms timeouts")
    }
}
