import ArgumentParser
import TrailwatchCorpus

#if canImport(Glibc)
import Glibc
#endif

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a seeded, realistic Activity Tracker event log with planted incidents.",
        discussion: """
            The same options give the same bytes, so benchmarks and demos are reproducible. What was \
            planted is printed on standard error. samples/activity-tracker.jsonl is \
            `trailwatch generate --sample`.
            """
    )

    @Option(name: .long, help: "Number of events.")
    var events = 1_000_000

    @Option(name: .long, help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Mean spacing of events, in milliseconds.")
    var meanGap = CorpusOptions.defaultMeanGapMilliseconds

    @Flag(name: .long, help: "No planted incidents: background traffic only.")
    var noIncidents = false

    @Flag(name: .long, help: "The options of the built-in sample (samples/activity-tracker.jsonl).")
    var sample = false

    @Option(name: [.short, .long], help: ArgumentHelp("Write here instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        var options = sample ? CorpusOptions.demoSample
            : CorpusOptions(seed: seed, events: events, meanGapMilliseconds: meanGap)
        if noIncidents { options.incidents = false }
        var fd: Int32 = 1
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                printError("trailwatch: cannot write \(output): \(String(cString: strerror(errno)))")
                throw ExitCode(1)
            }
        }
        defer { if fd != 1 { close(fd) } }
        let planted = try Corpus.write(options: options, toFileDescriptor: fd)
        printError("trailwatch: \(options.events) events (seed \(options.seed)); planted: \(planted)")
    }
}
