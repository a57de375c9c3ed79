import CSimdJSON
import Foundation
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

/// One group's record: suppression, the kind's own state, and its `group` members for alerts when the key
/// cannot give them back.
///
/// Members are kept only when a group value is a number, object or array (whose written form the key does
/// not keep); strings, booleans and null are read back from the key. Most groups are strings, and a
/// million groups then save two allocations each.
struct GroupEntry<State> {
    var storedMembers: [JSONMember]?
    var suppression = Suppression()
    var state: State
}

/// A group as saved: members as compact JSON text, so their order and number forms survive.
struct GroupSnapshot<State: Codable>: Codable {
    var key: GroupKey
    var members: String
    var suppression: Suppression
    var state: State
}

/// A rule's saved state: its groups, and what the kind keeps across groups.
struct KindSnapshot<State: Codable>: Codable {
    var groups: [GroupSnapshot<State>]
    /// `new-value`: time of the first matching event.
    var firstSeen: Int64?
}

/// The evaluation of one rule: its kind's logic over per-group state.
///
/// Subclasses implement `matched` (an event passed `match`); the engine calls `process` only for
/// events the index says may match.
class RuleRuntime {
    let rule: CompiledRule
    let output: AlertFactory

    /// `rule.match`, unretained (`rule` keeps it alive): testing it per event then does no reference counting.
    private let match: Unmanaged<CompiledCondition>?
    /// The storage of the last keys made (`groupKey`, `makeValueKey`), written over for the next event's: most
    /// events find their group, and their key then dies with the event, so the usual event allocates none.
    /// A key kept (a new group, a change recorded) keeps its storage; the next key then gets new storage.
    /// Behind a pointer, so reusing it needs no dynamic exclusivity check.
    private let keyStorage: UnsafeMutablePointer<(group: [UInt8], value: [UInt8])> = {
        let p = UnsafeMutablePointer<(group: [UInt8], value: [UInt8])>.allocate(capacity: 1)
        p.initialize(to: ([], []))
        return p
    }()

    init(rule: CompiledRule, output: AlertFactory) {
        self.rule = rule
        self.output = output
        match = rule.match.map { .passUnretained($0) }
    }

    deinit {
        keyStorage.deinitialize(count: 1)
        keyStorage.deallocate()
    }

    func process(_ event: CurrentEvent, into alerts: inout [Alert]) {
        if let match, !match._withUnsafeGuaranteedRef({ event.satisfies($0) }) { return }
        matched(event, into: &alerts)
    }

    func matched(_ event: CurrentEvent, into alerts: inout [Alert]) {}

    /// The rule's state as JSON (see `KindRuntime`).
    func snapshotState() throws -> Data { Data() }

    /// Replaces the rule's state with a saved one.
    func restoreState(_ data: Data) throws {}

    /// Starts recording which groups change, for `takeChanges` (the daemon's per-batch commits).
    func trackChanges() {}

    /// The groups changed since the last call, as saved records, and the rule's own state when that changed.
    func takeChanges() throws -> RuleChanges? { nil }

    /// Replaces the rule's state with saved group records (the counterpart of `takeChanges`).
    func restoreGroups(_ records: [GroupRecord], firstSeen: Int64?) throws {}

    /// Marks every group (and the rule's own state) changed, so the next `takeChanges` returns all of it.
    func trackChangesOfEverything() {}

    /// The current event's group key.
    final func groupKey(_ event: CurrentEvent) -> GroupKey {
        if rule.groupSlots.isEmpty { return .none }
        keyStorage.pointee.group.removeAll(keepingCapacity: true)
        for slot in rule.groupSlots { GroupKey.append(event.slots[slot], to: &keyStorage.pointee.group) }
        return GroupKey(bytes: keyStorage.pointee.group)
    }

