import TrailwatchCore

/// Chooses the sinks of each alert: the rule's own `sinks`, else the first matching routes, else the default.
///
/// An alert never goes nowhere: when nothing matches, `defaultSinks` (validated non-empty) receive it.
public struct AlertRouter: Sendable {
    private let routes: [CompiledRoute]
    private let defaultSinks: [String]
    /// Rules that name their own sinks, by rule id.
    private let ruleSinks: [String: [String]]

    struct CompiledRoute: Sendable {
        var sinks: [String]
        var severities: Set<Severity>?
        var rules: [Glob]?
        var labels: [String: String]
        var `continue`: Bool

        func matches(_ alert: Alert) -> Bool {
            if let severities, !severities.contains(alert.severity) { return false }
            if let rules, !rules.contains(where: { $0.matches(alert.rule) }) { return false }
            for (name, value) in labels {
                guard let label = alert.labels.first(where: { $0.key == name }), label.value.stringValue == value else {
                    return false
                }
            }
            return true
        }
    }

    public init(routes: [RouteConfiguration], defaultSinks: [String], ruleSinks: [String: [String]]) {
        self.routes = routes.map {
            CompiledRoute(sinks: $0.sinks, severities: $0.severities.map(Set.init), rules: $0.rules?.map(Glob.init),
                          labels: $0.labels, continue: $0.continue)
        }
        self.defaultSinks = defaultSinks
        self.ruleSinks = ruleSinks
    }

    /// The sinks for `alert`, each once, in the order first named.
    public func sinks(for alert: Alert) -> [String] {
        if let own = ruleSinks[alert.rule], !own.isEmpty { return own }
        var chosen: [String] = []
        for route in routes where route.matches(alert) {
            for sink in route.sinks where !chosen.contains(sink) { chosen.append(sink) }
            if !route.continue { break }
        }
        return chosen.isEmpty ? defaultSinks : chosen
    }
}

/// A shell-style glob over rule ids: `*` any run (also empty), `?` one character, everything else literal.
struct Glob: Sendable {
    private let pattern: [Character]

    init(_ text: String) { pattern = Array(text) }

    func matches(_ text: String) -> Bool {
        let s = Array(text)
        var p = 0, i = 0, star = -1, mark = 0
        while i < s.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == s[i] {
                p += 1; i += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p; mark = i; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
