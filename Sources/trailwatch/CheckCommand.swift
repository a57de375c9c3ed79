import ArgumentParser
import TrailwatchRules

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load and validate rules without running them.",
        discussion: "Exit status: 0 and a one-line summary when every rule is valid; 1 with every error (file:line:col) when not."
    )

    @Option(name: .long, help: ArgumentHelp("A rule file or directory (repeatable).", valueName: "path"))
    var rules: [String] = []

    func validate() throws {
        if rules.isEmpty { throw ValidationError("give at least one --rules PATH") }
    }

    func run() throws {
        do {
            let definitions = try RuleLoader.load(paths: rules)
            let files = Set(definitions.map(\.location.file)).count
            let disabled = definitions.filter { !$0.enabled }.count
            print("ok: \(definitions.count) rules in \(files) file\(files == 1 ? "" : "s")"
                + (disabled > 0 ? " (\(disabled) disabled)" : ""))
        } catch {
            printError(error.description)
            printError("trailwatch: \(error.items.count) error\(error.items.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
