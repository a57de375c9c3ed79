import Foundation
import TrailwatchCore
import TrailwatchRules

/// Rules may name sinks (`"sinks": ["pager"]`); each must be a configured sink.
public enum RuleSinkCheck {
    /// The valid rules under `paths`, file by file, ignoring the files' errors (already reported).
    public static func loadValidRules(_ paths: [String]) -> [RuleDefinition] {
        var rules: [RuleDefinition] = []
        for path in paths {
            guard let files = try? RuleLoader.ruleFiles(in: path) else { continue }
            for file in files {
                guard let node = parse(file) else { continue }
                rules += RuleLoader.decodeFile(node).0
            }
        }
        return rules
    }

    /// `rules/db.json:9:23: "sinks": no sink named "pager" (...)`, at the name in the rule's `sinks`.
    public static func unknownSinks(_ rules: [RuleDefinition], sinkNames: [String]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        var parsed: [String: JSONNode?] = [:]
        for rule in rules {
            guard let sinks = rule.sinks else { continue }
            for name in sinks where !sinkNames.contains(name) {
                let file = rule.location.file
                if parsed[file] == nil { parsed[file] = .some(parse(file)) }
                let location = parsed[file].flatMap { $0 }.flatMap { locate(name, ruleAt: rule.location, in: $0) } ?? rule.idLocation
                problems.append(Diagnostic(location, "\"sinks\": " + ConfigurationLoader.unknownSinkMessage(name, sinkNames: sinkNames)
                    + " (rule \"\(rule.id)\")"))
            }
        }
        return problems
    }

    private static func parse(_ file: String) -> JSONNode? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try? JSONDocumentParser.parse([UInt8](data), file: file)
    }

    /// Where `name` is written in the `sinks` of the rule object that starts at `ruleLocation`.
    private static func locate(_ name: String, ruleAt ruleLocation: SourceLocation, in node: JSONNode) -> SourceLocation? {
        if node.location == ruleLocation, let members = node.members {
            guard let sinks = members.first(where: { $0.key == "sinks" })?.value else { return nil }
            return sinks.items?.first(where: { $0.string == name })?.location ?? sinks.location
        }
        for child in node.members?.map(\.value) ?? node.items ?? [] {
            if let found = locate(name, ruleAt: ruleLocation, in: child) { return found }
        }
        return nil
    }
}
