import TrailwatchCore

/// The kept events of a `threshold` group; times are compared, ids listed when it fires.
struct ThresholdState: Codable {
    var kept = KeptEvents()

    init(kept: [EventRef] = []) { self.kept = KeptEvents(kept) }

    private enum CodingKeys: String, CodingKey { case kept }

    init(from decoder: Decoder) throws {
        self.init(kept: try decoder.container(keyedBy: CodingKeys.self).decode([EventRef].self, forKey: .kept))
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kept.all, forKey: .kept)
    }
}

/// A group's kept events, in arrival order: the first inline, since most groups of a large table keep one
/// event (a group per user or address rarely reaches its count), and an array costs a heap allocation.
struct KeptEvents: Equatable {
    private var first: EventRef?
    private var rest: [EventRef] = []

    init(_ events: [EventRef] = []) {
        first = events.first
        rest = Array(events.dropFirst())
    }

    var count: Int { first == nil ? 0 : 1 + rest.count }

    var all: [EventRef] {
        guard let first else { return [] }
        return [first] + rest
    }

    var latestTime: Int64 { rest.reduce(first?.time ?? .min) { max($0, $1.time) } }

    mutating func append(_ event: EventRef) {
        if first == nil { first = event } else { rest.append(event) }
    }

    mutating func removeAll() { self = KeptEvents() }

    mutating func removeAll(where drop: (EventRef) -> Bool) {
        if rest.isEmpty {
            if let first, drop(first) { self.first = nil }
        } else {
            var events = all
            events.removeAll(where: drop)
            self = KeptEvents(events)
        }
    }
}

/// `threshold`: at least `count` matching events within `window` of the latest one (rules.md §5).
final class ThresholdRule: KindRuntime<ThresholdState> {

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let key = groupKey(event)
        let ref = event.ref
        let window = rule.definition.window
        updateGroup(key, event, new: ThresholdState()) { entry in
            entry.state.kept.append(ref)
            let latest = entry.state.kept.latestTime
            entry.state.kept.removeAll { $0.time <= latest &- window }
            if entry.state.kept.count >= rule.definition.count {
                let kept = entry.state.kept.all
                entry.state.kept.removeAll()
                fire(&entry, key: key, time: ref.time, count: kept.count, events: kept, slots: event.slots, into: &alerts)
            }
        }
        changed(key)
    }
}
