import Testing
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules
@testable import TrailwatchEngine

/// Feeds JSON lines to `engine` as replay does (event time from `eventTime`, stream order from `offset`)
/// and returns the alerts: the tests that stop and resume engines share it.
func run(_ set: CompiledRuleSet, _ engine: Engine, _ lines: ArraySlice<String>, from offset: Int) -> [Alert] {
    let parser = set.makeParser()
    var alerts: [Alert] = []
    for (i, line) in lines.enumerated() {
        #expect(parser.parse(Array(line.utf8)) == .event)
        let time = parser.value(at: set.schema.eventTimeSlot).jsonValue?.stringValue.flatMap { EventTime.parse($0) }!
        engine.process(parser, context: EventContext(time: time!, source: "s", line: offset + i + 1,
                                                     sequence: UInt64(offset + i)),
                       movesWatermark: true, into: &alerts)
    }
    return alerts
}
