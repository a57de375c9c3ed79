import ArgumentParser

/// `trailwatch`: alerting on audit events. This target only parses arguments and sets exit codes.
@main
struct Trailwatch: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "trailwatch",
        abstract: "Alerting on IBM Cloud Activity Tracker (CADF) audit events.",
        discussion: """
            Rules are JSON files (see rules/ and the README). Replay event logs through them, check them, \
            or run their tests:

              trailwatch replay --rules rules/ samples/activity-tracker.jsonl
              trailwatch check --rules rules/
              trailwatch test rules/

            Run as a service (see packaging/ and the README):

              trailwatch run --config /etc/trailwatch/trailwatch.json
            """,
        version: "trailwatch \(version)",
        subcommands: [Run.self, Replay.self, Check.self, RuleTest.self, Generate.self, Outbox.self]
    )

    /// ArgumentParser exits 64 on usage errors; trailwatch's contract (rules.md §9) says 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var daemon = command as? AsyncParsableCommand {
                try await daemon.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                var stderr = StandardError()
                print(fullMessage(for: error), to: &stderr)
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