    /// The canonical key of one value (`distinct` and `new-value` keep these).
    final func makeValueKey(_ value: tw_value) -> GroupKey {
        keyStorage.pointee.value.removeAll(keepingCapacity: true)
        GroupKey.append(value, to: &keyStorage.pointee.value)
        return GroupKey(bytes: keyStorage.pointee.value)
    }

    /// A new group's entry for the current event: members stored only when the key cannot give them back.
    func newEntry<State>(_ event: CurrentEvent, state: State) -> GroupEntry<State> {
        let stored = GroupKey.keepsMembers(slots: event.slots, groupSlots: rule.groupSlots)
            ? nil : GroupKey.members(slots: event.slots, groupSlots: rule.groupSlots, paths: rule.definition.groupBy)
        return GroupEntry(storedMembers: stored, state: state)
    }

    /// The group's `group` object.
    func members<State>(of entry: GroupEntry<State>, key: GroupKey) -> [JSONMember] {
        members(stored: entry.storedMembers, key: key)
    }

    private func members(stored: [JSONMember]?, key: GroupKey) -> [JSONMember] {
        stored ?? key.members(paths: rule.definition.groupBy)
    }

    /// Sends or suppresses one firing; either way the caller's state changes as if it fired (§6).
    /// The group's members and the event list are made only when the alert is sent, not when suppressed.
    func fire<State>(_ entry: inout GroupEntry<State>, key: GroupKey, time: Int64, count: Int,
                     events: @autoclosure () -> [EventRef], slots: UnsafePointer<tw_value>?, into alerts: inout [Alert]) {
        let stored = entry.storedMembers
        output.emit(rule: rule, members: members(stored: stored, key: key),
                    suppression: &entry.suppression, time: time, count: count, events: events(), slots: slots,
                    into: &alerts)
    }
}

/// A rule runtime whose per-group state is `State`: the groups table, and saving and restoring it.
class KindRuntime<State: Codable & GroupStateCoding>: RuleRuntime {
    var groups = GroupTable<GroupEntry<State>>()
    /// Kinds that keep something across groups save it here (`new-value`'s first time).
    var firstSeen: Int64?
    /// Groups changed since the last `takeChanges`; nil while changes are not tracked (replay, tests).
    private var changedGroups: Set<GroupKey>?
    private var ruleChanged = false

    /// Runs `body` on the group's entry in place, creating it first if new: one hash lookup, where taking
    /// the entry out and putting it back costs two and rehashes the key twice.
    @inline(__always)
    final func updateGroup<R>(_ key: GroupKey, _ event: CurrentEvent, new state: @autoclosure () -> State,
                              _ body: (inout GroupEntry<State>) -> R) -> R {
        groups.withValue(for: key, default: { newEntry(event, state: state()) }, body)
    }

    /// Kinds call this after changing a group's entry.
    @inline(__always)
    final func changed(_ key: GroupKey) {
        changedGroups?.insert(key)
    }

    /// Kinds call this after changing state kept across groups (`firstSeen`).
    final func changedRule() { ruleChanged = true }

    /// The first `takeChanges` afterwards names every rule, so the store knows which definitions its state is for.
    override func trackChanges() {
        if changedGroups == nil { changedGroups = [] }
        ruleChanged = true
    }

    override func trackChangesOfEverything() {
        changedGroups = Set(groups.keys)
        ruleChanged = true
    }

    override func takeChanges() throws -> RuleChanges? {
        guard let keys = changedGroups, !keys.isEmpty || ruleChanged else { return nil }
        let ruleRecordChanged = ruleChanged
        var upserts: [GroupRecord] = []
        var deletions: [[UInt8]] = []
        for key in keys {
            if let entry = groups[key] {
                let record = GroupRecordCodec.encode(members: entry.storedMembers.map { JSONValue.object($0).description },
                                                     suppression: entry.suppression, state: entry.state)
                upserts.append(GroupRecord(key: key.bytes, state: Data(record)))
            } else {
                deletions.append(key.bytes)
            }
        }
        changedGroups = []
        ruleChanged = false
        return RuleChanges(rule: rule.id, fingerprint: rule.definition.fingerprint, firstSeen: firstSeen,
                           ruleRecordChanged: ruleRecordChanged, upserts: upserts, deletions: deletions)
    }

