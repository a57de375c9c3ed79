import TrailwatchEvents

/// A `summary` template (rules.md §7), parsed when the rule loads so a bad name is a load error.
public struct Template: Sendable {
    public enum Part: Sendable {
        case literal(String)
        /// `{{PATH}}`: the value in the event that fired.
        case field(FieldPath)
        /// `{{group.PATH}}`: index into the rule's `group_by`.
        case group(Int)
        case count, rule, severity, time
    }

    public var parts: [Part]
    public var isEmpty: Bool { parts.isEmpty }

    public static let empty = Template(parts: [])

    /// Why a template cannot load: the offending name (or text) and what is wrong.
    public struct Problem: Error, Sendable {
        public var message: String
    }

    /// Parses `text`; `groupBy` are the rule's group paths (`{{group.X}}` must name one of them).
    public static func parse(_ text: String, groupBy: [FieldPath]) throws(Problem) -> Template {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            literal += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw Problem(message: "unclosed \"{{\" in template")
            }
            let name = afterOpen[..<close.lowerBound].trimmingCharacters(in: " \t")
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal = ""
            }
            parts.append(try part(named: name, groupBy: groupBy))
            rest = afterOpen[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return Template(parts: parts)
    }

    private static func part(named name: String, groupBy: [FieldPath]) throws(Problem) -> Part {
        switch name {
        case "": throw Problem(message: "empty name \"{{}}\" in template")
        case "count": return .count
        case "rule": return .rule
        case "severity": return .severity
        case "time": return .time
        default: break
        }
        if name.hasPrefix("group.") {
            let path = String(name.dropFirst("group.".count))
            guard let index = groupBy.firstIndex(where: { $0.text == path }) else {
                let known = groupBy.isEmpty ? "the rule has no group_by" : "group_by has " + groupBy.map { "\"\($0)\"" }.joined(separator: ", ")
                throw Problem(message: "unknown template name \"\(name)\": \(known)")
            }
            return .group(index)
        }
        guard let path = FieldPath(name) else { throw Problem(message: "unknown template name \"\(name)\": not a path") }
        return .field(path)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
