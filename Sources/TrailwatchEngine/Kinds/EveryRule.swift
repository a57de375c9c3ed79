import TrailwatchCore

/// `every` keeps nothing per group but suppression.
struct EveryState: Codable {}

/// `every`: each matching event fires at its own time, count 1 (rules.md §5).
final class EveryRule: KindRuntime<EveryState> {

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let key = groupKey(event)
        updateGroup(key, event, new: EveryState()) { entry in
            fire(&entry, key: key, time: event.context.time, count: 1, events: [event.ref], slots: event.slots,
                 into: &alerts)
        }
        changed(key)
    }
}
