import Testing
@testable import TrailwatchEngine

struct DeadlineQueueTests {
    func deadline(_ time: Int64) -> Deadline {
        Deadline(time: time, rule: 0, group: .none, last: EventRef(time: 0, sequence: UInt64(time), id: "e"))
    }

    /// The engine asks `hasDue` for every event and pops only when it says so: both must agree.
    @Test func hasDueAgreesWithPopDue() {
        let queue = DeadlineQueue()
        #expect(!queue.hasDue(before: .max))
        for t: Int64 in [50, 30, 90, 30, 70] { queue.push(deadline(t)) }
        #expect(!queue.hasDue(before: 30))
        #expect(queue.hasDue(before: 31))
        #expect(queue.popDue(before: 60).map(\.time) == [30, 30, 50])
        #expect(!queue.hasDue(before: 70))
        #expect(queue.hasDue(before: 71))
        queue.push(deadline(10))
        #expect(queue.hasDue(before: 11))
        #expect(queue.popDue(before: 100).map(\.time) == [10, 70, 90])
        #expect(!queue.hasDue(before: .max))
        #expect(queue.isEmpty)
    }
}
