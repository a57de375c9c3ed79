import Foundation
import TrailwatchCorpus

/// One parsed line, with the fields the checks need.
struct ParsedEvent {
    let line: Int
    let object: [String: Any]
    let payload: [String: Any]
    let action: String
    let outcome: String
    let micros: Int64
    let targetId: String
    let initiatorAddress: String
    let account: String
    let reasonCode: Int?
    /// requestData: 0 absent, 1 JSON string, 2 object.
    let requestKind: Int
    let requestText: String?
    let request: [String: Any]?
}

enum ParseError: Error, CustomStringConvertible {
    case line(Int, String)

    var description: String {
        switch self {
        case let .line(n, why): return "line \(n): \(why)"
        }
    }
}

/// The lines of `bytes` (without their newlines); every line must end with a newline.
func splitLines(_ bytes: [UInt8]) throws -> [Data] {
    var lines: [Data] = []
    try bytes.withUnsafeBufferPointer { p in
        guard let base = p.baseAddress else { return }
        var start = 0
        while start < p.count {
            guard let nl = memchr(base + start, 0x0A, p.count - start) else {
                throw ParseError.line(lines.count + 1, "no newline at the end")
            }
            let end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base
            lines.append(Data(bytes: base + start, count: end - start))
            start = end + 1
        }
    }
    return lines
}

/// Splits `bytes` into lines and parses each with JSONSerialization.
func parseCorpus(_ bytes: [UInt8]) throws -> [ParsedEvent] {
    var events: [ParsedEvent] = []
    for (i, data) in try splitLines(bytes).enumerated() {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParseError.line(i + 1, "not a JSON object")
        }
        events.append(try parsedEvent(object, line: i + 1))
    }
    return events
}

/// Generated and parsed corpora, shared by the tests (generating and parsing 40k lines takes a while in debug builds).
final class CorpusCache: @unchecked Sendable {
    static let shared = CorpusCache()
    private let lock = NSLock()
    private var generated: [CorpusOptions: (bytes: [UInt8], planted: PlantedIncidents)] = [:]
    private var parsed: [CorpusOptions: [ParsedEvent]] = [:]

    func corpus(_ options: CorpusOptions) -> (bytes: [UInt8], planted: PlantedIncidents) {
        lock.lock()
        defer { lock.unlock() }
        if let g = generated[options] { return g }
        let g = Corpus.generate(options: options)
        generated[options] = g
        return g
    }

    func events(_ options: CorpusOptions) throws -> [ParsedEvent] {
        let bytes = corpus(options).bytes
        lock.lock()
        defer { lock.unlock() }
        if let p = parsed[options] { return p }
        let p = try parseCorpus(bytes)
        parsed[options] = p
        return p
    }
}

private func parsedEvent(_ o: [String: Any], line: Int) throws -> ParsedEvent {
    guard let p = o["payload"] as? [String: Any] else { throw ParseError.line(line, "no payload object") }
    guard let action = p["action"] as? String, let outcome = p["outcome"] as? String,
          let time = p["eventTime"] as? String
    else { throw ParseError.line(line, "no action, outcome or eventTime") }
    guard let micros = parseEventTime(time) else { throw ParseError.line(line, "bad eventTime \(time)") }
    let target = p["target"] as? [String: Any]
    let initiator = p["initiator"] as? [String: Any]
    let host = initiator?["host"] as? [String: Any]
    let meta = o["meta"] as? [String: Any]
    let accounts = meta?["userAccountIds"] as? [Any]
    let reason = p["reason"] as? [String: Any]
    var code: Int?
    if let s = reason?["reasonCode"] as? String { code = Int(s) } else if let n = reason?["reasonCode"] as? NSNumber { code = n.intValue }
    var kind = 0
    var text: String?
    var request: [String: Any]?
    if let s = p["requestData"] as? String {
        kind = 1
        text = s
        guard let inner = try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any] else {
            throw ParseError.line(line, "requestData string is not a JSON object")
        }
        request = inner
    } else if let d = p["requestData"] as? [String: Any] {
        kind = 2
        request = d
        text = String(decoding: try JSONSerialization.data(withJSONObject: d, options: [.withoutEscapingSlashes]), as: UTF8.self)
    } else if p["requestData"] != nil {
        throw ParseError.line(line, "requestData is neither a string nor an object")
    }
    return ParsedEvent(
        line: line, object: o, payload: p, action: action, outcome: outcome, micros: micros,
        targetId: target?["id"] as? String ?? "", initiatorAddress: host?["address"] as? String ?? "",
        account: accounts?.first as? String ?? "", reasonCode: code, requestKind: kind, requestText: text,
        request: request)
}

