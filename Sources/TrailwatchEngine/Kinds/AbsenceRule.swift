import TrailwatchCore
import TrailwatchRules

/// An `absence` group: its latest matching event, and whether it already fired for it.
struct AbsenceState: Codable {
    var last: EventRef
    var fired = false
    /// The id of the alert sent for `last` (not when suppressed): resolved when the awaited event arrives.
    var sentAlert: String?
}

/// `absence`: a group that saw matching events goes `window` without one (rules.md §5).
///
/// Deadlines live in the engine's queue; this keeps each group's latest event and whether it fired.
final class AbsenceRule: KindRuntime<AbsenceState> {
    let deadlines: DeadlineQueue

    init(rule: CompiledRule, output: AlertFactory, deadlines: DeadlineQueue) {
        self.deadlines = deadlines
        super.init(rule: rule, output: output)
    }

    override func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {
        let key = groupKey(event)
        let t = event.context.time
        if let existing = groups[key], t < existing.state.last.time { return }  // older than last: ignored
        let ref = event.ref
        if groups[key] == nil {
            groups[key] = newEntry(event, state: AbsenceState(last: ref))
        } else {
            if let sent = groups[key]!.state.sentAlert { output.resolved(sent, rule: rule.id, time: t) }
            groups[key]!.state = AbsenceState(last: ref)
        }
        changed(key)
        deadlines.push(Deadline(time: t &+ rule.definition.window, rule: rule.index, group: key, last: ref))
    }

    /// Fires the group if `deadline` is still its current one (a later event re-arms with a new deadline).
    func fireIfCurrent(_ deadline: Deadline, into alerts: inout [Alert]) {
        guard var entry = groups[deadline.group], !entry.state.fired, entry.state.last == deadline.last else { return }
        entry.state.fired = true
        let before = alerts.count
        fire(&entry, key: deadline.group, time: deadline.time, count: 0, events: [deadline.last], slots: nil, into: &alerts)
        if alerts.count > before { entry.state.sentAlert = alerts.last?.id }
        groups[deadline.group] = entry
        changed(deadline.group)
    }

    func members(of group: GroupKey) -> [JSONMember] { groups[group].map { members(of: $0, key: group) } ?? [] }

    /// Deadlines are not saved: each group that has not fired for its `last` is armed again.
    override func restored() {
        groups.forEach { key, entry in
            guard !entry.state.fired else { return }
            deadlines.push(Deadline(time: entry.state.last.time &+ rule.definition.window, rule: rule.index, group: key,
                                    last: entry.state.last))
        }
    }

}
