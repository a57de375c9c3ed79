import ArgumentParser
import TrailwatchCore
import TrailwatchReplay
import TrailwatchRules

struct RuleTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule tests: events in, the alerts expected out (*.test.json).",
        discussion: """
            Each argument is a test file or a directory searched for *.test.json files. A test names the \
            rules it runs, gives events (inline or a file) and the alerts expected, giving only the members \
            it cares about. See docs/rule-tests.md.

            Exit status: 0 when every test passes, 1 when any fails, 2 when a test file or its rules do not load.
            """
    )

    @Option(name: .long, help: ArgumentHelp(
        "Load rules from here for every test file, instead of each file's rule_files (repeatable).", valueName: "path"))
    var rules: [String] = []

    @Flag(name: .long, help: "Also fail when a loaded rule is named by no test.")
    var requireAllRules = false

    @Argument(help: ArgumentHelp("Test files or directories.", valueName: "tests"))
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one test file or directory") }
    }

    func run() throws {
        let files: [String]
        do {
            files = try RuleTestFile.files(in: paths)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        if files.isEmpty {
            printError("trailwatch: no *.test.json files in \(paths.joined(separator: ", "))")
            throw ExitCode(2)
        }
        let runner = RuleTestRunner(rules: rules.isEmpty ? nil : rules)
        var passed = 0, failed = 0, loadErrors = 0
        for path in files {
            let results: [RuleTestRunner.Result]
            do {
                results = try runner.run(try RuleTestFile.load(path))
            } catch {
                printError(error.description)
                loadErrors += error.items.count
                continue
            }
            for result in results {
                if result.passed {
                    passed += 1
                    print("ok    \(result.file): \(result.name)")
                } else {
                    failed += 1
                    print("FAIL  \(result.file): \(result.name)")
                    for line in result.differences { print("      \(line)") }
                }
            }
        }
        let untested = runner.loadedRuleIDs.subtracting(runner.testedRuleIDs).sorted()
        if !untested.isEmpty {
            print("rules no test names: \(untested.joined(separator: ", "))")
            if requireAllRules { failed += 1 }
        }
        print("rule tests: \(passed) passed, \(failed) failed")
        if loadErrors > 0 {
            printError("trailwatch: \(loadErrors) error\(loadErrors == 1 ? "" : "s") in test files or rules")
            throw ExitCode(2)
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
