import ArgumentParser
import TrailwatchCore
import TrailwatchEngine
import TrailwatchReplay
import TrailwatchRules

#if canImport(Glibc)
import Glibc
#endif

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run rules over event logs and print the alerts they send.",
        discussion: """
            Files are read one after another as one stream (rule state and time carry over); - is standard \
            input. Alerts go to standard output as JSON lines, in the order they are produced; counts and \
            rejected lines go to standard error.

            Exit status: 0 after a complete run (whatever was rejected), 1 when an input cannot be read, \
            2 when the rules do not load or the arguments are wrong.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A rule file or directory (repeatable).", valueName: "path"))
    var rules: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "At the end, move the watermark to this RFC 3339 time so absence deadlines before it fire.",
        valueName: "time"))
    var until: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    @Option(name: .long, help: "Alert output: json (one JSON object per line, the default) or text (one line for people).")
    var format: Format = .json

    @Option(name: .long, help: "Reject event lines longer than this many bytes.")
    var maxLineBytes = 1 << 20

    @Option(name: .long, help: "Report at most this many rejected lines one by one (all are counted).")
    var maxReportedRejections = 100

    @Argument(help: ArgumentHelp("JSON-lines event logs; - for standard input.", valueName: "file"))
    var files: [String] = []

    func validate() throws {
        if rules.isEmpty { throw ValidationError("give at least one --rules PATH") }
        if files.isEmpty { throw ValidationError("give at least one event log (or - for standard input)") }
        if let until, EventTime.parse(until) == nil {
            throw ValidationError("--until: expected an RFC 3339 time like 2026-03-01T10:00:00Z, got \"\(until)\"")
        }
        if maxLineBytes < 1 || maxLineBytes > 1 << 30 {
            throw ValidationError("--max-line-bytes must be from 1 to 1073741824 (1 GiB), got \(maxLineBytes)")
        }
    }

    func run() throws {
        let definitions: [RuleDefinition]
        do {
            definitions = try RuleLoader.load(paths: rules)
        } catch {
            printError(error.description)
            printError("trailwatch: rules did not load: \(error.items.count) error\(error.items.count == 1 ? "" : "s")")
            throw ExitCode(2)
        }
        // Open every input first: an unreadable one stops the run before any alert is sent.
        var inputs: [(name: String, fd: Int32)] = []
        for file in files {
            if file == "-" {
                inputs.append((file, 0))
                continue
            }
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                printError("trailwatch: cannot read \(file): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
            inputs.append((file, fd))
        }
        let engine = Engine(ruleSet: CompiledRuleSet(definitions))
        let reader = EventStreamReader(engine: engine, maximumLineBytes: maxLineBytes)
        let out = OutputWriter(fileDescriptor: 1)
        var reported = 0
        let format = self.format
        let onAlert: (Alert) throws -> Void = { alert in
            switch format {
            case .json: try out.append { alert.appendJSONLine(to: &$0) }
            case .text: try out.write(alert.textLine + "\n")
            }
        }
        let onRejected: (Rejection) -> Void = { rejection in
            reported += 1
            if reported <= maxReportedRejections { printError(rejection.description) }
        }
        var readFailed = false
        for input in inputs {
            do {
                try reader.read(source: input.name, fileDescriptor: input.fd, onAlert: onAlert, onRejected: onRejected)
            } catch let error as OutputWriter.WriteError {
                printError("trailwatch: cannot write alerts: \(error)")
                throw ExitCode(1)
            } catch {
                printError("trailwatch: error reading \(input.name): \(error)")
                readFailed = true
            }
            if input.fd != 0 { close(input.fd) }
        }
        try reader.finish(until: until.flatMap { EventTime.parse($0) }, onAlert: onAlert)
        try out.flush()
        if reported > maxReportedRejections {
            printError("trailwatch: \(reported - maxReportedRejections) more rejected lines not shown")
        }
        printError("trailwatch: \(reader.events) events, \(reader.rejected) rejected lines, "
            + "\(engine.alertsSent) alerts, \(engine.alertsSuppressed) suppressed")
        if readFailed { throw ExitCode(1) }
    }
}
