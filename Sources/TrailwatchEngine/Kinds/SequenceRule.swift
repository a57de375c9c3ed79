import TrailwatchCore

/// A `sequence` group's one partial match.
struct SequencePartial: Codable {
    var start: Int64
    var events: [EventRef]
}

/// `sequence`: the steps in order within `window` of the first (rules.md §5).
final class SequenceRule: KindRuntime<SequencePartial?> {
    /// Groups holding a partial match; while zero, events that match no step cannot change anything.
    private var open = 0

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let steps = rule.steps
        let matchesAnyStep = steps.contains { event.satisfies($0) }
        if !matchesAnyStep && open == 0 { return }
        let key = groupKey(event)
        if !matchesAnyStep {
            guard let existing = groups[key], existing.state != nil else { return }
        }
        updateGroup(key, event, new: nil) { entry in
            let t = event.context.time
            let window = rule.definition.window
            if entry.state != nil { open -= 1 }

            if var partial = entry.state, event.satisfies(steps[partial.events.count]), t &- partial.start <= window {
                partial.events.append(event.ref)
                if partial.events.count == steps.count {
                    entry.state = nil
                    fire(&entry, key: key, time: t, count: steps.count, events: partial.events, slots: event.slots,
                         into: &alerts)
                } else {
                    entry.state = partial
                }
            } else {
                if let partial = entry.state, t &- partial.start > window { entry.state = nil }
                if event.satisfies(steps[0]) { entry.state = SequencePartial(start: t, events: [event.ref]) }
            }
            if entry.state != nil { open += 1 }
        }
        changed(key)
    }

    override func restored() {
        open = groups.values.filter { $0.state != nil }.count
    }
}
