import TrailwatchCore
import TrailwatchEvents

/// The six kinds of rules.md §5.
public enum RuleKind: String, Sendable, CaseIterable {
    case every, threshold, distinct, sequence, absence
    case newValue = "new-value"
}

/// A rule as written and validated, before it is compiled against an event schema.
public struct RuleDefinition: Sendable {
    public var id: String
    public var description: String?
    public var severity: Severity
    public var kind: RuleKind
    /// Nil only for a `sequence` without a filter.
    public var match: Condition?
    public var groupBy: [FieldPath]
    /// Milliseconds; for threshold, distinct, sequence and absence.
    public var window: Int64
    /// For threshold and distinct.
    public var count: Int
    /// For distinct and new-value.
    public var field: FieldPath?
    /// For sequence: at least two.
    public var steps: [Condition]
    /// For new-value, milliseconds.
    public var learn: Int64
    public var suppress: Int64
    public var summary: Template
    public var labels: [JSONMember]
    /// Sink names that override routing (the daemon's configuration resolves them).
    public var sinks: [String]?
    public var enabled: Bool
    /// Where the rule object starts.
    public var location: SourceLocation
    /// Where its id is written (duplicate ids are reported there).
    public var idLocation: SourceLocation
    /// The rule's JSON text in canonical form: equal for equal definitions, whatever the layout.
    /// The daemon keeps a rule's state across reloads while this is unchanged.
    public var fingerprint: String
}

/// A condition of rules.md §4.
public indirect enum Condition: Sendable {
    case all([Condition])
    case any([Condition])
    case not(Condition)
    case test(FieldTest)
}

/// `{"field": PATH, OP: OPERAND}`, optionally with `"ignore_case": true`.
public struct FieldTest: Sendable {
    public var path: FieldPath
    public var op: TestOperator
    public var ignoreCase: Bool
    public var location: SourceLocation
}

/// The operators of rules.md §4, with validated operands.
public enum TestOperator: Sendable {
    /// A string, number, boolean or null.
    case equals(JSONValue)
    case `in`([JSONValue])
    case glob([String])
    case prefix(String)
    case suffix(String)
    case contains(String)
    case regex(String)
    case gt(Double), gte(Double), lt(Double), lte(Double)
    case cidr([IPNetwork])
    case exists(Bool)

    /// The operator and its operand as text: equal for equal tests (shared tests are evaluated once).
    public var key: String {
        switch self {
        case .equals(let v): "equals " + v.canonicalText
        case .in(let v): "in " + JSONValue.array(v).canonicalText
        case .glob(let p): "glob " + JSONValue.array(p.map { .string($0) }).description
        case .prefix(let s): "prefix " + s
        case .suffix(let s): "suffix " + s
        case .contains(let s): "contains " + s
        case .regex(let s): "regex " + s
        case .gt(let n): "gt \(n)"
        case .gte(let n): "gte \(n)"
        case .lt(let n): "lt \(n)"
        case .lte(let n): "lte \(n)"
        case .cidr(let n): "cidr " + n.map(\.description).joined(separator: ",")
        case .exists(let b): "exists \(b)"
        }
    }

    public static let names = ["equals", "in", "glob", "prefix", "suffix", "contains", "regex",
                               "gt", "gte", "lt", "lte", "cidr", "exists"]
    /// The operators `ignore_case` applies to (rules.md §9).
    public static let caseFoldable: Set<String> = ["equals", "in", "glob", "prefix", "suffix", "contains", "regex"]
}
