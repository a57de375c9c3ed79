/// An `absence` deadline: when the group of `rule` fires unless a newer matching event arrived.
struct Deadline: Sendable {
    var time: Int64
    var rule: Int
    var group: GroupKey
    /// The event that set this deadline; a group whose `last` changed has a newer deadline queued.
    var last: EventRef
}

/// Pending `absence` deadlines, earliest first (a binary heap; stale entries are skipped when popped).
final class DeadlineQueue {
    private var heap: [Deadline] = [] {
        didSet { earliestStorage.pointee = heap.first?.time ?? .max }
    }
    /// The earliest deadline's time (`Int64.max` when none), behind a pointer: the engine asks per event,
    /// and reading it then needs no dynamic exclusivity check.
    private let earliestStorage: UnsafeMutablePointer<Int64> = {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        p.initialize(to: .max)
        return p
    }()

    deinit { earliestStorage.deallocate() }

    /// Whether `popDue(before: watermark)` would return something.
    @inline(__always)
    func hasDue(before watermark: Int64) -> Bool { earliestStorage.pointee < watermark }

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    func push(_ d: Deadline) {
        heap.append(d)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].time < heap[parent].time else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns every deadline strictly before `watermark` (due: the watermark passed it).
    func popDue(before watermark: Int64) -> [Deadline] {
        var due: [Deadline] = []
        while let first = heap.first, first.time < watermark {
            due.append(first)
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
        }
        return due
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, heap[l].time < heap[smallest].time { smallest = l }
            if r < heap.count, heap[r].time < heap[smallest].time { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