/// RFC 3339 with `Z`, `±hh:mm` or `±hhmm` and 0–9 fraction digits, as microseconds since the epoch.
func parseEventTime(_ s: String) -> Int64? {
    let c = Array(s.utf8)
    func num(_ from: Int, _ count: Int) -> Int? {
        guard from + count <= c.count else { return nil }
        var v = 0
        for i in from..<(from + count) {
            guard c[i] >= 48 && c[i] <= 57 else { return nil }
            v = v * 10 + Int(c[i] - 48)
        }
        return v
    }
    guard c.count >= 20, let y = num(0, 4), c[4] == 45, let mo = num(5, 2), c[7] == 45, let d = num(8, 2),
          c[10] == 84, let h = num(11, 2), c[13] == 58, let mi = num(14, 2), c[16] == 58, let sec = num(17, 2)
    else { return nil }
    var i = 19
    var micros = 0
    if i < c.count && c[i] == 46 {
        i += 1
        var digits = 0
        while i < c.count && c[i] >= 48 && c[i] <= 57 {
            if digits < 6 { micros = micros * 10 + Int(c[i] - 48) }
            digits += 1
            i += 1
        }
        guard digits >= 1 && digits <= 9 else { return nil }
        for _ in min(digits, 6)..<6 { micros *= 10 }
    }
    var offsetMinutes = 0
    let zone = Array(c[i...])
    if zone == [90] {
        offsetMinutes = 0
    } else if zone.count == 5 || zone.count == 6, zone[0] == 43 || zone[0] == 45 {
        let z = String(decoding: zone.dropFirst().filter { $0 != 58 }, as: UTF8.self)
        guard z.count == 4, let hhmm = Int(z) else { return nil }
        offsetMinutes = (hhmm / 100 * 60 + hhmm % 100) * (zone[0] == 45 ? -1 : 1)
    } else {
        return nil
    }
    // days_from_civil (Howard Hinnant)
    let yy = mo <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    let seconds = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offsetMinutes * 60)
    return seconds * 1_000_000 + Int64(micros)
}

let cloudDatabasesServices = [
    "databases-for-cassandra", "databases-for-elasticsearch", "databases-for-enterprisedb", "databases-for-etcd",
    "databases-for-mongodb", "databases-for-postgresql", "databases-for-redis", "messages-for-rabbitmq",
]

func isDatabaseAction(_ action: String) -> Bool {
    cloudDatabasesServices.contains { action.hasPrefix($0 + ".") }
}

/// The part of a Cloud Databases action after the service id (`user-password.update`).
func databaseOperation(_ action: String) -> String? {
    for s in cloudDatabasesServices where action.hasPrefix(s + ".") {
        return String(action.dropFirst(s.count + 1))
    }
    return nil
}

/// The `threshold` kind of the rule language: fires when `count` matching events fall in `window`, then clears the group.
struct ThresholdCounter {
    let count: Int
    let window: Int64
    var groups: [String: [Int64]] = [:]
    var fired = 0

    init(count: Int, window: Int64) {
        self.count = count
        self.window = window
    }

    mutating func add(_ group: String, _ t: Int64) {
        var times = groups[group, default: []]
        times.append(t)
        let newest = times.max()!
        times.removeAll { $0 <= newest - window }
        if times.count >= count {
            fired += 1
            times.removeAll()
        }
        groups[group] = times
    }
}

