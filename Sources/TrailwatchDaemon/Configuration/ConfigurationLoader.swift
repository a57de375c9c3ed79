#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchSinks

/// Everything found checking a configuration file, including what could be read from a broken one,
/// so `trailwatch check --config` can go on to check the rules too.
public struct ConfigurationCheck: Sendable {
    /// The configuration, when it has no problem at all.
    public var configuration: DaemonConfiguration?
    /// Every problem, in file order: `file:line:col: member.path: message`.
    public var diagnostics: [Diagnostic]
    /// The rule files and directories it names that exist (absolute, with where each is written), even when
    /// other parts are broken.
    public var rulePaths: [LocatedString]
    /// Every validly named sink; nil when the `sinks` list itself could not be read (then references to sinks
    /// cannot be checked).
    public var sinkNames: [String]?
}

/// Reads the daemon's JSON configuration (`/etc/trailwatch/trailwatch.json`), reporting every problem at once.
///
/// Problems are located and name the member (`trailwatch.json:7:18: sources[1].paths[0]: ...`); unknown
/// members are errors with a "did you mean"; relative paths resolve against the file's directory.
/// The format is described in the README's configuration section.
public enum ConfigurationLoader {
    /// The configuration or every problem in it (an unreadable file or a JSON syntax error is one located problem).
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(Diagnostics) -> DaemonConfiguration {
        let result = check(file: file, environment: environment)
        guard let configuration = result.configuration else { throw Diagnostics(result.diagnostics) }
        return configuration
    }

    /// Like `load`, but returns what could be read alongside the problems.
    public static func check(file: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ConfigurationCheck {
        let absolute = PathText.resolve(file, against: FileManager.default.currentDirectoryPath)
        let start = SourceLocation(file: file, line: 1, column: 1)
        let failed = { (message: String) in
            ConfigurationCheck(configuration: nil, diagnostics: [Diagnostic(start, message)], rulePaths: [], sinkNames: nil)
        }
        let bytes: [UInt8]
        switch FileBytes.read(absolute, limit: 16 << 20) {
        case .success(let b): bytes = b
        case .failure(let error):
            return failed("cannot read the configuration: \(error.code == EFBIG ? "larger than 16 MiB" : FileBytes.message(error.code))")
        }
        let root: JSONNode
        do {
            root = try JSONDocumentParser.parse(bytes, file: file)
        } catch {
            return ConfigurationCheck(configuration: nil, diagnostics: [error], rulePaths: [], sinkNames: nil)
        }
        var decoder = ConfigDecoder(file: file, baseDirectory: PathText.directory(of: absolute), environment: environment)
        var result = decode(root, absoluteFile: absolute, decoder: &decoder)
        // File order, so an editor can walk the list; the sort is stable for problems at one place.
        result.diagnostics = decoder.diagnostics.enumerated()
            .sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }.map(\.element)
        if !result.diagnostics.isEmpty { result.configuration = nil }
        return result
    }

    // MARK: Members and limits

    public static let members: Set<String> = ["rules", "state_directory", "sources", "sinks", "routes", "default_sinks",
                                              "pipeline", "live_time"]
    public static let routeMembers: Set<String> = ["sinks", "severity", "rules", "labels", "continue"]
    public static let pipelineMembers: Set<String> = ["batch_max_events", "batch_max_delay", "commit_interval"]
    public static let liveTimeMembers: Set<String> = ["wall_clock", "delay"]
    /// 1 KiB to 1 GiB.
    public static let maximumLineBytesRange = 1024...(1 << 30)
    public static let batchMaximumEventsRange = 1...1_000_000
    /// `batch_max_delay` at most 10 s: longer only delays alerts.
    public static let longestBatchDelay: Int64 = 10_000
    /// `commit_interval` at most one minute: longer only makes more to read again after a crash.
    public static let longestCommitInterval: Int64 = 60_000
    /// `live_time.delay` at most one day.
    public static let longestLiveDelay: Int64 = 86_400_000
    /// Without `state_directory` and `$STATE_DIRECTORY`.
    public static let defaultStateDirectory = "/var/lib/trailwatch"

    // MARK: Decoding

