import CSimdJSON
import TrailwatchCore
import TrailwatchEngine
import TrailwatchEvents
import TrailwatchRules

/// A line that is not an event: where it was and why (rules.md §1: counted, reported, skipped).
public struct Rejection: Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var reason: String

    public init(source: String, line: Int, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(source):\(line): rejected: \(reason)" }
}

/// Feeds event streams to an engine in order, resolving event times the way replay defines them.
///
/// Several streams are one run: rule state and the watermark carry over, and the fallback time for
/// events without a valid `eventTime` restarts at the epoch on each stream (rules.md §9).
public final class EventStreamReader {
    public let engine: Engine
    private let parser: EventParser
    private let timeSlot: Int
    private var sequence: UInt64 = 0

    public private(set) var events = 0
    public private(set) var rejected = 0
    public let maximumLineBytes: Int

    public init(engine: Engine, maximumLineBytes: Int = 1 << 20) {
        self.engine = engine
        parser = engine.ruleSet.makeParser()
        timeSlot = engine.ruleSet.schema.eventTimeSlot
        self.maximumLineBytes = maximumLineBytes
    }

    /// Reads one stream to its end. `onAlert` gets each alert as it is produced, `onRejected` each bad line.
    public func read(source: String, fileDescriptor: Int32, onAlert: (Alert) throws -> Void,
                     onRejected: (Rejection) -> Void) throws {
        let reader = LineReader(fileDescriptor: fileDescriptor, maximumLineBytes: maximumLineBytes)
        var stream = StreamState(reader: self)
        defer { stream.finish(self) }
        try reader.forEach { item in
            switch item {
            case .oversized(let number, let length):
                stream.rejected += 1
                onRejected(Rejection(source: source, line: number,
                                     reason: "line is \(length) bytes, over the limit of \(maximumLineBytes) bytes"))
            case .line(let line):
                if Self.isBlank(line.bytes) { return }
                try feed(line.bytes, readable: line.readable, source: source, line: line.number, stream: &stream,
                         onAlert: onAlert, onRejected: onRejected)
            }
        }
    }

    /// Reads events held in memory as one stream (rule tests' inline events): `source:N` names events without id.
    public func read(lines: [[UInt8]], source: String, onAlert: (Alert) throws -> Void,
                     onRejected: (Rejection) -> Void) throws {
        var stream = StreamState(reader: self)
        defer { stream.finish(self) }
        for (i, bytes) in lines.enumerated() {
            try EventParser.withPadding(bytes) { line, readable in
                if Self.isBlank(line) { return }
                try feed(line, readable: readable, source: source, line: i + 1, stream: &stream,
                         onAlert: onAlert, onRejected: onRejected)
            }
        }
    }

    /// Ends the run: with `until` later than the watermark, the watermark moves there and due deadlines fire.
    public func finish(until: Int64?, onAlert: (Alert) throws -> Void) throws {
        guard let until else { return }
        var alerts: [Alert] = []
        engine.advanceWatermark(to: until, into: &alerts)
        for alert in alerts { try onAlert(alert) }
    }

    /// What reading one stream changes, kept in a local while it runs (the reader's own properties are
    /// class storage: updating those per line cost dynamic exclusivity checks) and added back at its end.
    private struct StreamState {
        var events = 0
        var rejected = 0
        var sequence: UInt64
        /// The fallback time of events without a valid own time: the last valid one in this stream (rules.md §9).
        var time: Int64 = 0
        var alerts: [Alert] = []
        var times = EventTime.StreamParser()

        init(reader: EventStreamReader) { sequence = reader.sequence }

        func finish(_ reader: EventStreamReader) {
            reader.events += events
            reader.rejected += rejected
            reader.sequence = sequence
        }
    }

    private func feed(_ line: UnsafeRawBufferPointer, readable: Int, source: String, line number: Int,
                      stream: inout StreamState, onAlert: (Alert) throws -> Void,
                      onRejected: (Rejection) -> Void) throws {
        switch parser.parse(line, readable: readable) {
        case .rejected(let reason):
            stream.rejected += 1
            onRejected(Rejection(source: source, line: number, reason: reason))
        case .event:
            stream.events += 1
            stream.sequence += 1
            var movesWatermark = false
            if let time = Self.ownTime(parser, slot: timeSlot, times: &stream.times) {
                stream.time = time
                movesWatermark = true
            }
            stream.alerts.removeAll(keepingCapacity: true)
            let context = EventContext(time: stream.time, source: source, line: number, sequence: stream.sequence)
            engine.process(parser, context: context, movesWatermark: movesWatermark, into: &stream.alerts)
            for alert in stream.alerts { try onAlert(alert) }
        }
    }

    /// The event's own valid `eventTime`, nil when it is missing or invalid (rules.md §1).
    /// `times` is the stream's: consecutive events mostly share a minute, parsed once.
    public static func ownTime(_ parser: EventParser, slot: Int, times: inout EventTime.StreamParser) -> Int64? {
        let t = parser.unresolvedSlots[slot]  // `eventTime` is never left pending (`EventSchema.makePlan`)
        guard t.kind == UInt8(TW_STRING.rawValue), let start = t.ptr else { return nil }
        return times.parse(UnsafeBufferPointer(start: UnsafeRawPointer(start).assumingMemoryBound(to: UInt8.self), count: t.len))
    }

    public static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes where !(b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A) { return false }
        return true
    }
}
