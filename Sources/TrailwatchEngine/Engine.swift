import CSimdJSON
import TrailwatchCore
import TrailwatchEvents
import TrailwatchRules

/// Evaluates compiled rules over events in stream order (rules.md §5-§7).
///
/// Time is an input: replay passes event times, the daemon its clock through `advanceWatermark`.
/// The engine reads no clock and does no I/O, so replay and live give the same alerts.
public final class Engine {
    public let ruleSet: CompiledRuleSet
    let runtimes: [RuleRuntime]
    /// `runtimes` unretained (the array keeps them alive): the per-event loop does no reference counting.
    private let runtimeRefs: UnsafeMutableBufferPointer<Unmanaged<RuleRuntime>>
    private let index: RuleIndex
    /// Per runtime position, the slots its rule reads that the parser may leave pending, as ranges of
    /// `pendableSlots`: checked for every candidate of every event, so kept in plain buffers (no retains).
    private let pendableRanges: UnsafeMutableBufferPointer<(start: Int32, count: Int32)>
    private let pendableSlots: UnsafeMutableBufferPointer<Int32>
    private let deadlines = DeadlineQueue()
    private let output = AlertFactory()
    private let idSlot: Int
    private let results: TestResults
    /// The `absence` runtimes by rule index, for deadlines coming due.
    private let absenceRules: [Int: AbsenceRule]

    /// The greatest event time seen (replay) or the clock (live); nil before the first event.
    public private(set) var watermark: Int64? {
        get { watermarkStorage.pointee }
        set { watermarkStorage.pointee = newValue }
    }
    /// Behind a pointer: every event with its own time moves it, and class storage would cost that a dynamic
    /// exclusivity check.
    private let watermarkStorage: UnsafeMutablePointer<Int64?> = {
        let p = UnsafeMutablePointer<Int64?>.allocate(capacity: 1)
        p.initialize(to: nil)
        return p
    }()

    /// Alerts sent and suppressed so far.
    public var alertsSent: Int { output.sent }
    public var alertsSuppressed: Int { output.suppressed }

    /// `only`: ids of the rules to run (rule tests); nil runs every enabled rule.
    public convenience init(ruleSet: CompiledRuleSet, only: Set<String>? = nil) {
        self.init(ruleSet: ruleSet, only: only, indexed: true)
    }

    /// `indexed: false` offers every event to every rule: tests use it to show the index changes nothing.
    init(ruleSet: CompiledRuleSet, only: Set<String>?, indexed: Bool) {
        self.ruleSet = ruleSet
        idSlot = ruleSet.schema.idSlot
        results = TestResults(table: ruleSet.tests)
        let runnable = ruleSet.rules.filter { $0.definition.enabled && (only?.contains($0.id) ?? true) }
        let output = self.output
        let deadlines = self.deadlines
        runtimes = runnable.map { rule -> RuleRuntime in
            switch rule.definition.kind {
            case .every: EveryRule(rule: rule, output: output)
            case .threshold: ThresholdRule(rule: rule, output: output)
            case .distinct: DistinctRule(rule: rule, output: output)
            case .sequence: SequenceRule(rule: rule, output: output)
            case .absence: AbsenceRule(rule: rule, output: output, deadlines: deadlines)
            case .newValue: NewValueRule(rule: rule, output: output)
            }
        }
        runtimeRefs = .allocate(capacity: max(runtimes.count, 1))
        _ = runtimeRefs.initialize(from: runtimes.map { Unmanaged.passUnretained($0) })
        let schema = ruleSet.schema
        let mayBePending = (0..<schema.slotCount).map { schema.mayBePending($0) }  // once per slot, not per rule
        var ranges: [(start: Int32, count: Int32)] = []
        var pendable: [Int32] = []
        for runtime in runtimes {
            let slots = runtime.rule.readSlots.filter { mayBePending[Int($0)] }
            ranges.append((Int32(pendable.count), Int32(slots.count)))
            pendable += slots
        }
        pendableRanges = .allocate(capacity: max(ranges.count, 1))
        _ = pendableRanges.initialize(from: ranges)
        pendableSlots = .allocate(capacity: max(pendable.count, 1))
        _ = pendableSlots.initialize(from: pendable)
        index = RuleIndex(rules: runnable, tests: ruleSet.tests, schema: ruleSet.schema, indexed: indexed)
        absenceRules = Dictionary(uniqueKeysWithValues: runtimes.compactMap { ($0 as? AbsenceRule).map { ($0.rule.index, $0) } })
    }

    deinit {
        runtimeRefs.deallocate()
        watermarkStorage.deallocate()
        pendableRanges.deallocate()
        pendableSlots.deallocate()
    }

