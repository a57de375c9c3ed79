import ArgumentParser
import Logging
import TrailwatchDaemon
import TrailwatchSystemd

/// `trailwatch run`: the long-running service.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as a service: follow event sources, alert through sinks, keep state across restarts.",
        discussion: """
            Reads the configuration file (sources, rules, sinks, routes, state directory; see the README), \
            opens the state database, compiles the rules and opens the sources, then tells systemd it is \
            ready. SIGHUP reloads the configuration and rules (invalid ones leave the running ones in place); \
            SIGTERM or SIGINT commits, delivers what it can and exits 0.

            Logs go to the journal when standard error is the journal, else to standard error as text.

            Exit status: 0 after a clean stop, 1 when the configuration, rules or state cannot be loaded.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config = "/etc/trailwatch/trailwatch.json"

    enum Level: String, ExpressibleByArgument, CaseIterable {
        case debug, info, notice, warning, error
    }

    @Option(name: .long, help: "Least severe log messages written: debug, info, notice, warning or error.")
    var logLevel: Level = .info

    func run() async throws {
        LogDestination.bootstrap(identifier: "trailwatch", level: Logger.Level(rawValue: logLevel.rawValue) ?? .info)
        let logger = Logger(label: "trailwatch")
        do {
            try await Daemon.run(configurationFile: config, logger: logger)
        } catch let error as Daemon.StartupError {
            for line in error.lines { printError(line) }
            printError("trailwatch: not started: \(error.lines.count) problem\(error.lines.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