/// Detects every planted incident from the parsed events alone, using the definitions in samples/README.md.
func detectIncidents(_ events: [ParsedEvent], start: Int64) -> PlantedIncidents {
    let minute: Int64 = 60_000_000
    let hour = 60 * minute
    var found = PlantedIncidents()
    var passwordBursts = ThresholdCounter(count: 5, window: 10 * minute)
    var loginBursts = ThresholdCounter(count: 21, window: 30 * minute)
    var lastScheduledBackup: [String: Int64] = [:]
    var userCreated: [String: Int64] = [:]
    var seenAddresses: [String: Set<String>] = [:]
    let learningEnd = start * 1000 + 24 * hour

    for e in events {
        let failed = e.outcome == "failure"
        let succeeded = e.outcome == "success"
        let notDeny = e.reasonCode != 403
        if let op = databaseOperation(e.action) {
            switch op {
            case "user-password.update", "deployment-user.update":
                if failed { passwordBursts.add(e.targetId, e.micros) }
            case "backup-scheduled.create", "deployment-backup-scheduled.create":
                lastScheduledBackup[e.targetId] = e.micros
                if failed { found.failedScheduledBackups += 1 }
            case "backup-ondemand.create", "deployment-backup.create":
                if failed && notDeny { found.failedOnDemandBackups += 1 }
            case "backup.restore":
                if failed && notDeny { found.failedRestores += 1 }
            case "whitelisted-ips-list.update", "deployment-allowlist-ip-addresses.update":
                if succeeded {
                    found.allowlistChanges += 1
                    if e.requestText?.contains("0.0.0.0/0") == true { found.allowlistOpenedToWorld += 1 }
                }
            case "serviceendpoints.update", "deployment.update":
                if succeeded { found.serviceEndpointChanges += 1 }
            case "user.create", "deployment-user.create":
                if succeeded { userCreated[e.targetId] = e.micros }
            case "user.delete", "deployment-user.delete":
                if succeeded, let c = userCreated[e.targetId] {
                    if e.micros - c <= hour { found.usersCreatedThenDeleted += 1 }
                    userCreated[e.targetId] = nil
                }
            case "resources.scale", "deployment-group.update", "autoscaling.update", "deployment-group-autoscaling.update":
                if failed && notDeny { found.scalingFailures += 1 }
            default:
                break
            }
            if failed && e.reasonCode == 403, let dry = e.request?["dry_run"] as? Bool, dry == false {
                found.realDenies += 1
            }
        } else if e.action.hasPrefix("is.load-balancer.") {
            if failed { found.loadBalancerFailures += 1 }
            if succeeded && e.action == "is.load-balancer.load-balancer.delete" { found.loadBalancersDeleted += 1 }
            if succeeded && e.action == "is.load-balancer.load-balancer-listener.delete" { found.listenersDeleted += 1 }
        } else if e.action.hasPrefix("iam-identity.") && e.action.hasSuffix(".login") {
            if failed { loginBursts.add(e.account, e.micros) }
            if succeeded && (e.action == "iam-identity.user-apikey.login" || e.action == "iam-identity.serviceid-apikey.login") {
                let isNew = !seenAddresses[e.targetId, default: []].contains(e.initiatorAddress)
                if isNew && e.micros >= learningEnd { found.newSourceLogins += 1 }
                seenAddresses[e.targetId, default: []].insert(e.initiatorAddress)
            }
        }
    }
    found.passwordFailureBursts = passwordBursts.fired
    found.failedLoginBursts = loginBursts.fired
    if let end = events.last?.micros {
        found.stoppedScheduledBackups = lastScheduledBackup.values.filter { end - $0 > 26 * hour }.count
    }
    return found
}

/// The repository's samples folder, found from this file's path (following symlinks).
func samplesDirectory(file: String = #filePath) -> URL? {
    let candidates = [
        URL(fileURLWithPath: file),
        URL(fileURLWithPath: file).resolvingSymlinksInPath(),
        URL(fileURLWithPath: file).deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent("x"),
    ]
    for c in candidates {
        var dir = c.deletingLastPathComponent()
        for _ in 0..<4 {
            let s = dir.appendingPathComponent("samples")
            if FileManager.default.fileExists(atPath: s.appendingPathComponent("activity-tracker.jsonl").path) {
                return s
            }
            dir = dir.deletingLastPathComponent()
        }
    }
    return nil
}