    override func restoreGroups(_ records: [GroupRecord], firstSeen: Int64?) throws {
        let decoder = JSONDecoder()
        groups.removeAll()
        for record in records {
            let key = GroupKey(bytes: record.key)
            let bytes = [UInt8](record.state)
            if bytes.first == GroupRecordFormat.legacyJSONFirstByte {
                let group = try decoder.decode(GroupSnapshot<State>.self, from: record.state)
                groups[key] = entry(key: key, members: try parseMembers(group.members), suppression: group.suppression,
                                    state: group.state)
            } else {
                let saved = try GroupRecordCodec<State>.decode(bytes)
                groups[key] = GroupEntry(storedMembers: try saved.members.map(parseMembers),
                                         suppression: saved.suppression, state: saved.state)
            }
        }
        self.firstSeen = firstSeen
        restored()
    }

    override func snapshotState() throws -> Data {
        var saved: [GroupSnapshot<State>] = []
        groups.forEach { key, entry in
            saved.append(GroupSnapshot(key: key, members: JSONValue.object(members(of: entry, key: key)).description,
                                       suppression: entry.suppression, state: entry.state))
        }
        saved.sort { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
        return try JSONEncoder().encode(KindSnapshot(groups: saved, firstSeen: firstSeen))
    }

    override func restoreState(_ data: Data) throws {
        let saved = try JSONDecoder().decode(KindSnapshot<State>.self, from: data)
        groups.removeAll()
        for group in saved.groups {
            groups[group.key] = entry(key: group.key, members: try parseMembers(group.members),
                                      suppression: group.suppression, state: group.state)
        }
        firstSeen = saved.firstSeen
        restored()
    }

    private func parseMembers(_ text: String) throws -> [JSONMember] {
        guard case .object(let members)? = JSONValue(jsonText: text) else {
            throw SnapshotError.corrupt("group members of rule \(rule.id) are not a JSON object")
        }
        return members
    }

    /// A group restored from JSON (which always lists its members): members kept only when the key would not
    /// give the same ones back.
    private func entry(key: GroupKey, members: [JSONMember], suppression: Suppression, state: State) -> GroupEntry<State> {
        let derived = key.members(paths: rule.definition.groupBy)
        let same = derived.count == members.count
            && zip(derived, members).allSatisfy { $0.key == $1.key && $0.value.description == $1.value.description }
        return GroupEntry(storedMembers: same ? nil : members, suppression: suppression, state: state)
    }

    /// Called after a restore, for kinds that derive something from their groups.
    func restored() {}
}

/// Makes alerts from firings: suppression, stable ids, summaries.
final class AlertFactory {
    private(set) var sent = 0
    private(set) var suppressed = 0
    /// Alerts whose condition ended (an `absence` group's awaited event arrived); nil when not wanted.
    var resolutions: [Resolution]?

    func resolved(_ alertID: String, rule: String, time: Int64) {
        resolutions?.append(Resolution(alertID: alertID, rule: rule, time: time))
    }

    func restoreCounts(sent: Int, suppressed: Int) {
        self.sent = sent
        self.suppressed = suppressed
    }

    /// `members` and `events` are evaluated only for an alert sent: most firings of a busy group are suppressed.
    func emit(rule: CompiledRule, members makeMembers: @autoclosure () -> [JSONMember], suppression: inout Suppression,
              time: Int64, count: Int, events makeEvents: @autoclosure () -> [EventRef], slots: UnsafePointer<tw_value>?,
              into alerts: inout [Alert]) {
        let window = rule.definition.suppress
        if window > 0, let last = suppression.lastSent, time < last &+ window {
            suppression.suppressed += 1
            suppressed += 1
            return
        }
        let d = rule.definition
        let members = makeMembers()
        let events = makeEvents()
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
