import ArgumentParser
import Foundation
import TrailwatchCore
import TrailwatchDaemon
import TrailwatchRules

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the daemon's configuration and its rules, or rule files alone, without running them.",
        discussion: """
            --config FILE checks the configuration, every rule file it names, and that the sinks rules name \
            exist; --rules PATH checks rule files and directories alone.

            Exit status: 0 and a one-line summary when everything is valid; 1 with every error (file:line:col) when not.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The daemon's configuration file (checks the rules it names too).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("A rule file or directory (repeatable).", valueName: "path"))
    var rules: [String] = []

    func validate() throws {
        if config != nil && !rules.isEmpty { throw ValidationError("give --config FILE or --rules PATH, not both") }
        if config == nil && rules.isEmpty { throw ValidationError("give --config FILE or at least one --rules PATH") }
    }

    func run() throws {
        if let config { return try checkConfiguration(config) }
        do {
            let definitions = try RuleLoader.load(paths: rules)
            let files = Set(definitions.map(\.location.file)).count
            let disabled = definitions.filter { !$0.enabled }.count
            print("ok: \(definitions.count) rules in \(files) file\(files == 1 ? "" : "s")"
                + (disabled > 0 ? " (\(disabled) disabled)" : ""))
        } catch {
            try fail(error.items)
        }
    }

    private func checkConfiguration(_ file: String) throws {
        let result = ConfigurationLoader.check(file: file)
        var problems = result.diagnostics
        var definitions: [RuleDefinition] = []
        let rulePaths = result.rulePaths.map(\.value)
        if !rulePaths.isEmpty {
            do {
                definitions = try RuleLoader.load(paths: rulePaths)
            } catch {
                problems += error.items
                // Still check the sinks of the rules that did load.
                definitions = RuleSinkCheck.loadValidRules(rulePaths)
            }
        }
        // A directory without rule files is a mistake (a wrong path), not a daemon that silently alerts on nothing.
        for path in result.rulePaths where (try? RuleLoader.ruleFiles(in: path.value))?.isEmpty == true {
            problems.append(Diagnostic(path.location, "\(path.path): no rule files (*.json, not *.test.json) in \(path.value)"))
        }
        if let sinkNames = result.sinkNames {
            problems += RuleSinkCheck.unknownSinks(definitions, sinkNames: sinkNames)
        }
        guard problems.isEmpty, let configuration = result.configuration else { try fail(problems) }
        let disabled = definitions.filter { !$0.enabled }.count
        print("configuration OK: " + [
            count(configuration.sources.count, "source"), count(configuration.sinks.count, "sink"),
            count(configuration.routes.count, "route"), count(definitions.count, "rule"),
        ].joined(separator: ", ") + (disabled > 0 ? " (\(disabled) disabled)" : ""))
    }

    private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    private func fail(_ problems: [Diagnostic]) throws -> Never {
        for problem in problems { printError(problem.description) }
        printError("trailwatch: \(problems.count) error\(problems.count == 1 ? "" : "s")")
        throw ExitCode(1)
    }
}

/// Rules may name sinks (`"sinks": ["pager"]`); each must be a configured sink.
enum RuleSinkCheck {
    /// The valid rules under `paths`, file by file, ignoring the files' errors (already reported).
    static func loadValidRules(_ paths: [String]) -> [RuleDefinition] {
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
    static func unknownSinks(_ rules: [RuleDefinition], sinkNames: [String]) -> [Diagnostic] {
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