    static func decode(_ root: JSONNode, absoluteFile: String, decoder d: inout ConfigDecoder) -> ConfigurationCheck {
        var result = ConfigurationCheck(configuration: nil, diagnostics: [], rulePaths: [], sinkNames: nil)
        guard let top = d.object(root, at: .root, what: "a configuration") else { return result }
        d.rejectUnknownMembers(of: top, known: members, what: "the configuration")

        let rules = decodeRules(top, &d)
        result.rulePaths = rules.existing
        let stateDirectory = decodeStateDirectory(top, &d)
        let sources = decodeSources(top, &d)
        let sinks = decodeSinks(top, sources: sources, &d)
        result.sinkNames = sinks.names
        let routes = decodeRoutes(top, sinkNames: sinks.names, &d)
        var defaultSinks: [LocatedString] = []
        if let node = d.required(top, "default_sinks", "the sinks for alerts no route matches, like [\"alerts\"]") {
            defaultSinks = decodeSinkList(node, at: top.path["default_sinks"], sinkNames: sinks.names,
                                          emptyHint: "an alert must always go somewhere: name at least one sink", &d)
        }
        let pipeline = decodePipeline(top, &d)
        let liveTime = decodeLiveTime(top, &d)

        if d.diagnostics.isEmpty {
            result.configuration = DaemonConfiguration(
                file: absoluteFile, rules: rules.all, stateDirectory: stateDirectory, sources: sources.configurations,
                sinks: sinks.configurations, routes: routes, defaultSinks: defaultSinks.map(\.value),
                pipeline: pipeline, liveTime: liveTime)
        }
        return result
    }

    private static func decodeRules(_ top: ConfigObject, _ d: inout ConfigDecoder) -> (all: [String], existing: [LocatedString]) {
        guard let node = d.required(top, "rules", "the rule files and directories, like [\"rules\"]") else { return ([], []) }
        let paths = d.decodeStringList(node, at: top.path["rules"], emptyHint: "give at least one rule file or directory") {
            $0.decodePath($1, at: $2)
        } ?? []
        d.rejectDuplicates(paths, what: "rule path")
        var existing: [LocatedString] = []
        for path in paths {
            var info = stat()
            if stat(path.value, &info) != 0 {
                d.report(path.location, path.path, "cannot read rules at \(path.value): \(FileBytes.message(errno))")
            } else if !existing.contains(where: { $0.value == path.value }) {
                existing.append(path)
            }
        }
        return (paths.map(\.value), existing)
    }

