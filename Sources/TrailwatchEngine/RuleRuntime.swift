import CSimdJSON
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules

/// Suppression bookkeeping of one group (rules.md §6).
struct Suppression: Codable, Sendable {
    /// Time of the last alert sent for the group.
    var lastSent: Int64?
    /// Alerts suppressed since then.
    var suppressed = 0
}

/// One group's record: its `group` members for alerts, suppression, and the kind's own state.
struct GroupEntry<State> {
    var members: [JSONMember]
    var suppression = Suppression()
    var state: State
}

/// The evaluation of one rule: its kind's logic over per-group state.
///
/// Subclasses implement `matched` (an event passed `match`); the engine calls `process` only for
/// events the index says may match.
class RuleRuntime {
    let rule: CompiledRule
    let output: AlertFactory

    init(rule: CompiledRule, output: AlertFactory) {
        self.rule = rule
        self.output = output
    }

    func process(_ event: CurrentEvent, into alerts: inout [Alert]) {
        if let match = rule.match, !match.evaluate(event.slots) { return }
        matched(event, into: &alerts)
    }

    func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {}

    /// The current event's group key and, for a new group, its members.
    func groupKey(_ event: CurrentEvent) -> GroupKey {
        rule.groupSlots.isEmpty ? .none : GroupKey(slots: event.slots, groupSlots: rule.groupSlots)
    }

    func members(_ event: CurrentEvent) -> [JSONMember] {
        GroupKey.members(slots: event.slots, groupSlots: rule.groupSlots, paths: rule.definition.groupBy)
    }

    /// Sends or suppresses one firing; either way the caller's state changes as if it fired (§6).
    func fire<State>(_ entry: inout GroupEntry<State>, time: Int64, count: Int, events: [EventRef],
                     slots: UnsafePointer<tw_value>?, into alerts: inout [Alert]) {
        output.emit(rule: rule, members: entry.members, suppression: &entry.suppression, time: time, count: count,
                    events: events, slots: slots, into: &alerts)
    }
}

/// Makes alerts from firings: suppression, stable ids, summaries.
final class AlertFactory {
    private(set) var sent = 0
    private(set) var suppressed = 0

    func emit(rule: CompiledRule, members: [JSONMember], suppression: inout Suppression, time: Int64, count: Int,
              events: [EventRef], slots: UnsafePointer<tw_value>?, into alerts: inout [Alert]) {
        let window = rule.definition.suppress
        if window > 0, let last = suppression.lastSent, time < last &+ window {
            suppression.suppressed += 1
            suppressed += 1
            return
        }
        let d = rule.definition
        let summary = rule.summary.isEmpty ? "" : rule.summary.render(
            slots: slots, group: members, count: count, rule: d.id, severity: d.severity, time: time)
        alerts.append(Alert(
            id: AlertID.make(rule: d.id, group: members, time: time), rule: d.id, severity: d.severity, time: time,
            group: members, count: count, events: EventRef.alertList(events), summary: summary, labels: d.labels,
            suppressed: suppression.suppressed))
        suppression.lastSent = time
        suppression.suppressed = 0
        sent += 1
    }
}
