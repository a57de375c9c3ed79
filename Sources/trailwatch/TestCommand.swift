import ArgumentParser

struct RuleTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Run rule tests (*.test.json).")

    func run() throws {
        throw ExitCode(2)
    }
}
