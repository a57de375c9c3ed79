import Crypto
import Foundation
import TrailwatchConfiguration
import TrailwatchCore

// What the HTTP sinks (webhook, slack, pagerduty, alertmanager) share besides the transport: decoding of
// their common settings, redaction of secrets from delivery errors, and the wording of a batch.

/// One header a sink adds to its requests, in configuration order.
public struct HTTPHeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension ConfigDecoder {
    /// An absolute `http://` or `https://` URL with a host and no `user:password@` part (credentials are
    /// secrets: they go in a file or a credential).
    public mutating func decodeHTTPURL(_ node: JSONNode, at path: MemberPath) -> String? {
        guard let text = decodeNonEmptyString(node, at: path) else { return nil }
        if let problem = HTTPURLCheck.problem(text) {
            report(node.location, path, "\(node.shortText) \(problem)")
            return nil
        }
        return text
    }

    /// `timeout` and `connect_timeout` of an HTTP sink: durations above zero, at most 5 minutes and 1 minute.
    public mutating func decodeHTTPTimeouts(_ block: ConfigObject) -> HTTPTimeouts {
        var timeouts = HTTPTimeouts()
        for (key, maximum) in [("timeout", Int64(300_000)), ("connect_timeout", Int64(60_000))] {
            guard let node = block[key], let ms = decodeDuration(node, at: block.path[key], maximum: maximum) else { continue }
            guard ms > 0 else {
                report(node.location, block.path[key], "must be longer than 0ms")
                continue
            }
            if key == "timeout" { timeouts.requestMilliseconds = ms } else { timeouts.connectMilliseconds = ms }
        }
        return timeouts
    }
}

/// Checks of a URL an HTTP sink sends to; the messages never repeat the URL (it may be a secret).
public enum HTTPURLCheck {
    /// Why `text` is not a usable http(s) URL, or nil when it is.
    public static func problem(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            return "is not an http:// or https:// URL"
        }
        guard let host = components.host, !host.isEmpty else { return "has no host" }
        if components.user != nil || components.password != nil {
            return "must not hold a user or password: credentials are secrets, keep them in a file"
        }
        return nil
    }
}

extension DeliveryError {
    /// The same verdict with every occurrence of `secrets` in its message replaced by `[redacted]`: receivers
    /// may echo a request (a routing key, a webhook path) in an error answer, and the message is logged.
    public func redacting(_ secrets: [String]) -> DeliveryError {
        func clean(_ text: String) -> String {
            secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
                .reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
        }
        switch self {
        case .retry(let why, let after): return .retry(clean(why), after: after)
        case .permanent(let why): return .permanent(clean(why))
        }
    }
}

/// How a batched notification describes its alerts: `12 alerts from 3 rules`.
public enum AlertBatch {
    public static func summary(_ alerts: [Alert]) -> String {
        let rules = Set(alerts.map(\.rule)).count
        return "\(alerts.count) alert\(alerts.count == 1 ? "" : "s") from \(rules) rule\(rules == 1 ? "" : "s")"
    }

    /// Distinct rule ids, in order of first appearance.
    public static func rules(_ alerts: [Alert]) -> [String] {
        var seen = Set<String>()
        return alerts.map(\.rule).filter { seen.insert($0).inserted }
    }

    /// A stable key for a set of alerts (its ids in order): `batch-` and the hex SHA-256 of the ids, one per line.
    public static func idempotencyKey(_ alerts: [Alert]) -> String {
        let digest = SHA256.hash(data: Array(alerts.map(\.id).joined(separator: "\n").utf8))
        return "batch-" + digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// Compact JSON bytes, members in the order given: payloads are byte-for-byte reproducible.
enum JSONBytes {
    static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.write(value, to: &out)
        return out
    }

    static func string(_ s: String) -> JSONValue { .string(s) }
    static func int(_ i: Int) -> JSONValue { .number(JSONNumber(integer: Int64(i))) }
}

extension String {
    /// At most `limit` characters, the last replaced by `…` when cut.
    func truncated(to limit: Int) -> String {
        count <= limit ? self : String(prefix(limit - 1)) + "…"
    }
}

/// Why a sink cannot start (its secret holds something unusable); never repeats a secret.
public struct SinkSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
