import TrailwatchCore

/// The kept events of a `threshold` group; times are compared, ids listed when it fires.
struct ThresholdState: Codable { var kept: [EventRef] = [] }

/// `threshold`: at least `count` matching events within `window` of the latest one (rules.md §5).
final class ThresholdRule: KindRuntime<ThresholdState> {

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let key = groupKey(event)
        let ref = event.ref
        let window = rule.definition.window
        updateGroup(key, event, new: ThresholdState()) { entry in
            entry.state.kept.append(ref)
            let latest = entry.state.kept.reduce(Int64.min) { max($0, $1.time) }
            entry.state.kept.removeAll { $0.time <= latest &- window }
            if entry.state.kept.count >= rule.definition.count {
                let kept = entry.state.kept
                entry.state.kept.removeAll()
                fire(&entry, key: key, time: ref.time, count: kept.count, events: kept, slots: event.slots, into: &alerts)
            }
        }
        changed(key)
    }
}
