import ArgumentParser
import Foundation
import TrailwatchCore
import TrailwatchDaemon
import TrailwatchState

/// `trailwatch outbox`: what waits for each sink, what gave up (the dead-letter list), and sending it again.
struct Outbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the alert outbox and the dead-letter list, and send dead alerts again.",
        discussion: """
            Reads the state of the daemon whose configuration is given (it may be running). An alert goes to the \
            dead-letter list of a sink after the sink's max_attempts or max_age, or when the receiver refused it \
            for good (for example HTTP 400); `outbox retry` puts it back in the sink's queue, and the running \
            daemon sends it within seconds.
            """,
        subcommands: [Summary.self, List.self, Retry.self],
        defaultSubcommand: Summary.self
    )

    struct Location: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The daemon's configuration file (for its state directory).", valueName: "file"))
        var config = "/etc/trailwatch/trailwatch.json"

        @Option(name: .long, help: ArgumentHelp("The state directory, instead of the configuration's.", valueName: "dir"))
        var stateDirectory: String?

        func open() throws -> StateStore {
            var directory = stateDirectory
            if directory == nil {
                do {
                    directory = try ConfigurationLoader.load(file: config).stateDirectory
                } catch {
                    printError(error.description)
                    throw ExitCode(1)
                }
            }
            guard let directory, FileManager.default.fileExists(atPath: directory + "/state.sqlite") else {
                printError("trailwatch: no state in \(directory ?? "?") (has the daemon run?)")
                throw ExitCode(1)
            }
            return try StateStore(directory: directory)
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Counts per sink.")
        @OptionGroup var location: Location

        func run() throws {
            let counts = try location.open().deliveryCounts()
            if counts.isEmpty { print("the outbox is empty") }
            for (sink, c) in counts.sorted(by: { $0.key < $1.key }) {
                print("\(sink): \(c.pending) pending, \(c.delivered) delivered, \(c.dead) dead")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries in outbox order (the dead-letter list by default).")
        @OptionGroup var location: Location

        @Option(name: .long, help: "Only this sink.")
        var sink: String?

        enum Status: String, ExpressibleByArgument, CaseIterable { case pending, delivered, dead, all }
        @Option(name: .long, help: "pending, delivered, dead (the default) or all.")
        var status: Status = .dead

        @Option(name: .long, help: "At most this many.")
        var limit = 1000

        @Flag(name: .long, help: "Print each alert's JSON instead of one line per delivery.")
        var json = false

        func run() throws {
            let records = try location.open().deliveries(sink: sink, status: status == .all ? nil : status.rawValue, limit: limit)
            for r in records {
                if json {
                    print(r.body)
                } else {
                    let alert = Alert(jsonText: r.body)
                    var line = "\(r.sink)  \(r.status)  \(r.alertID)  \(alert.map { "\($0.rule) \(EventTime.format($0.time))" } ?? "")"
                    line += "  attempts \(r.attempts)"
                    if let error = r.lastError { line += "  last error: \(error)" }
                    print(line)
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead alerts back in their sink's queue.")
        @OptionGroup var location: Location

        @Option(name: .long, help: "Only this sink.")
        var sink: String?

        @Argument(help: ArgumentHelp("Alert ids (all dead alerts when none is given).", valueName: "alert-id"))
        var alerts: [String] = []

        func run() throws {
            let n = try location.open().requeueDead(sink: sink, alertIDs: alerts)
            print("\(n) dead deliver\(n == 1 ? "y" : "ies") queued again")
        }
    }
}
