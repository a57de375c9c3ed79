import CSimdJSON
import TrailwatchCore
import TrailwatchEvents

/// A rule bound to the event schema: conditions, group paths and template read slots directly.
public final class CompiledRule: @unchecked Sendable {
    public let definition: RuleDefinition
    /// Position in load order; alerts of one event come out in this order.
    public let index: Int
    public let match: CompiledCondition?
    public let steps: [CompiledCondition]
    public let groupSlots: [Int]
    public let fieldSlot: Int?
    public let summary: CompiledTemplate
    /// The slots this rule reads (tests, group, field, summary). The engine resolves pending slots
    /// (`EventParser.unresolvedSlots`) before the rule runs when one of these is, checking those the schema
    /// says can be (`EventSchema.mayBePending`).
    public let readSlots: [Int32]

    init(_ definition: RuleDefinition, index: Int, tests: TestTable, schema: EventSchema) {
        self.definition = definition
        self.index = index
        match = definition.match.map { CompiledCondition($0, tests: tests, schema: schema) }
        steps = definition.steps.map { CompiledCondition($0, tests: tests, schema: schema) }
        groupSlots = definition.groupBy.map { schema.slot(for: $0, keepingText: true) }
        fieldSlot = definition.field.map { schema.slot(for: $0, keepingText: true) }
        summary = CompiledTemplate(definition.summary, schema: schema)
        var paths: [FieldPath] = definition.groupBy + (definition.field.map { [$0] } ?? [])
        func collect(_ c: Condition) {
            switch c {
            case .test(let t): paths.append(t.path)
            case .all(let list), .any(let list): list.forEach(collect)
            case .not(let inner): collect(inner)
            }
        }
        definition.match.map(collect)
        definition.steps.forEach(collect)
        paths += definition.summary.parts.compactMap { if case .field(let p) = $0 { p } else { nil } }
        readSlots = Array(Set(paths.map { Int32(schema.slot(for: $0)) })).sorted()
    }

    public var id: String { definition.id }
}

/// Every loaded rule compiled against one schema; the parser built from `schema` feeds them all.
public final class CompiledRuleSet: @unchecked Sendable {
    public let rules: [CompiledRule]
    public let schema: EventSchema
    /// Every distinct test of every rule; engines keep their per-event results in a `TestResults`.
    public let tests: TestTable

    /// Compiles `definitions` in order. Disabled rules are kept (validated) but flagged for the engine to skip.
    public init(_ definitions: [RuleDefinition]) {
        let schema = EventSchema()
        let tests = TestTable()
        rules = definitions.enumerated().map { CompiledRule($1, index: $0, tests: tests, schema: schema) }
        self.schema = schema
        self.tests = tests
    }

    public func makeParser() -> EventParser { EventParser(schema: schema) }
}

/// A summary template bound to slots.
public struct CompiledTemplate: @unchecked Sendable {
    enum Part {
        case literal(String)
        case field(Int)
        case group(Int)
        case count, rule, severity, time
    }

    let parts: [Part]

    init(_ template: Template, schema: EventSchema) {
        parts = template.parts.map {
            switch $0 {
            case .literal(let s): .literal(s)
            case .field(let p): .field(schema.slot(for: p, keepingText: true))
            case .group(let i): .group(i)
            case .count: .count
            case .rule: .rule
            case .severity: .severity
            case .time: .time
            }
        }
    }

    public var isEmpty: Bool { parts.isEmpty }

    /// Renders the summary. `slots` is the event that fired, nil for `absence` (then `{{PATH}}` is empty).
    public func render(slots: UnsafePointer<tw_value>?, group: [JSONMember], count: Int, rule: String,
                       severity: Severity, time: Int64) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .field(let slot):
                guard let slots else { continue }
                let v = FieldValue(slots[slot])
                switch v {
                case .missing: break
                case .string(let text): out += String(decoding: text, as: UTF8.self)
                default: out += v.jsonValue?.description ?? ""
                }
            case .group(let i):
                let value = group[i].value
                if case .string(let s) = value { out += s } else { out += value.description }
            case .count: out += String(count)
            case .rule: out += rule
            case .severity: out += severity.rawValue
            case .time: out += EventTime.format(time)
            }
        }
        return out
    }
}