    /// Evaluates the event now held by `parser`.
    ///
    /// `movesWatermark` is true when the event carried its own valid time (a fallback time never moves it).
    /// Absence deadlines that the moved watermark passed come out first, then this event's alerts.
    public func process(_ parser: EventParser, context: EventContext, movesWatermark: Bool, into alerts: inout [Alert]) {
        if movesWatermark { advanceWatermark(to: context.time, into: &alerts) }
        let slots = parser.unresolvedSlots
        var pending = parser.hasPending
        results.nextEvent()
        withUnsafePointer(to: context) { context in
            let event = CurrentEvent(slots: slots, context: context, idSlot: idSlot, results: results)
            index.withCandidates(slots) { positions, known in
                results.seed(known)
                for position in positions {
                    // JSON-in-string members (requestData) are parsed only when a candidate rule reads one.
                    if pending, readsPending(Int(position), slots) {
                        parser.resolvePending()
                        pending = false
                    }
                    runtimeRefs[Int(position)]._withUnsafeGuaranteedRef { $0.process(event, into: &alerts) }
                }
            }
        }
    }

    @inline(__always)
    private func readsPending(_ position: Int, _ slots: UnsafePointer<tw_value>) -> Bool {
        let range = pendableRanges[position]
        for i in range.start..<range.start + range.count {
            if UInt32(slots[Int(pendableSlots[Int(i)])].kind) == TW_PENDING.rawValue { return true }
        }
        return false
    }

    /// Moves the watermark forward (never back) and produces the `absence` alerts now due,
    /// ordered by time, then rule id, then group.
    public func advanceWatermark(to time: Int64, into alerts: inout [Alert]) {
        if let w = watermark, time <= w { return }
        watermark = time
        guard deadlines.hasDue(before: time) else { return }
        let due = deadlines.popDue(before: time)
        // Sort keys are computed once per deadline, not once per comparison.
        let keyed = due.map { d -> (deadline: Deadline, rule: String, group: String) in
            let runtime = absenceRules[d.rule]
            return (d, runtime?.rule.id ?? "", JSONValue.object(runtime?.members(of: d.group) ?? []).canonicalText)
        }.sorted { a, b in
            if a.deadline.time != b.deadline.time { return a.deadline.time < b.deadline.time }
            if a.rule != b.rule { return a.rule.utf8.lexicographicallyPrecedes(b.rule.utf8) }
            if a.group != b.group { return a.group.utf8.lexicographicallyPrecedes(b.group.utf8) }
            return a.deadline.last.sequence < b.deadline.last.sequence
        }
        for (deadline, _, _) in keyed {
            absenceRules[deadline.rule]?.fireIfCurrent(deadline, into: &alerts)
        }
    }

    /// Starts collecting resolutions (`takeResolutions`); replay does not.
    public func reportResolutions() {
        if output.resolutions == nil { output.resolutions = [] }
    }

    /// Whether resolutions are waiting for `takeResolutions`.
    public var hasResolutions: Bool { !(output.resolutions?.isEmpty ?? true) }

    /// The resolutions since the last call.
    public func takeResolutions() -> [Resolution] {
        guard let all = output.resolutions, !all.isEmpty else { return [] }
        output.resolutions = []
        return all
    }

    /// The state of every running rule and the watermark.
    public func snapshot() throws -> EngineSnapshot {
        EngineSnapshot(
            version: EngineSnapshot.currentVersion, watermark: watermark, alertsSent: output.sent,
            alertsSuppressed: output.suppressed,
            rules: try runtimes.map {
                RuleSnapshot(rule: $0.rule.id, fingerprint: $0.rule.definition.fingerprint, state: try $0.snapshotState())
            })
    }

    /// Loads saved state into a fresh engine. Rules whose id and fingerprint match get their state back;
    /// the ids of the others (changed, new) are returned: they start empty.
    @discardableResult
    public func restore(_ snapshot: EngineSnapshot) throws -> [String] {
        guard snapshot.version == EngineSnapshot.currentVersion else {
            throw SnapshotError.unsupportedVersion(snapshot.version)
        }
        let saved = Dictionary(snapshot.rules.map { ($0.rule, $0) }, uniquingKeysWith: { _, last in last })
        var reset: [String] = []
        for runtime in runtimes {
            if let rule = saved[runtime.rule.id], rule.fingerprint == runtime.rule.definition.fingerprint {
                try runtime.restoreState(rule.state)
            } else {
                reset.append(runtime.rule.id)
            }
        }
        restoreCounters(SavedEngineState(watermark: snapshot.watermark, alertsSent: snapshot.alertsSent,
                                         alertsSuppressed: snapshot.alertsSuppressed))
        return reset
    }

    func restoreCounters(_ saved: SavedEngineState) {
        watermark = saved.watermark
        output.restoreCounts(sent: saved.alertsSent, suppressed: saved.alertsSuppressed)
    }
}
