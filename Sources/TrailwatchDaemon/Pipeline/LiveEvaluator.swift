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
    private(set) var sequence: UInt64
    private(set) var events: Int
    private(set) var rejected: Int

    init(engine: Engine, clock: any WallClock, sequence: UInt64, events: Int, rejected: Int) {
        self.engine = engine
        self.clock = clock
        self.sequence = sequence
        self.events = events
        self.rejected = rejected
        parser = engine.ruleSet.makeParser()
        timeSlot = engine.ruleSet.schema.eventTimeSlot
    }

    /// Evaluates one item of `source`; the alerts it produced are appended to `alerts`.
    /// Returns the rejection when the item is not an event (counted here, reported by the caller).
    func evaluate(_ item: SourceItem, into alerts: inout [Alert]) -> Rejection? {
        switch item {
        case .oversized(let origin, let number, let length):
            rejected += 1
            return Rejection(source: origin, line: number, reason: "line is \(length) bytes, over the limit")
        case .line(let line):
            if EventStreamReader.isBlank(line.bytes) { return nil }
            switch parser.parse(line.bytes, readable: line.readable) {
            case .rejected(let reason):
                rejected += 1
                return Rejection(source: line.origin, line: line.number, reason: reason)
            case .event:
                events += 1
                sequence += 1
                let own = EventStreamReader.ownTime(parser, slot: timeSlot)
                let time = own ?? clock.now()
                let movesWatermark = own != nil
                let context = EventContext(time: time, source: line.origin, line: line.number, sequence: sequence)
                engine.process(parser, context: context, movesWatermark: movesWatermark, into: &alerts)
                return nil
            }
        }
    }
}
