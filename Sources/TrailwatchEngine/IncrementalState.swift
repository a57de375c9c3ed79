import Foundation

/// One group's saved state: its key bytes and its record as JSON (members, suppression, the kind's state).
public struct GroupRecord: Sendable, Equatable {
    public var key: [UInt8]
    public var state: Data

    public init(key: [UInt8], state: Data) {
        self.key = key
        self.state = state
    }
}

/// What changed in one rule since the last `Engine.takeChanges()`.
public struct RuleChanges: Sendable {
    public var rule: String
    /// Saved state only applies to the same definition: a changed rule starts empty.
    public var fingerprint: String
    /// State kept across groups (`new-value`'s first matching time).
    public var firstSeen: Int64?
    /// The rule's own record (fingerprint, `firstSeen`) changed: first commit after a start or reload, or a
    /// new `firstSeen`. Otherwise only its groups need writing.
    public var ruleRecordChanged: Bool
    public var upserts: [GroupRecord]
    /// Keys of groups that no longer exist.
    public var deletions: [[UInt8]]
}

/// The engine's changes since the last call: what one durable commit must write.
///
/// Only touched groups are written, so a commit costs what the batch changed, not what the engine holds.
public struct EngineChanges: Sendable {
    public var watermark: Int64?
    public var alertsSent: Int
    public var alertsSuppressed: Int
    public var rules: [RuleChanges]
}

/// A rule's state as loaded from the store.
public struct SavedRuleState: Sendable {
    public var rule: String
    public var fingerprint: String
    public var firstSeen: Int64?
    public var groups: [GroupRecord]

    public init(rule: String, fingerprint: String, firstSeen: Int64?, groups: [GroupRecord]) {
        self.rule = rule
        self.fingerprint = fingerprint
        self.firstSeen = firstSeen
        self.groups = groups
    }
}

/// Engine-wide counters and time, saved beside the rules' state.
public struct SavedEngineState: Sendable, Equatable {
    public var watermark: Int64?
    public var alertsSent: Int
    public var alertsSuppressed: Int

    public init(watermark: Int64?, alertsSent: Int, alertsSuppressed: Int) {
        self.watermark = watermark
        self.alertsSent = alertsSent
        self.alertsSuppressed = alertsSuppressed
    }
}

/// An alert whose condition has ended: an `absence` group that fired saw its awaited event at `time`.
/// Not part of replay's output; the daemon tells receivers that track incidents (PagerDuty, Alertmanager).
public struct Resolution: Sendable, Equatable {
    public var alertID: String
    public var rule: String
    public var time: Int64
}

extension Engine {
    /// Makes every rule record which groups change, so `takeChanges` can return only those.
    public func trackChanges() {
        for runtime in runtimes { runtime.trackChanges() }
    }

    /// The changes since the last call (or since `trackChanges`), and the current watermark and counters.
    public func takeChanges() throws -> EngineChanges {
        EngineChanges(watermark: watermark, alertsSent: alertsSent, alertsSuppressed: alertsSuppressed,
                      rules: try runtimes.compactMap { try $0.takeChanges() })
    }

    /// Every running rule's whole state as records: written once after a reload replaced the rule set.
    public func allRuleStates() throws -> [SavedRuleState] {
        try runtimes.map { runtime in
            runtime.trackChangesOfEverything()
            let changes = try runtime.takeChanges()
            return SavedRuleState(rule: runtime.rule.id, fingerprint: runtime.rule.definition.fingerprint,
                                  firstSeen: changes?.firstSeen, groups: changes?.upserts ?? [])
        }
    }

    /// Loads saved state into a fresh engine. Rules whose id and fingerprint match get their state back;
    /// the ids of the others (changed, new) are returned: they start empty.
    @discardableResult
    public func restore(engine saved: SavedEngineState, rules: [SavedRuleState]) throws -> [String] {
        let byID = Dictionary(rules.map { ($0.rule, $0) }, uniquingKeysWith: { _, last in last })
        var reset: [String] = []
        for runtime in runtimes {
            if let rule = byID[runtime.rule.id], rule.fingerprint == runtime.rule.definition.fingerprint {
                try runtime.restoreGroups(rule.groups, firstSeen: rule.firstSeen)
            } else {
                reset.append(runtime.rule.id)
            }
        }
        restoreCounters(saved)
        return reset
    }
}
