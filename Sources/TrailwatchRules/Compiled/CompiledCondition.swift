import CSimdJSON
import TrailwatchEvents

/// A condition bound to the schema's slots, ready to evaluate against the current event.
public indirect enum CompiledCondition: @unchecked Sendable {
    case all([CompiledCondition])
    case any([CompiledCondition])
    case not(CompiledCondition)
    case test(CompiledTest)

    public init(_ condition: Condition, schema: EventSchema) {
        switch condition {
        case .all(let c): self = .all(c.map { CompiledCondition($0, schema: schema) })
        case .any(let c): self = .any(c.map { CompiledCondition($0, schema: schema) })
        case .not(let c): self = .not(CompiledCondition(c, schema: schema))
        case .test(let t): self = .test(CompiledTest(t, schema: schema))
        }
    }

    @inline(__always)
    public func evaluate(_ slots: UnsafePointer<tw_value>) -> Bool {
        switch self {
        case .all(let children):
            for c in children where !c.evaluate(slots) { return false }
            return true
        case .any(let children):
            for c in children where c.evaluate(slots) { return true }
            return false
        case .not(let child):
            return !child.evaluate(slots)
        case .test(let test):
            return test.matcher.matches(slots[test.slot])
        }
    }
}

/// One field test: the slot to read and the prepared operator.
public struct CompiledTest: @unchecked Sendable {
    public let slot: Int
    public let path: FieldPath
    public let matcher: ValueMatcher

    public init(_ test: FieldTest, schema: EventSchema) {
        slot = schema.slot(for: test.path)
        path = test.path
        matcher = ValueMatcher.make(test.op, ignoreCase: test.ignoreCase)
    }
}
