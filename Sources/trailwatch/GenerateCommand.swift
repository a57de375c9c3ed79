import ArgumentParser

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a seeded, realistic Activity Tracker event log (for benchmarks and demos).",
        shouldDisplay: true
    )

    func run() throws {
        throw ExitCode(2)
    }
}
