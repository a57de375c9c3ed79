import CSimdJSON
import TrailwatchCore
import TrailwatchEvents

/// Every distinct field test of a rule set, numbered so each is evaluated at most once per event.
///
/// Rules share tests (the pack's thirteen database rules all test the same list of services); two tests
/// are the same when path, operator, operand and `ignore_case` are.
public final class TestTable: @unchecked Sendable {  // filled while compiling, read-only afterwards
    private var ids: [String: Int32] = [:]
    private(set) var matchers: [ValueMatcher] = []
    private(set) var slots: [Int32] = []

    public var count: Int { matchers.count }

    private static func key(_ test: FieldTest) -> String {
        test.path.text + "\u{0}" + test.op.key + "\u{0}" + (test.ignoreCase ? "i" : "")
    }

    /// The compiled matcher of a test of this rule set (the index reuses them rather than compiling again).
    public func matcher(for test: FieldTest) -> ValueMatcher? {
        ids[Self.key(test)].map { matchers[Int($0)] }
    }

    /// The slot the test reads.
    public func slot(ofTest id: Int32) -> Int { Int(slots[Int(id)]) }

    /// The test's result on `value` (what `TestResults` would record for an event with that value).
    public func test(_ id: Int32, matches value: tw_value) -> Bool { matchers[Int(id)].matches(value) }

    func intern(_ test: FieldTest, schema: EventSchema) -> Int32 {
        let key = Self.key(test)
        if let id = ids[key] { return id }
        let id = Int32(matchers.count)
        ids[key] = id
        matchers.append(ValueMatcher.make(test.op, ignoreCase: test.ignoreCase))
        slots.append(Int32(schema.slot(for: test.path)))
        return id
    }
}

/// Per-engine memory of the current event's test results (the engine calls `nextEvent` per event).
public final class TestResults {
    private let table: TestTable
    private let matchers: UnsafeMutableBufferPointer<Unmanaged<ValueMatcher>>
    private let slots: UnsafeMutableBufferPointer<Int32>
    /// Per test: `generation << 1 | result` once evaluated for this event.
    private let memo: UnsafeMutableBufferPointer<UInt32>
    /// The current event's number; kept behind a pointer so the per-event paths need no exclusivity checks.
    private let generationStorage = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private var generation: UInt32 {
        @inline(__always) get { generationStorage.pointee }
        @inline(__always) set { generationStorage.pointee = newValue }
    }

    public init(table: TestTable) {
        self.table = table
        let n = max(table.count, 1)
        matchers = .allocate(capacity: n)
        _ = matchers.initialize(from: table.matchers.map { Unmanaged.passUnretained($0) })
        slots = .allocate(capacity: n)
        _ = slots.initialize(from: table.slots)
        memo = .allocate(capacity: n)
        memo.initialize(repeating: 0)
        generationStorage.initialize(to: 1)
    }

    deinit {
        generationStorage.deallocate()
        matchers.deallocate()
        slots.deallocate()
        memo.deallocate()
    }

    /// Forgets the previous event's results.
    @inline(__always)
    public func nextEvent() {
        generation &+= 1
        if generation >= 1 << 31 {
            generation = 1
            memo.update(repeating: 0)
        }
    }

    /// Records results known before the event is evaluated, each `test id << 1 | result` (the rule index
    /// knows the results of the tests on `action` for each action it has seen).
    @inline(__always)
    public func seed(_ known: UnsafeBufferPointer<Int32>) {
        let stamp = generation << 1
        for entry in known { memo[Int(entry >> 1)] = stamp | UInt32(entry & 1) }
    }

    @inline(__always)
    func result(_ id: Int32, _ values: UnsafePointer<tw_value>) -> Bool {
        let i = Int(id)
        let stored = memo[i]
        if stored >> 1 == generation { return stored & 1 == 1 }
        let value = values[Int(slots[i])]
        let result = matchers[i]._withUnsafeGuaranteedRef { $0.matches(value) }
        memo[i] = generation << 1 | (result ? 1 : 0)
        return result
    }
}

/// A condition bound to the schema, as a flat list of nodes: evaluation touches no reference counts.
///
/// The nodes live in buffers allocated once (not arrays in `var`s), so evaluating retains nothing and
/// needs no dynamic exclusivity checks.
public final class CompiledCondition: @unchecked Sendable {  // immutable after init
    struct Node {
        enum Kind: UInt8 { case test, all, any, not }
        var kind: Kind
        /// `test`: the test id; otherwise the index of the first child in `children`.
        var first: Int32
        var count: Int32
    }

    private let nodes: UnsafeMutableBufferPointer<Node>
    private let children: UnsafeMutableBufferPointer<Int32>
    private let root: Int32
    /// The ids of the tests in the condition, each once.
    public let testIDs: [Int32]

    init(_ condition: Condition, tests: TestTable, schema: EventSchema) {
        var nodes: [Node] = []
        var children: [Int32] = []
        func add(_ condition: Condition) -> Int32 {
            let node: Node
            switch condition {
            case .test(let t):
                node = Node(kind: .test, first: tests.intern(t, schema: schema), count: 0)
            case .not(let c):
                let child = add(c)
                node = Node(kind: .not, first: Int32(children.count), count: 1)
                children.append(child)
            case .all(let list), .any(let list):
                let ids = list.map { add($0) }
                node = Node(kind: { if case .all = condition { return .all } else { return .any } }(),
                            first: Int32(children.count), count: Int32(ids.count))
                children += ids
            }
            nodes.append(node)
            return Int32(nodes.count - 1)
        }
        root = add(condition)
        var seen = Set<Int32>()
        testIDs = nodes.compactMap { $0.kind == .test && seen.insert($0.first).inserted ? $0.first : nil }
        self.nodes = .allocate(capacity: nodes.count)
        _ = self.nodes.initialize(from: nodes)
        self.children = .allocate(capacity: max(children.count, 1))
        _ = self.children.initialize(from: children)
    }

    deinit {
        nodes.deallocate()
        children.deallocate()
    }

    /// Whether the current event (its values, and this engine's test results) satisfies the condition.
    public func evaluate(_ values: UnsafePointer<tw_value>, _ results: TestResults) -> Bool {
        Self.evaluate(root, UnsafeBufferPointer(nodes), UnsafeBufferPointer(children), values, results)
    }

    private static func evaluate(_ index: Int32, _ nodes: UnsafeBufferPointer<Node>, _ children: UnsafeBufferPointer<Int32>,
                                 _ values: UnsafePointer<tw_value>, _ results: TestResults) -> Bool {
        let node = nodes[Int(index)]
        switch node.kind {
        case .test:
            return results.result(node.first, values)
        case .not:
            return !evaluate(children[Int(node.first)], nodes, children, values, results)
        case .all:
            for i in node.first..<node.first + node.count where !child(children[Int(i)], nodes, children, values, results) {
                return false
            }
            return true
        case .any:
            for i in node.first..<node.first + node.count where child(children[Int(i)], nodes, children, values, results) {
                return true
            }
            return false
        }
    }

    /// A child of `all`/`any`: most are tests, answered here without a call.
    @inline(__always)
    private static func child(_ index: Int32, _ nodes: UnsafeBufferPointer<Node>, _ children: UnsafeBufferPointer<Int32>,
                              _ values: UnsafePointer<tw_value>, _ results: TestResults) -> Bool {
        let node = nodes[Int(index)]
        if node.kind == .test { return results.result(node.first, values) }
        return evaluate(index, nodes, children, values, results)
    }
}
