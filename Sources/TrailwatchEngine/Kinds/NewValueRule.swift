import CSimdJSON
import TrailwatchCore

/// `new-value`: the first time a group sees a value of `field`, after the learning period (rules.md §5).
final class NewValueRule: KindRuntime<Set<GroupKey>> {

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let t = event.context.time
        if firstSeen == nil {
            firstSeen = t
            changedRule()
        }
        let v = event.slots[rule.fieldSlot!]
        guard UInt32(v.kind) != TW_MISSING.rawValue else { return }
        let valueKey = makeValueKey(v)
        let key = groupKey(event)
        let learned = t >= firstSeen! &+ rule.definition.learn
        let isNew = updateGroup(key, event, new: []) { entry in
            guard entry.state.insert(valueKey).inserted else { return false }
            if learned { fire(&entry, key: key, time: t, count: 1, events: [event.ref], slots: event.slots, into: &alerts) }
            return true
        }
        if isNew { changed(key) }
    }
}
