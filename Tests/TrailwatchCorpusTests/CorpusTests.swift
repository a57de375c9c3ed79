import Foundation
import Testing
import TrailwatchCorpus

/// Benchmark density (250 ms apart, about 2.8 hours): the background mix and the guards under load.
let denseOptions = CorpusOptions(seed: 42, events: 25_000)
/// About 80 hours, sparse: room for every incident kind, including stopped backups and new-source logins.
let longOptions = CorpusOptions(seed: 11, events: 24_000, meanGapMilliseconds: 12_000)

@Suite("Determinism")
struct DeterminismTests {
    @Test("the same options give the same bytes, however they are produced")
    func sameSeedSameBytes() throws {
        let options = CorpusOptions(seed: 5, events: 3000, meanGapMilliseconds: 60_000)
        let a = Corpus.generate(options: options)
        let b = Corpus.generate(options: options)
        #expect(a.bytes == b.bytes)
        #expect(a.planted == b.planted)

        var generator = CorpusGenerator(options: options)
        var lineByLine: [UInt8] = []
        var lines = 0
        while generator.appendNextLine(to: &lineByLine) { lines += 1 }
        #expect(lines == options.events)
        #expect(lineByLine == a.bytes)
        #expect(generator.planted == a.planted)
        let more = generator.appendNextLine(to: &lineByLine)
        #expect(!more, "a finished generator stays finished")

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trailwatch-corpus-\(getpid()).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        let planted = try Corpus.write(options: options, toFileDescriptor: handle.fileDescriptor)
        try handle.close()
        #expect(planted == a.planted)
        #expect([UInt8](try Data(contentsOf: url)) == a.bytes)
    }

    @Test("a different seed gives different bytes")
    func differentSeedDifferentBytes() {
        let a = Corpus.generate(options: CorpusOptions(seed: 1, events: 500))
        let b = Corpus.generate(options: CorpusOptions(seed: 2, events: 500))
        #expect(a.bytes != b.bytes)
        #expect(a.bytes.prefix(2000) != b.bytes.prefix(2000))
    }

    @Test("zero events write nothing; one event is at the start time")
    func tinyCorpora() throws {
        #expect(Corpus.generate(options: CorpusOptions(events: 0)).bytes.isEmpty)
        let one = Corpus.generate(options: CorpusOptions(events: 1))
        let events = try parseCorpus(one.bytes)
        #expect(events.count == 1)
        #expect(events.first?.micros == CorpusOptions.defaultStart * 1000)
    }