    private static func decodeStateDirectory(_ top: ConfigObject, _ d: inout ConfigDecoder) -> String {
        if let node = top["state_directory"] {
            guard let path = d.decodePath(node, at: top.path["state_directory"]) else { return "" }
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
                d.report(node.location, top.path["state_directory"], "\(path) exists and is not a directory")
            }
            return path
        }
        // systemd's StateDirectory= sets $STATE_DIRECTORY (a colon-separated list when it names several).
        if let list = d.environment["STATE_DIRECTORY"],
           let first = list.split(separator: ":", omittingEmptySubsequences: true).first {
            return PathText.resolve(String(first), against: FileManager.default.currentDirectoryPath)
        }
        return defaultStateDirectory
    }

    // MARK: Sources and sinks

    /// A source or sink block as read: its object, name and kind (each nil when broken).
    struct Block<Kind: Sendable> {
        var object: ConfigObject
        var name: LocatedString?
        var type: String?
        var kind: Kind?
    }

    /// Reads a `type`d block through `types`, after its common members; reports unknown members against the
    /// type's own (or, for an unknown type, against every type's).
    static func decodeBlock<Kind: Sendable>(_ node: JSONNode, at path: MemberPath, noun: String, types: [String: BlockType<Kind>],
                                            common: Set<String>, _ d: inout ConfigDecoder) -> Block<Kind>? {
        guard let object = d.object(node, at: path, what: "a \(noun) object") else { return nil }
        var block = Block<Kind>(object: object)
        if let nameNode = d.required(object, "name", "a unique \(noun) name, like \"\(noun == "source" ? "activity-tracker" : "alerts")\"") {
            block.name = d.decodeName(nameNode, at: path["name"], what: noun)
                .map { LocatedString(value: $0, location: nameNode.location, path: path["name"]) }
        }
        let typeNames = types.keys.sorted()
        let known = "the \(noun) types are \(ConfigDecoder.quotedList(typeNames))"
        var entry: BlockType<Kind>? = nil
        if let typeNode = d.required(object, "type", "one of \(ConfigDecoder.quotedList(typeNames))") {
            if let s = typeNode.string, let e = types[s] {
                entry = e
                block.type = s
            } else if let s = typeNode.string {
                d.report(typeNode.location, path["type"],
                         "unknown \(noun) type \(typeNode.shortText)\(ConfigDecoder.suggestion(s, typeNames)): \(known)")
            } else {
                d.report(typeNode.location, path["type"], "expected a string, got \(typeNode.typeName): \(known)")
            }
        }
        if let entry, let type = block.type {
            let allowed = common.union(entry.members)
            var owners: [String: String] = [:]
            for member in object.members where !allowed.contains(member.key) {
                let takers = typeNames.filter { types[$0]!.members.contains(member.key) }
                if !takers.isEmpty {
                    owners[member.key] = "only \(ConfigDecoder.quotedList(takers)) \(noun)s take it"
                }
            }
            d.rejectUnknownMembers(of: object, known: allowed, what: ConfigDecoder.describe(type: type, of: noun), owners: owners)
            block.kind = entry.decode(&d, object)
        } else {
            let allowed = types.values.reduce(common) { $0.union($1.members) }
            d.rejectUnknownMembers(of: object, known: allowed, what: "a \(noun)")
        }
        return block
    }

    /// The items of the required, non-empty array `key` (`noun` names one item).
    private static func requiredArray(_ top: ConfigObject, _ key: String, noun: String, example: String,
                                      _ d: inout ConfigDecoder) -> [JSONNode]? {
        guard let node = d.required(top, key, "at least one \(noun), like \(example)") else { return nil }
        guard let items = node.items else {
            d.report(node.location, top.path[key], "expected an array of \(noun)s, got \(node.typeName)")
            return nil
        }
        if items.isEmpty { d.report(node.location, top.path[key], "must not be empty: give at least one \(noun), like \(example)") }
        return items
    }

    /// Reports a name used by an earlier block, at its second use.
    private static func rejectDuplicateNames(_ names: [LocatedString], noun: String, _ d: inout ConfigDecoder) {
        var first: [String: LocatedString] = [:]
        for name in names {
            if let earlier = first[name.value] {
                d.report(name.location, name.path, "duplicate \(noun) name \(JSONValue.string(name.value).description) (first defined at \(earlier.location))")
            } else {
                first[name.value] = name
            }
        }
    }

    private static func decodeSources(_ top: ConfigObject, _ d: inout ConfigDecoder)
        -> (configurations: [SourceConfiguration], blocks: [Block<SourceConfiguration.Kind>]) {
        let example = #"{"name": "activity-tracker", "type": "file", "paths": ["/var/log/at/*.jsonl"]}"#
        guard let items = requiredArray(top, "sources", noun: "source", example: example, &d) else { return ([], []) }
        var blocks: [Block<SourceConfiguration.Kind>] = []
        var configurations: [SourceConfiguration] = []
        for (i, item) in items.enumerated() {
            let path = top.path["sources"][i]
            guard let block = decodeBlock(item, at: path, noun: "source", types: ConfigurationTypes.sources,
                                          common: ConfigurationTypes.commonSourceMembers, &d) else { continue }
            var maximumLineBytes = 1 << 20
            if let node = block.object["max_line_bytes"] {
                maximumLineBytes = d.decodeInteger(node, at: path["max_line_bytes"], in: maximumLineBytesRange,
                                                   unit: "bytes (1 KiB to 1 GiB)") ?? maximumLineBytes
            }
            blocks.append(block)
            if let name = block.name, let kind = block.kind {
                configurations.append(SourceConfiguration(name: name.value, kind: kind, maximumLineBytes: maximumLineBytes))
            }
        }
        rejectDuplicateNames(blocks.compactMap(\.name), noun: "source", &d)

        // Standard input can feed one source only; a file followed twice would be read twice.
        var stdinAt: Block<SourceConfiguration.Kind>? = nil
        var followedBy: [String: Block<SourceConfiguration.Kind>] = [:]
        for block in blocks {
            switch block.kind {
            case .stdin:
                if let first = stdinAt {
                    d.report(block.object.location, block.object.path,
                             "only one source can read standard input (\(first.object.path) already does, at \(first.object.location))")
                } else {
                    stdinAt = block
                }
            case .file(let paths, _):
                for p in paths {
                    if let other = followedBy[p] {
                        let node = block.object["paths"]!
                        d.report(node.location, block.object.path["paths"],
                                 "\(p) is also followed by \(other.object.path) (\(sourceName(other))): a file belongs to one source only")
                    } else {
                        followedBy[p] = block
                    }
                }
            case nil: break
            }
        }
        return (configurations, blocks)
    }

    private static func sourceName(_ block: Block<SourceConfiguration.Kind>) -> String {
        block.name.map { "source " + JSONValue.string($0.value).description } ?? "a source"
    }

    private static func decodeSinks(_ top: ConfigObject, sources: (configurations: [SourceConfiguration], blocks: [Block<SourceConfiguration.Kind>]),
                                    _ d: inout ConfigDecoder) -> (configurations: [SinkConfiguration], names: [String]?) {
        let example = #"{"name": "alerts", "type": "file", "path": "/var/log/trailwatch/alerts.jsonl"}"#
        guard let items = requiredArray(top, "sinks", noun: "sink", example: example, &d) else { return ([], nil) }
        var blocks: [Block<any SinkSettings>] = []
        var configurations: [SinkConfiguration] = []
        for (i, item) in items.enumerated() {
            let path = top.path["sinks"][i]
            guard let block = decodeBlock(item, at: path, noun: "sink", types: ConfigurationTypes.sinks,
                                          common: ConfigurationTypes.commonSinkMembers, &d) else { continue }
            let delivery = decodeDeliveryPolicy(block.object, at: path, &d)
            blocks.append(block)
            if let name = block.name, let kind = block.kind {
                configurations.append(SinkConfiguration(name: name.value, settings: kind, delivery: delivery))
            }
        }
        let names = blocks.compactMap(\.name)
        rejectDuplicateNames(names, noun: "sink", &d)

        // An alert file that a source reads would feed alerts back in as events; two sinks on one file interleave.
        var writtenBy: [String: Block<any SinkSettings>] = [:]
        for block in blocks {
            guard let path = block.kind?.writesFile, let node = block.object["path"] else { continue }
            let at = block.object.path["path"]
            if let other = writtenBy[path] {
                d.report(node.location, at, "\(path) is also written by \(other.object.path): give each file sink its own file")
            } else {
                writtenBy[path] = block
            }
            for source in sources.blocks {
                guard case .file(let patterns, _) = source.kind,
                      let pattern = patterns.first(where: { fnmatch($0, path, FNM_PATHNAME) == 0 }) else { continue }
                d.report(node.location, at, "\(path) is read by \(source.object.path) (\(sourceName(source)), \(JSONValue.string(pattern).description)): its alerts would come back as events")
            }
        }
        return (configurations, names.map(\.value))
    }

    /// `max_attempts`, `max_age` and `batch` (`{"window": "10s", "max_alerts": 100}`), which every sink takes.
    static func decodeDeliveryPolicy(_ object: ConfigObject, at path: MemberPath, _ d: inout ConfigDecoder) -> DeliveryPolicy {
        var policy = DeliveryPolicy()
        if let node = object["max_attempts"] {
            policy.maximumAttempts = d.decodeInteger(node, at: path["max_attempts"], in: 1...1_000_000, unit: "attempts")
                ?? policy.maximumAttempts
        }
        if let node = object["max_age"] {
            policy.maximumAgeMilliseconds = d.decodeDuration(node, at: path["max_age"], maximum: 30 * 86_400_000)
                ?? policy.maximumAgeMilliseconds
        }
        if let node = object["batch"], let batch = d.object(node, at: path["batch"], what: "a batch object") {
            d.rejectUnknownMembers(of: batch, known: ["window", "max_alerts"], what: "a batch")
            if let window = d.required(batch, "window", "how long to gather alerts into one notification, like \"10s\"") {
                policy.batchWindowMilliseconds = d.decodeDuration(window, at: path["batch"]["window"], maximum: 3_600_000)
            }
            if let most = batch["max_alerts"] {
                policy.batchMaximumAlerts = d.decodeInteger(most, at: path["batch"]["max_alerts"], in: 1...10_000, unit: "alerts")
                    ?? policy.batchMaximumAlerts
            }
        }
        return policy
    }

    /// A list of sink names, each checked against the configured sinks (when they could be read).
    static func decodeSinkList(_ node: JSONNode, at path: MemberPath, sinkNames: [String]?, emptyHint: String,
                               _ d: inout ConfigDecoder) -> [LocatedString] {
        let list = d.decodeStringList(node, at: path, emptyHint: emptyHint) { $0.decodeName($1, at: $2, what: "sink") } ?? []
        d.rejectDuplicates(list, what: "sink")
        if let sinkNames {
            for item in list where !sinkNames.contains(item.value) {
                d.report(item.location, item.path, unknownSinkMessage(item.value, sinkNames: sinkNames))
            }
        }
        return list
    }

    /// `no sink named "consol" (did you mean "console"?)`, or the list of sinks when none is close.
    public static func unknownSinkMessage(_ name: String, sinkNames: [String]) -> String {
        let quoted = JSONValue.string(name).description
        if let close = ConfigDecoder.closest(name, sinkNames) {
            return "no sink named \(quoted) (did you mean \(JSONValue.string(close).description)?)"
        }
        if sinkNames.isEmpty { return "no sink named \(quoted) (no sinks are configured)" }
        return "no sink named \(quoted) (the sinks are \(ConfigDecoder.quotedList(sinkNames)))"
    }

    // MARK: Routes, pipeline, live time

    private static func decodeRoutes(_ top: ConfigObject, sinkNames: [String]?, _ d: inout ConfigDecoder) -> [RouteConfiguration] {
        guard let node = top["routes"] else { return [] }
        guard let items = node.items else {
            d.report(node.location, top.path["routes"], "expected an array of routes, got \(node.typeName)")
            return []
        }
        var routes: [RouteConfiguration] = []
        for (i, item) in items.enumerated() {
            guard let route = d.object(item, at: top.path["routes"][i], what: "a route object") else { continue }
            let before = d.diagnostics.count
            d.rejectUnknownMembers(of: route, known: routeMembers, what: "a route")
            var sinks: [LocatedString] = []
            if let s = d.required(route, "sinks", "the sinks for alerts this route matches, like [\"console\"]") {
                sinks = decodeSinkList(s, at: route.path["sinks"], sinkNames: sinkNames,
                                       emptyHint: "name the sinks this route sends to", &d)
            }
            var severities: [Severity]? = nil
            if let s = route["severity"] {
                severities = d.decodeStringList(s, at: route.path["severity"], emptyHint: "leave \"severity\" out to match every severity") {
                    $0.decodeChoice($1, at: $2, as: Severity.self)?.rawValue
                }?.compactMap { Severity(rawValue: $0.value) }
            }
            var rules: [String]? = nil
            if let r = route["rules"] {
                rules = d.decodeStringList(r, at: route.path["rules"], emptyHint: "leave \"rules\" out to match every rule") {
                    $0.decodeNonEmptyString($1, at: $2)
                }?.map(\.value)
            }
            var labels: [String: String] = [:]
            if let l = route["labels"], let object = d.object(l, at: route.path["labels"], what: "an object of label values") {
                for member in object.members {
                    if let value = d.decodeString(member.value, at: object.path[member.key]) { labels[member.key] = value }
                }
            }
            var `continue` = false
            if let c = route["continue"] { `continue` = d.decodeBool(c, at: route.path["continue"]) ?? false }
            if d.diagnostics.count == before {
                routes.append(RouteConfiguration(sinks: sinks.map(\.value), severities: severities, rules: rules,
                                                 labels: labels, continue: `continue`))
            }
        }
        return routes
    }

    private static func decodePipeline(_ top: ConfigObject, _ d: inout ConfigDecoder) -> PipelineConfiguration {
        var pipeline = PipelineConfiguration()
        guard let node = top["pipeline"], let object = d.object(node, at: top.path["pipeline"], what: "an object") else {
            return pipeline
        }
        d.rejectUnknownMembers(of: object, known: pipelineMembers, what: "\"pipeline\"")
        if let n = object["batch_max_events"],
           let value = d.decodeInteger(n, at: object.path["batch_max_events"], in: batchMaximumEventsRange, unit: "events") {
            pipeline.batchMaximumEvents = value
        }
        if let n = object["batch_max_delay"],
           let value = d.decodeDuration(n, at: object.path["batch_max_delay"], maximum: longestBatchDelay) {
            pipeline.batchMaximumDelayMilliseconds = value
        }
        if let n = object["commit_interval"],
           let value = d.decodeDuration(n, at: object.path["commit_interval"], maximum: longestCommitInterval) {
            pipeline.commitIntervalMilliseconds = value
        }
        return pipeline
    }

    private static func decodeLiveTime(_ top: ConfigObject, _ d: inout ConfigDecoder) -> LiveTimeConfiguration {
        var liveTime = LiveTimeConfiguration()
        guard let node = top["live_time"], let object = d.object(node, at: top.path["live_time"], what: "an object") else {
            return liveTime
        }
        d.rejectUnknownMembers(of: object, known: liveTimeMembers, what: "\"live_time\"")
        if let n = object["wall_clock"], let value = d.decodeBool(n, at: object.path["wall_clock"]) {
            liveTime.wallClock = value
        }
        if let n = object["delay"], let value = d.decodeDuration(n, at: object.path["delay"], maximum: longestLiveDelay) {
            liveTime.delayMilliseconds = value
        }
        return liveTime
    }
}
