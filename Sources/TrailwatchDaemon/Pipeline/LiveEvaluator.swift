import TrailwatchCore
import TrailwatchEngine
import TrailwatchEvents
import TrailwatchReplay
import TrailwatchSources

/// Turns source lines into engine input with live semantics (rules.md §1): an event without a valid
/// `eventTime` takes its arrival time. Owns the run's sequence number, saved with each commit.
final class LiveEvaluator {
    let engine: Engine
    private let parser: EventParser
    private let timeSlot: Int
    private let clock: any WallClock
    /// Updated for every line; behind a pointer, so that costs no dynamic exclusivity check.
    private let counts: UnsafeMutablePointer<(sequence: UInt64, events: Int, rejected: Int)>
    /// The stream's times, parsed a minute at a time; behind a pointer for the same reason.
    private let times: UnsafeMutablePointer<EventTime.StreamParser>

    var sequence: UInt64 { counts.pointee.sequence }
    var events: Int { counts.pointee.events }
    var rejected: Int { counts.pointee.rejected }

    init(engine: Engine, clock: any WallClock, sequence: UInt64, events: Int, rejected: Int) {
        self.engine = engine
        self.clock = clock
        counts = .allocate(capacity: 1)
        counts.initialize(to: (sequence, events, rejected))
        times = .allocate(capacity: 1)
        times.initialize(to: EventTime.StreamParser())
        parser = engine.ruleSet.makeParser()
        timeSlot = engine.ruleSet.schema.eventTimeSlot
    }

    deinit {
        counts.deallocate()
        times.deinitialize(count: 1)
        times.deallocate()
    }

    /// Evaluates one item of `source`; the alerts it produced are appended to `alerts`.
    /// Returns the rejection when the item is not an event (counted here, reported by the caller).
    func evaluate(_ item: SourceItem, into alerts: inout [Alert]) -> Rejection? {
        switch item {
        case .oversized(let origin, let number, let length):
            counts.pointee.rejected += 1
            return Rejection(source: origin, line: number, reason: "line is \(length) bytes, over the limit")
        case .line(let line):
            if EventStreamReader.isBlank(line.bytes) { return nil }
            switch parser.parse(line.bytes, readable: line.readable) {
            case .rejected(let reason):
                counts.pointee.rejected += 1
                return Rejection(source: line.origin, line: line.number, reason: reason)
            case .event:
                counts.pointee.events += 1
                counts.pointee.sequence += 1
                let own = EventStreamReader.ownTime(parser, slot: timeSlot, times: &times.pointee)
                let time = own ?? clock.now()
                let movesWatermark = own != nil
                let context = EventContext(time: time, source: line.origin, line: line.number,
                                           sequence: counts.pointee.sequence)
                engine.process(parser, context: context, movesWatermark: movesWatermark, into: &alerts)
                return nil
            }
        }
    }
}
