import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Connection and response limits of an HTTP sink (`connect_timeout`, `timeout` in its settings).
public struct HTTPTimeouts: Sendable, Equatable {
    public var connectMilliseconds: Int64
    /// The whole request: sending the body and reading the response.
    public var requestMilliseconds: Int64

    public init(connectMilliseconds: Int64 = 5000, requestMilliseconds: Int64 = 10_000) {
        self.connectMilliseconds = connectMilliseconds
        self.requestMilliseconds = requestMilliseconds
    }
}

/// One request as a payload builder makes it: pure data, so builders are tested against golden files.
public struct HTTPRequestSpec: Sendable, Equatable {
    public var url: String
    public var method: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(url: String, method: String = "POST", headers: [(String, String)] = [], body: [UInt8]) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    public static func == (a: HTTPRequestSpec, b: HTTPRequestSpec) -> Bool {
        a.url == b.url && a.method == b.method && a.body == b.body
            && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }
}

/// Sends requests for HTTP sinks and turns every outcome into a delivery verdict, the same for all of them:
/// 2xx delivered; 408, 429 and 5xx retry (honouring `Retry-After`); other statuses permanent; connection
/// failures and timeouts retry.
public final class HTTPTransport: Sendable {
    private let client: HTTPClient
    private let timeouts: HTTPTimeouts

    public init(timeouts: HTTPTimeouts) {
        self.timeouts = timeouts
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(timeouts.connectMilliseconds),
                                      read: .milliseconds(timeouts.requestMilliseconds))
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends `spec`; returns the response body (at most 1 MiB) of a 2xx answer.
    @discardableResult
    public func send(_ spec: HTTPRequestSpec) async throws(DeliveryError) -> [UInt8] {
        var request = HTTPClientRequest(url: spec.url)
        request.method = HTTPMethod(rawValue: spec.method)
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: spec.body))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .milliseconds(timeouts.requestMilliseconds))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .retry("\(Self.host(spec.url)): \(Self.describe(error))")
        }
        let code = Int(response.status.code)
        if (200..<300).contains(code) { return Array(buffer: body) }
        let detail = "\(Self.host(spec.url)) answered \(code) \(response.status.reasonPhrase)"
            + Self.excerpt(Array(buffer: body))
        throw Self.verdict(status: code, retryAfter: response.headers.first(name: "Retry-After"), detail: detail)
    }

    /// The verdict for an HTTP status other than 2xx.
    public static func verdict(status: Int, retryAfter: String?, detail: String, now: Date = Date()) -> DeliveryError {
        switch status {
        case 408, 429, 500...599: .retry(detail, after: retryAfter.flatMap { parseRetryAfter($0, now: now) })
        default: .permanent(detail)
        }
    }

    /// `Retry-After` as delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
    public static func parseRetryAfter(_ text: String, now: Date = Date()) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Scheme and host only: URLs may carry secrets in their path (Slack, webhook tokens).
    static func host(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "the receiver" }
        return "\(components.scheme ?? "http")://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "no answer in time"
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    /// The start of an error answer's body, for the log.
    private static func excerpt(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return ": " + text
    }
}
