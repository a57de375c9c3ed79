import TrailwatchCore
import TrailwatchEvents

/// Turns one rule object into a `RuleDefinition`, collecting every problem instead of stopping at the first.
struct RuleDecoder {
    private(set) var diagnostics: [Diagnostic] = []

    static let commonMembers: Set<String> = ["id", "description", "severity", "kind", "match", "group_by", "suppress",
                                             "summary", "labels", "sinks", "enabled"]
    /// Members that only some kinds take, and which.
    static let kindMembers: [String: Set<RuleKind>] = [
        "window": [.threshold, .distinct, .sequence, .absence],
        "count": [.threshold, .distinct],
        "field": [.distinct, .newValue],
        "steps": [.sequence],
        "learn": [.newValue],
    ]
    static let allMembers = commonMembers.union(kindMembers.keys)

    mutating func report(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(location, message))
    }

    /// Decodes `node`; nil when it has any problem (all of them are in `diagnostics`).
    mutating func decode(_ node: JSONNode) -> RuleDefinition? {
        let before = diagnostics.count
        guard let members = node.members else {
            report(node.location, "expected a rule object, got \(node.typeName)")
            return nil
        }
        var byName: [String: JSONNode] = [:]
        for member in members {
            if Self.allMembers.contains(member.key) {
                byName[member.key] = member.value
            } else {
                report(member.keyLocation, "\"\(member.key)\": unknown member of a rule" + suggestion(member.key, Self.allMembers))
            }
        }

        let id = decodeID(byName["id"], rule: node)
        let severity = decodeSeverity(byName["severity"], rule: node)
        var kind: RuleKind? = .every
        if let k = byName["kind"] {
            kind = nil
            if let s = k.string, let parsed = RuleKind(rawValue: s) {
                kind = parsed
            } else {
                report(k.location, "\"kind\": expected one of " + RuleKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + ", got \(k.shortText)")
            }
        }
        if let kind {
            for member in members where Self.kindMembers[member.key].map({ !$0.contains(kind) }) ?? false {
                let owners = RuleKind.allCases.filter { Self.kindMembers[member.key]!.contains($0) }.map(\.rawValue)
                let article = kind == .every ? "an" : "a"
                report(member.keyLocation, "\"\(member.key)\": not a member of \(article) \"\(kind.rawValue)\" rule (only \(owners.joined(separator: ", ")) rules take it)")
            }
        }

        // Members every kind may have.
        let groupBy = decodeGroupBy(byName["group_by"])
        let description = decodeString(byName["description"], member: "description")
        let suppress = byName["suppress"].flatMap { decodeDuration($0, member: "suppress") } ?? 0
        var labels: [JSONMember] = []
        if let l = byName["labels"] { labels = decodeLabels(l) }
        var sinks: [String]? = nil
        if let s = byName["sinks"] { sinks = decodeStringArray(s, member: "sinks") }
        var enabled = true
        if let e = byName["enabled"] {
            if case .bool(let b) = e.kind { enabled = b } else { report(e.location, "\"enabled\": expected true or false, got \(e.shortText)") }
        }
        var summary = Template.empty
        if let s = byName["summary"] {
            if let text = s.string {
                do { summary = try Template.parse(text, groupBy: groupBy ?? []) } catch {
                    report(s.location, "\"summary\": \(error.message)")
                }
            } else {
                report(s.location, "\"summary\": expected a string template, got \(s.typeName)")
            }
        }

        // Kind-specific members.
        var match: Condition? = nil
        var window: Int64 = 0, count = 0, learn: Int64 = 0
        var field: FieldPath? = nil
        var steps: [Condition] = []
        if let kind {
            func required(_ name: String) -> JSONNode? {
                if let n = byName[name] { return n }
                report(node.location, "\"\(name)\": required for a \"\(kind.rawValue)\" rule")
                return nil
            }
            if kind == .sequence {
                match = byName["match"].flatMap { decodeCondition($0) }
            } else if let m = required("match") {
                match = decodeCondition(m)
            }
            if Self.kindMembers["window"]!.contains(kind), let w = required("window") {
                window = decodeDuration(w, member: "window") ?? 0
            }
            if Self.kindMembers["count"]!.contains(kind), let c = required("count") {
                count = decodeCount(c)
            }
            if Self.kindMembers["field"]!.contains(kind), let f = required("field") {
                field = decodePath(f, member: "field")
            }
            if kind == .sequence, let s = required("steps") {
                steps = decodeSteps(s)
            }
            if kind == .newValue, let l = byName["learn"] {
                learn = decodeDuration(l, member: "learn") ?? 0
            }
        }

        guard diagnostics.count == before, let id, let severity, let kind else { return nil }
        return RuleDefinition(
            id: id, description: description, severity: severity, kind: kind, match: match,
            groupBy: groupBy ?? [], window: window, count: count, field: field, steps: steps, learn: learn,
            suppress: suppress, summary: summary, labels: labels, sinks: sinks, enabled: enabled,
            location: node.location, idLocation: byName["id"]?.location ?? node.location,
            fingerprint: node.value.canonicalText)
    }

    // MARK: - Members

    private mutating func decodeID(_ node: JSONNode?, rule: JSONNode) -> String? {
        guard let node else {
            report(rule.location, "\"id\": required: every rule needs an id")
            return nil
        }
        guard let s = node.string else {
            report(node.location, "\"id\": expected a string, got \(node.typeName)")
            return nil
        }
        guard Self.isValidID(s) else {
            report(node.location, "\"id\": \"\(s)\" is not a valid rule id: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
            return nil
        }
        return s
    }

    static func isValidID(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLowerAlnum(first) else { return false }
        return s.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }

    private mutating func decodeSeverity(_ node: JSONNode?, rule: JSONNode) -> Severity? {
        let choices = Severity.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let node else {
            report(rule.location, "\"severity\": required: one of \(choices)")
            return nil
        }
        guard let s = node.string, let severity = Severity(rawValue: s) else {
            report(node.location, "\"severity\": expected one of \(choices), got \(node.shortText)")
            return nil
        }
        return severity
    }

    private mutating func decodeString(_ node: JSONNode?, member: String) -> String? {
        guard let node else { return nil }
        guard let s = node.string else {
            report(node.location, "\"\(member)\": expected a string, got \(node.typeName)")
            return nil
        }
        return s
    }

    /// The longest duration a rule may use: a century, far beyond any audit window, and far from overflow.
    static let longestDuration: Int64 = 36_500 * 86_400_000

    private mutating func decodeDuration(_ node: JSONNode, member: String) -> Int64? {
        guard let s = node.string, let ms = DurationText.parse(s) else {
            report(node.location, "\"\(member)\": expected a duration like \"10m\" or \"1h30m\" (units d, h, m, s, ms, largest first), got \(node.shortText)")
            return nil
        }
        guard ms <= Self.longestDuration else {
            report(node.location, "\"\(member)\": \(node.shortText) is longer than the longest duration a rule may use, 36500d")
            return nil
        }
        return ms
    }

    private mutating func decodeCount(_ node: JSONNode) -> Int {
        guard case .number(let n) = node.kind, let i = n.integer ?? JSONNumber.exactInteger(n.value), i >= 1, i <= 1_000_000 else {
            report(node.location, "\"count\": expected a whole number from 1 to 1000000, got \(node.shortText)")
            return 0
        }
        return Int(i)
    }

    private mutating func decodePath(_ node: JSONNode, member: String) -> FieldPath? {
        guard let s = node.string else {
            report(node.location, "\"\(member)\": expected a path string like \"initiator.host.address\", got \(node.typeName)")
            return nil
        }
        guard let path = FieldPath(s) else {
            report(node.location, "\"\(member)\": \"\(s)\" is not a path: use keys joined by '.', like \"initiator.host.address\"")
            return nil
        }
        return path
    }

    private mutating func decodeGroupBy(_ node: JSONNode?) -> [FieldPath]? {
        guard let node else { return [] }
        guard let items = node.items else {
            report(node.location, "\"group_by\": expected an array of paths, got \(node.typeName)")
            return nil
        }
        var paths: [FieldPath] = []
        var ok = true
        for item in items {
            guard let p = decodePath(item, member: "group_by") else { ok = false; continue }
            if paths.contains(p) {
                report(item.location, "\"group_by\": \"\(p)\" is listed twice")
                ok = false
            }
            paths.append(p)
        }
        return ok ? paths : nil
    }

    private mutating func decodeLabels(_ node: JSONNode) -> [JSONMember] {
        guard let members = node.members else {
            report(node.location, "\"labels\": expected an object of strings, got \(node.typeName)")
            return []
        }
        var labels: [JSONMember] = []
        for m in members {
            if let s = m.value.string {
                labels.append(JSONMember(m.key, .string(s)))
            } else {
                report(m.value.location, "\"labels\": the value of \"\(m.key)\" must be a string, got \(m.value.typeName)")
            }
        }
        return labels
    }

    private mutating func decodeStringArray(_ node: JSONNode, member: String) -> [String]? {
        guard let items = node.items else {
            report(node.location, "\"\(member)\": expected an array of strings, got \(node.typeName)")
            return nil
        }
        var out: [String] = []
        for item in items {
            if let s = item.string { out.append(s) } else { report(item.location, "\"\(member)\": expected a string, got \(item.typeName)") }
        }
        return out
    }

    private mutating func decodeSteps(_ node: JSONNode) -> [Condition] {
        guard let items = node.items else {
            report(node.location, "\"steps\": expected an array of at least 2 conditions, got \(node.typeName)")
            return []
        }
        guard items.count >= 2 else {
            report(node.location, "\"steps\": expected at least 2 conditions, got \(items.count)")
            return []
        }
        return items.compactMap { decodeCondition($0) }
    }

    // MARK: - Conditions

    mutating func decodeCondition(_ node: JSONNode) -> Condition? {
        guard let members = node.members else {
            report(node.location, "expected a condition object ({\"all\": [...]}, {\"any\": [...]}, {\"not\": ...} or {\"field\": ..., OPERATOR: ...}), got \(node.typeName)")
            return nil
        }
        if let combinator = members.first(where: { ["all", "any", "not"].contains($0.key) }) {
            for other in members where other.key != combinator.key {
                let article = combinator.key == "not" ? "a" : "an"
                report(other.keyLocation, "\"\(other.key)\": \(article) \"\(combinator.key)\" condition has no other members")
            }
            if combinator.key == "not" {
                return decodeCondition(combinator.value).map { .not($0) }
            }
            guard let items = combinator.value.items else {
                report(combinator.value.location, "\"\(combinator.key)\": expected an array of conditions, got \(combinator.value.typeName)")
                return nil
            }
            let decoded = items.map { decodeCondition($0) }
            guard decoded.allSatisfy({ $0 != nil }) else { return nil }
            let children = decoded.compactMap { $0 }
            return combinator.key == "all" ? .all(children) : .any(children)
        }
        return decodeTest(node, members)
    }

    private mutating func decodeTest(_ node: JSONNode, _ members: [JSONNode.Member]) -> Condition? {
        let before = diagnostics.count
        var path: FieldPath? = nil
        var ignoreCase = false
        var ignoreCaseNode: JSONNode.Member? = nil
        var operators: [JSONNode.Member] = []
        for m in members {
            switch m.key {
            case "field": path = decodePath(m.value, member: "field")
            case "ignore_case":
                ignoreCaseNode = m
                if case .bool(let b) = m.value.kind { ignoreCase = b } else {
                    report(m.value.location, "\"ignore_case\": expected true or false, got \(m.value.shortText)")
                }
            default:
                if TestOperator.names.contains(m.key) {
                    operators.append(m)
                } else {
                    report(m.keyLocation, "\"\(m.key)\": unknown operator" + suggestion(m.key, Set(TestOperator.names + ["field", "ignore_case", "all", "any", "not"])))
                }
            }
        }
        if !members.contains(where: { $0.key == "field" }) {
            report(node.location, "\"field\": required: a test is {\"field\": PATH, OPERATOR: OPERAND}")
        }
        if operators.isEmpty, diagnostics.count == before {
            report(node.location, "a test needs one operator: " + TestOperator.names.joined(separator: ", "))
        }
        if operators.count > 1 {
            for extra in operators.dropFirst() {
                report(extra.keyLocation, "\"\(extra.key)\": a test has exactly one operator, and this one already has \"\(operators[0].key)\"")
            }
        }
        if let first = operators.first, let ic = ignoreCaseNode, !TestOperator.caseFoldable.contains(first.key) {
            report(ic.keyLocation, "\"ignore_case\": does not apply to \"\(first.key)\" (only to \(TestOperator.caseFoldable.sorted().joined(separator: ", ")))")
        }
        guard let opMember = operators.first, let op = decodeOperator(opMember) else { return nil }
        guard diagnostics.count == before, let path else { return nil }
        return .test(FieldTest(path: path, op: op, ignoreCase: ignoreCase, location: node.location))
    }

    private mutating func decodeOperator(_ m: JSONNode.Member) -> TestOperator? {
        let v = m.value
        let name = m.key
        func scalar(_ node: JSONNode) -> JSONValue? {
            switch node.kind {
            case .null, .bool, .number, .string: return node.value
            default: return nil
            }
        }
        func strings() -> [String]? {
            if let s = v.string { return [s] }
            if let items = v.items, !items.isEmpty, items.allSatisfy({ $0.string != nil }) { return items.map { $0.string! } }
            report(v.location, "\"\(name)\": expected a string or a non-empty array of strings, got \(v.shortText)")
            return nil
        }
        func string() -> String? {
            if let s = v.string { return s }
            report(v.location, "\"\(name)\": expected a string, got \(v.typeName)")
            return nil
        }
        func number() -> Double? {
            if case .number(let n) = v.kind { return n.value }
            report(v.location, "\"\(name)\": expected a number, got \(v.shortText)")
            return nil
        }
        switch name {
        case "equals":
            guard let s = scalar(v) else {
                report(v.location, "\"equals\": expected a string, number, boolean or null, got \(v.typeName)")
                return nil
            }
            return .equals(s)
        case "in":
            guard let items = v.items, items.allSatisfy({ scalar($0) != nil }) else {
                report(v.location, "\"in\": expected an array of strings, numbers, booleans or null, got \(v.shortText)")
                return nil
            }
            return .in(items.compactMap { scalar($0) })
        case "glob": return strings().map { .glob($0) }
        case "prefix": return string().map { .prefix($0) }
        case "suffix": return string().map { .suffix($0) }
        case "contains": return string().map { .contains($0) }
        case "regex":
            guard let pattern = string() else { return nil }
            if let problem = LinearRegex.problem(pattern) {
                report(v.location, "\"regex\": invalid regular expression \(v.shortText): \(problem)")
                return nil
            }
            return .regex(pattern)
        case "gt": return number().map { .gt($0) }
        case "gte": return number().map { .gte($0) }
        case "lt": return number().map { .lt($0) }
        case "lte": return number().map { .lte($0) }
        case "cidr":
            guard let texts = strings() else { return nil }
            var networks: [IPNetwork] = []
            for t in texts {
                guard let n = IPNetwork(t) else {
                    report(v.location, "\"cidr\": \"\(t)\" is not an IPv4 or IPv6 network like \"10.0.0.0/8\" or \"2001:db8::/32\"")
                    return nil
                }
                networks.append(n)
            }
            return .cidr(networks)
        case "exists":
            if case .bool(let b) = v.kind { return .exists(b) }
            report(v.location, "\"exists\": expected true or false, got \(v.shortText)")
            return nil
        default:
            return nil
        }
    }
}

/// ` (did you mean "threshold"?)` when a known name is within two edits of `name`, else "".
func suggestion(_ name: String, _ known: Set<String>) -> String {
    Spelling.closest(to: name, in: known, maximumDistance: 2).map { " (did you mean \"\($0)\"?)" } ?? ""
}
