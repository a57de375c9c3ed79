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
