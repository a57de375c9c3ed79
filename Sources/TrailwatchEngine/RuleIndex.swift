import CSimdJSON
import TrailwatchEvents
import TrailwatchRules

/// Sends each event only to the rules that can match it, judged by its `action`.
///
/// From each rule's `match` the index derives what it requires of `action` (an `equals`, `glob`,
/// `suffix`... reachable through `all`, and through `any` when every branch has one). Rules that
/// require nothing of `action` see every event. The answer for each distinct action is computed
/// once and cached: real streams carry a few hundred actions, not millions. So are the results of
/// the candidates' own tests on `action` (the pack's eight-service glob, `*.backup.create`...), which
/// the engine then records for the event instead of matching them again.
final class RuleIndex {
    /// What a rule requires of the action value; nil in `requirements` means "nothing".
    indirect enum Requirement {
        case test(ValueMatcher)
        case all([Requirement])
        case any([Requirement])

        func accepts(_ v: tw_value) -> Bool {
            switch self {
            case .test(let m): m.matches(v)
            case .all(let r): r.allSatisfy { $0.accepts(v) }
            case .any(let r): r.contains { $0.accepts(v) }
            }
        }
    }

    private let requirements: [(rule: Int, requirement: Requirement?)]
    private let actionSlot: Int?
    private let everyRule: [Int32]
    private let tests: TestTable
    /// Per rule position: the ids of its tests (match and steps) that read `action`.
    private let actionTests: [[Int32]]
    /// The per-action memo, behind a pointer so the per-event lookup needs no dynamic exclusivity checks.
    private struct Memo {
        /// Action bytes → offset of its entry in `lists`.
        var cache = ByteKeyTable()
        /// Per action: the candidate count, the rule positions, the count of known test results, and those
        /// results (`test id << 1 | result`, see `TestResults.seed`).
        var lists: [Int32] = []
    }
    private let memo: UnsafeMutablePointer<Memo> = {
        let p = UnsafeMutablePointer<Memo>.allocate(capacity: 1)
        p.initialize(to: Memo())
        return p
    }()

    deinit {
        memo.deinitialize(count: 1)
        memo.deallocate()
    }
    private static let cacheLimit = 100_000
    private static let cacheByteLimit = 16 << 20
    private static let longestCachedKey = 1024

    /// `rules` are the runnable rules, in load order (their positions are what `candidates` gives).
    init(rules: [CompiledRule], tests: TestTable, schema: EventSchema, indexed: Bool = true) {
        let action = FieldPath("action")!
        var reqs: [(Int, Requirement?)] = []
        for (position, rule) in rules.enumerated() {
            reqs.append((position, rule.definition.match.flatMap { RuleIndex.requirement($0, on: action, tests: tests) }))
        }
        requirements = reqs
        let actionSlot = indexed && reqs.contains { $0.1 != nil } ? schema.slot(for: action) : nil
        self.actionSlot = actionSlot
        everyRule = rules.indices.map(Int32.init)
        self.tests = tests
        actionTests = rules.map { rule in
            guard let actionSlot else { return [] }
            let conditions = (rule.match.map { [$0] } ?? []) + rule.steps
            return Array(Set(conditions.flatMap(\.testIDs).filter { tests.slot(ofTest: $0) == actionSlot })).sorted()
        }
    }

    /// Calls `body` with the positions (in load order) of the rules that may match the current event, and
    /// the results of their tests on `action` when known (for `TestResults.seed`).
    @inline(__always)
    func withCandidates(_ slots: UnsafePointer<tw_value>,
                        _ body: (_ positions: UnsafeBufferPointer<Int32>, _ known: UnsafeBufferPointer<Int32>) -> Void) {
        let none = UnsafeBufferPointer<Int32>(start: nil, count: 0)
        guard let actionSlot else { return everyRule.withUnsafeBufferPointer { body($0, none) } }
        let v = slots[actionSlot]
        guard UInt32(v.kind) == TW_STRING.rawValue else { return compute(v).withUnsafeBufferPointer { body($0, none) } }
        let key = UnsafeRawBufferPointer(start: v.ptr, count: v.len)
        // Real actions are short; an absurd one is answered without being remembered.
        guard key.count <= Self.longestCachedKey else {
            return compute(v).withUnsafeBufferPointer { body($0, none) }
        }
        let offset: Int
        if let hit = memo.pointee.cache.value(for: key) {
            offset = Int(hit)
        } else {
            if memo.pointee.cache.count >= Self.cacheLimit || memo.pointee.cache.keyBytes >= Self.cacheByteLimit {
                memo.pointee.cache.removeAll()
                memo.pointee.lists.removeAll(keepingCapacity: true)
            }
            let result = compute(v)
            let known = Set(result.flatMap { actionTests[Int($0)] }).sorted().map { id in
                id << 1 | (tests.test(id, matches: v) ? 1 : 0)
            }
            offset = memo.pointee.lists.count
            memo.pointee.lists.append(Int32(result.count))
            memo.pointee.lists.append(contentsOf: result)
            memo.pointee.lists.append(Int32(known.count))
            memo.pointee.lists.append(contentsOf: known)
            memo.pointee.cache.insert(key, value: Int32(offset))
        }
        memo.pointee.lists.withUnsafeBufferPointer { all in
            let positions = offset + 1
            let knownCount = positions + Int(all[offset])
            let known = knownCount + 1
            body(UnsafeBufferPointer(rebasing: all[positions..<knownCount]),
                 UnsafeBufferPointer(rebasing: all[known..<(known + Int(all[knownCount]))]))
        }
    }

    private func compute(_ v: tw_value) -> [Int32] {
        requirements.compactMap { entry in
            (entry.requirement.map { $0.accepts(v) } ?? true) ? Int32(entry.rule) : nil
        }
    }

    /// What `condition` requires of the value at `path`, or nil when it does not constrain it.
    static func requirement(_ condition: Condition, on path: FieldPath, tests: TestTable) -> Requirement? {
        switch condition {
        case .test(let t):
            guard t.path == path else { return nil }
            if case .exists(false) = t.op { return nil }
            return tests.matcher(for: t).map { .test($0) }
        case .all(let children):
            let r = children.compactMap { requirement($0, on: path, tests: tests) }
            return r.isEmpty ? nil : (r.count == 1 ? r[0] : .all(r))
        case .any(let children):
            guard !children.isEmpty else { return nil }
            var r: [Requirement] = []
            for child in children {
                guard let c = requirement(child, on: path, tests: tests) else { return nil }
                r.append(c)
            }
            return r.count == 1 ? r[0] : .any(r)
        case .not:
            return nil
        }
    }
}