    @Test("planted counts only grow while lines are written")
    func plantedSoFar() {
        var generator = CorpusGenerator(options: longOptions)
        var buffer: [UInt8] = []
        var previous = generator.planted
        var lines = 0
        while generator.appendNextLine(to: &buffer) {
            lines += 1
            if lines % 1000 == 0 {
                let now = generator.planted
                for (before, after) in zip(previous.counts, now.counts) { #expect(before.count <= after.count) }
                previous = now
                buffer.removeAll(keepingCapacity: true)
            }
        }
        #expect(generator.planted.total > 0)
    }
}

@Suite("Shape")
struct ShapeTests {
    @Test("every line is a JSON object with the Activity Tracker envelope and the CADF payload",
          arguments: [denseOptions, CorpusOptions.demoSample])
    func everyLineHasEnvelopeAndPayload(options: CorpusOptions) throws {
        let events = try CorpusCache.shared.events(options)
        #expect(events.count == options.events)
        for e in events {
            let o = e.object
            #expect(o["logSourceCRN"] is String, "line \(e.line)")
            #expect(o["saveServiceCopy"] != nil, "line \(e.line)")
            let meta = o["meta"] as? [String: Any]
            #expect(meta?["serviceProviderName"] is String, "line \(e.line)")
            #expect(meta?["serviceProviderProjectId"] is String, "line \(e.line)")
            #expect(meta?["serviceProviderRegion"] is String, "line \(e.line)")
            #expect((meta?["userAccountIds"] as? [Any])?.first is String, "line \(e.line)")
            let p = e.payload
            for key in ["action", "eventTime", "eventType", "id", "message", "outcome", "severity", "typeURI"] {
                #expect(p[key] is String, "line \(e.line): payload.\(key)")
            }
            let initiator = p["initiator"] as? [String: Any]
            #expect((initiator?["credential"] as? [String: Any])?["type"] is String, "line \(e.line)")
            #expect((initiator?["host"] as? [String: Any])?["address"] is String, "line \(e.line)")
            #expect(initiator?["id"] is String && initiator?["name"] is String && initiator?["typeURI"] is String, "line \(e.line)")
            #expect((p["observer"] as? [String: Any])?["name"] as? String == "ActivityTracker", "line \(e.line)")
            let reason = p["reason"] as? [String: Any]
            #expect(e.reasonCode != nil && reason?["reasonType"] is String, "line \(e.line)")
            let target = p["target"] as? [String: Any]
            #expect(target?["id"] is String && target?["name"] is String && target?["typeURI"] is String, "line \(e.line)")
            #expect(["success", "failure", "pending"].contains(e.outcome), "line \(e.line)")
            #expect(["normal", "warning", "critical"].contains(p["severity"] as? String ?? ""), "line \(e.line)")
            let message = p["message"] as? String ?? ""
            if e.outcome == "failure" { #expect(message.hasSuffix(" -failure"), "line \(e.line): \(message)") }
            if e.outcome == "success" { #expect(!message.hasSuffix(" -failure"), "line \(e.line): \(message)") }
            if e.requestKind != 0 { #expect(e.request != nil, "line \(e.line)") }
        }
    }

    @Test("mean event size matches the benchmark corpus (about 1.67 KB)")
    func meanSize() throws {
        let bytes = CorpusCache.shared.corpus(denseOptions).bytes
        let mean = Double(bytes.count) / Double(denseOptions.events)
        #expect(mean > 1600 && mean < 1750, "mean \(mean)")
        let sizes = try splitLines(bytes).map { $0.count + 1 }
        let longest = sizes.max() ?? 0
        let shortest = sizes.min() ?? 0
        #expect(shortest > 900 && longest < 3000, "sizes \(shortest)...\(longest)")
    }

    @Test("requestData is 80% a JSON string (mean about 220 characters), 15% an object, 5% absent")
    func requestDataMix() throws {
        let events = try CorpusCache.shared.events(denseOptions)
        let n = Double(events.count)
        let strings = events.filter { $0.requestKind == 1 }
        let objects = Double(events.filter { $0.requestKind == 2 }.count) / n
        let absent = Double(events.filter { $0.requestKind == 0 }.count) / n
        let stringShare = Double(strings.count) / n
        #expect(abs(stringShare - 0.80) < 0.02, "string \(stringShare)")
        #expect(abs(objects - 0.15) < 0.015, "object \(objects)")
        #expect(abs(absent - 0.05) < 0.01, "absent \(absent)")
        let meanLength = Double(strings.reduce(0) { $0 + ($1.requestText?.count ?? 0) }) / Double(strings.count)
        #expect(meanLength > 190 && meanLength < 250, "mean requestData string length \(meanLength)")
        #expect(strings.contains { $0.requestText!.contains("\n") })
        #expect(strings.contains { $0.requestText!.contains("\t") })
        #expect(strings.contains { $0.requestText!.contains("\\") })
        #expect(strings.contains { $0.requestText!.contains("\\\"") })
    }

    @Test("outcomes are about 88% success, 10% failure, 2% pending")
    func outcomeMix() throws {
        let events = try CorpusCache.shared.events(denseOptions)
        let n = Double(events.count)
        func share(_ o: String) -> Double { Double(events.filter { $0.outcome == o }.count) / n }
        #expect(abs(share("success") - 0.88) < 0.02, "success \(share("success"))")
        #expect(abs(share("failure") - 0.10) < 0.015, "failure \(share("failure"))")
        #expect(abs(share("pending") - 0.02) < 0.008, "pending \(share("pending"))")
    }

    @Test("event times never decrease and come in several valid formats", arguments: [denseOptions, longOptions])
    func timesAndFormats(options: CorpusOptions) throws {
        let events = try CorpusCache.shared.events(options)
        #expect(events.first?.micros == options.start * 1000)
        for (a, b) in zip(events, events.dropFirst()) {
            #expect(a.micros <= b.micros, "line \(b.line) goes back in time")
        }
        let times = events.compactMap { $0.payload["eventTime"] as? String }
        #expect(times.contains { $0.hasSuffix("+0000") })
        #expect(times.contains { $0.hasSuffix("+00:00") })
        #expect(times.contains { $0.hasSuffix("Z") })
        var fractionDigits = Set<Int>()
        for t in times {
            if let dot = t.firstIndex(of: ".") {
                let rest = t[t.index(after: dot)...]
                fractionDigits.insert(rest.prefix { $0.isNumber }.count)
            } else {
                fractionDigits.insert(0)
            }
        }
        #expect(fractionDigits == Set(0...6), "fraction digits seen: \(fractionDigits.sorted())")
        let span = Double(events.last!.micros - events.first!.micros) / 1000
        let planned = Double(options.plannedSpanMilliseconds)
        #expect(abs(span - planned) / planned < 0.05, "span \(span) ms, planned \(planned) ms")
    }

    @Test("about 10% of events are ASCII-escaped; the rest carry raw UTF-8")
    func textEncodings() throws {
        let bytes = CorpusCache.shared.corpus(denseOptions).bytes
        var escapedLines = 0
        var rawLines = 0
        var surrogateLines = 0
        let lines = try splitLines(bytes)
        let escape = Data("\\u".utf8)
        let surrogate = Data("\\ud83".utf8)
        for line in lines {
            if line.range(of: escape) != nil { escapedLines += 1 }
            if line.range(of: surrogate) != nil { surrogateLines += 1 }
            if line.contains(where: { $0 >= 0x80 }) { rawLines += 1 }
        }
        let count = lines.count
        let escaped = Double(escapedLines) / Double(count)
        let raw = Double(rawLines) / Double(count)
        #expect(escaped > 0.03 && escaped < 0.09, "lines with \\u: \(escaped)")
        #expect(raw > 0.30, "lines with raw UTF-8: \(raw)")
        #expect(surrogateLines > 0, "no surrogate pairs")
        let events = try CorpusCache.shared.events(denseOptions)
        #expect(events.contains { ($0.payload["reason"] as? [String: Any])?["reasonCode"] is String })
        #expect(events.contains { $0.payload["dataEvent"] is String })
        #expect(events.contains { $0.initiatorAddress.contains(":") }, "no IPv6 initiator")
        #expect(events.contains { $0.initiatorAddress.hasPrefix("10.") }, "no 10/8 initiator")
    }

    @Test("the action mix covers Cloud Databases (old and new names), VPC load balancers, IAM, Key Protect and security groups")
    func actionVariety() throws {
        let events = try CorpusCache.shared.events(denseOptions)
        let actions = Set(events.map(\.action))
        var shapes = Set<String>()
        for a in actions {
            if let op = databaseOperation(a) { shapes.insert("<svc>." + op) } else { shapes.insert(a) }
        }
        #expect(shapes.count >= 25, "only \(shapes.count) kinds of action")
        for s in cloudDatabasesServices {
            #expect(actions.contains { $0.hasPrefix(s + ".") }, "no \(s) events")
        }
        for op in ["user-password.update", "deployment-user.update", "backup-ondemand.create", "deployment-backup.create",
                   "resources.scale", "deployment-group.update", "autoscaling.update", "deployment-group-autoscaling.update",
                   "user.create", "deployment-user.create", "backup.restore"] {
            #expect(shapes.contains("<svc>." + op), "no \(op)")
        }
        for a in ["is.load-balancer.load-balancer.read", "is.load-balancer.load-balancer-listener.create",
                  "is.load-balancer.load-balancer.listener.create", "iam-identity.user-apikey.login",
                  "iam-identity.serviceid-apikey.login", "iam-identity.user-refreshtoken.login", "iam-am.policy.create",
                  "kms.secrets.unwrap", "kms.secrets.wrap", "is.security-group.security-group-rule.create"] {
            #expect(actions.contains(a), "no \(a)")
        }
        // Cloud Databases denies: failure, 403, critical, requestData.dry_run (console probes are dry runs).
        let denies = events.filter { isDatabaseAction($0.action) && $0.reasonCode == 403 }
        #expect(denies.count > events.count / 50)
        for d in denies {
            #expect(d.outcome == "failure" && d.payload["severity"] as? String == "critical", "line \(d.line)")
            #expect(d.request?["dry_run"] is Bool, "line \(d.line): deny without dry_run")
        }
    }

    @Test("every deployment has one scheduled backup a day at a fixed hour")
    func dailyBackups() throws {
        let events = try CorpusCache.shared.events(longOptions)
        var byDeployment: [String: [Int64]] = [:]
        for e in events {
            guard let op = databaseOperation(e.action),
                  op == "backup-scheduled.create" || op == "deployment-backup-scheduled.create" else { continue }
            byDeployment[e.targetId, default: []].append(e.micros)
            let initiator = e.payload["initiator"] as? [String: Any]
            #expect(initiator?["name"] as? String == "IBM", "scheduled backups are run by the service")
        }
        #expect(byDeployment.count == 50)
        let day: Int64 = 86_400_000_000
        for (_, times) in byDeployment {
            for (a, b) in zip(times, times.dropFirst()) {
                #expect(b - a > day - 3 * 60_000_000 && b - a < day + 3 * 60_000_000, "backups not daily")
            }
        }
    }
}

@Suite("Incidents")
struct IncidentTests {
    @Test("what the events show equals what was planted",
          arguments: [longOptions, CorpusOptions.demoSample, denseOptions, CorpusOptions(seed: 99, events: 12_000, meanGapMilliseconds: 30_000)])
    func detectedEqualsPlanted(options: CorpusOptions) throws {
        let planted = CorpusCache.shared.corpus(options).planted
        let detected = detectIncidents(try CorpusCache.shared.events(options), start: options.start)
        #expect(detected == planted, "detected \(detected)\nplanted  \(planted)")
    }

    @Test("a long corpus plants every kind of incident")
    func everyKindPlanted() {
        let planted = CorpusCache.shared.corpus(longOptions).planted
        for (kind, count) in planted.counts {
            #expect(count >= 1, "no \(kind)")
        }
        #expect(planted.allowlistOpenedToWorld == 1)
        #expect(planted.stoppedScheduledBackups == 1)
    }

    @Test("without incidents nothing is planted and nothing looks like one",
          arguments: [CorpusOptions(seed: 42, events: 40_000, incidents: false),
                      CorpusOptions(seed: 3, events: 15_000, meanGapMilliseconds: 20_000, incidents: false)])
    func cleanBackground(options: CorpusOptions) throws {
        let (bytes, planted) = Corpus.generate(options: options)
        #expect(planted == PlantedIncidents())
        let detected = detectIncidents(try parseCorpus(bytes), start: options.start)
        #expect(detected == PlantedIncidents(), "background looks like an incident: \(detected)")
    }
}

@Suite("Sample")
struct SampleTests {
    @Test("samples/activity-tracker.jsonl is exactly what CorpusOptions.demoSample generates")
    func sampleMatchesOptions() throws {
        #expect(CorpusOptions.demoSample == CorpusOptions(seed: 7, events: 2500, start: 1_772_323_200_000,
                                                         meanGapMilliseconds: 103_680, incidents: true))
        let dir = try #require(samplesDirectory(), "samples/activity-tracker.jsonl not found")
        let file = [UInt8](try Data(contentsOf: dir.appendingPathComponent("activity-tracker.jsonl")))
        #expect(file.count < 5_000_000)
        let generated = Corpus.generate(options: .demoSample)
        #expect(file == generated.bytes, "regenerate the sample: see samples/README.md")
        let readme = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
        for (kind, count) in generated.planted.counts {
            #expect(readme.contains("| `\(kind)` | \(count) |"), "README does not list \(kind) = \(count)")
        }
    }
}
