import CSimdJSON
import TrailwatchCore

/// For each value of a `distinct` group (canonical bytes), the latest event that carried it.
struct DistinctState: Codable { var values: [GroupKey: EventRef] = [:] }

/// `distinct`: at least `count` different values of `field` within `window` (rules.md §5).
final class DistinctRule: KindRuntime<DistinctState> {

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let v = event.slots[rule.fieldSlot!]
        guard UInt32(v.kind) != TW_MISSING.rawValue else { return }  // without the field nothing changes
        let valueKey = makeValueKey(v)
        let key = groupKey(event)
        let ref = event.ref
        updateGroup(key, event, new: DistinctState()) { entry in
            if let old = entry.state.values[valueKey], old.time > ref.time {
                // keep the later time and its event
            } else {
                entry.state.values[valueKey] = ref
            }
            let latest = entry.state.values.values.reduce(Int64.min) { max($0, $1.time) }
            let window = rule.definition.window
            entry.state.values = entry.state.values.filter { $0.value.time > latest &- window }
            if entry.state.values.count >= rule.definition.count {
                let refs = Array(entry.state.values.values)
                entry.state.values.removeAll()
                fire(&entry, key: key, time: ref.time, count: refs.count, events: refs, slots: event.slots, into: &alerts)
            }
        }
        changed(key)
    }
}
