import Crypto
import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"name": "hook", "type": "webhook", "url": "https://siem.example.com/trailwatch",
///  "headers": {"X-Team": "secops"}, "secret_file": "/etc/trailwatch/hook.key",
///  "authorization_credential": "hook-auth", "timeout": "10s", "connect_timeout": "5s"}
/// ```
public struct WebhookSinkSettings: SinkSettings {
    public static let type = "webhook"
    public static let members: Set<String> = Set<String>(["url", "headers", "timeout", "connect_timeout"])
        .union(ConfigDecoder.secretMembers("secret"))
        .union(ConfigDecoder.secretMembers("authorization"))

    /// Headers trailwatch sets itself; `headers` may not name them.
    static let reservedHeaders: [String: String] = [
        "authorization": #"put the whole header value in a file: use "authorization_file" or "authorization_credential""#,
        "content-type": "trailwatch sets it (application/json)",
        "content-length": "trailwatch sets it",
        "host": "it comes from the URL",
        "transfer-encoding": "trailwatch sets it",
        "connection": "trailwatch sets it",
        "user-agent": "trailwatch sets it",
        "idempotency-key": "trailwatch sets it to the alert id",
        "x-trailwatch-alert-id": "trailwatch sets it",
        "x-trailwatch-alert-count": "trailwatch sets it",
        "x-trailwatch-signature": #"trailwatch sets it when "secret_file" or "secret_credential" is given"#,
    ]

    public var url: String
    /// Sent as given, after trailwatch's own headers.
    public var headers: [HTTPHeaderField]
    /// Key of the `X-Trailwatch-Signature` HMAC.
    public var secret: SecretReference?
    /// The whole `Authorization` header value (`Bearer …`).
    public var authorization: SecretReference?
    public var timeouts: HTTPTimeouts

    public init(url: String, headers: [HTTPHeaderField] = [], secret: SecretReference? = nil,
                authorization: SecretReference? = nil, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.url = url
        self.headers = headers
        self.secret = secret
        self.authorization = authorization
        self.timeouts = timeouts
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var url: String?
        if let node = decoder.required(block, "url", "the http:// or https:// URL alerts are posted to") {
            url = decoder.decodeHTTPURL(node, at: block.path["url"])
        }
        var headers: [HTTPHeaderField] = []
        if let node = block["headers"], let object = decoder.object(node, at: block.path["headers"], what: "a headers object") {
            headers = Self.decodeHeaders(object, &decoder)
        }
        let secret = decoder.decodeSecret(in: block, named: "secret", required: false)
        let authorization = decoder.decodeSecret(in: block, named: "authorization", required: false)
        let timeouts = decoder.decodeHTTPTimeouts(block)
        guard let url, decoder.diagnostics.count == before else { return nil }
        self.init(url: url, headers: headers, secret: secret, authorization: authorization, timeouts: timeouts)
    }

    /// `{"X-Team": "secops"}`: names are HTTP tokens, values strings without line breaks.
    static func decodeHeaders(_ object: ConfigObject, _ d: inout ConfigDecoder) -> [HTTPHeaderField] {
        var out: [HTTPHeaderField] = []
        for member in object.members {
            let path = object.path[member.key]
            let lower = member.key.lowercased()
            if member.key.isEmpty || !member.key.utf8.allSatisfy(Self.isTokenByte) {
                d.report(member.keyLocation, path, "\(JSONValue.string(member.key).description) is not a valid header name")
                continue
            }
            if let why = reservedHeaders[lower] {
                d.report(member.keyLocation, path, "not allowed in \"headers\": \(why)")
                continue
            }
            if out.contains(where: { $0.name.lowercased() == lower }) {
                d.report(member.keyLocation, path, "header \(JSONValue.string(member.key).description) is given twice")
                continue
            }
            guard let value = d.decodeString(member.value, at: path) else { continue }
            if value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
                d.report(member.value.location, path, "a header value cannot contain a line break or NUL")
                continue
            }
            out.append(HTTPHeaderField(member.key, value))
        }
        return out
    }

    static func isTokenByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || "!#$%&'*+-.^_`|~".utf8.contains(c)
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        try WebhookSink(name: name, settings: self, environment: context.environment)
    }
}

/// The requests a webhook sink sends: a pure function of the alerts, the settings and the resolved secrets.
///
/// One alert: its JSON exactly as `replay` prints it. Several (a `batch` policy): one object
/// `{"alerts": [...], "count": N, "rules": K, "summary": "N alerts from K rules"}`, the alerts in outbox
/// order. Only firing alerts are sent; resolutions are for incident trackers (PagerDuty, Alertmanager).
public enum WebhookPayload {
    public static func request(for alerts: [OutgoingAlert], settings: WebhookSinkSettings, secret: [UInt8]?,
                               authorization: String?) -> HTTPRequestSpec? {
        let firing = alerts.filter { $0.status == .firing }
        guard !firing.isEmpty else { return nil }
        var body: [UInt8]
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", "trailwatch")]
        if firing.count == 1 {
            body = Array(firing[0].json.utf8)
            headers.append(("Idempotency-Key", firing[0].alert.id))
            headers.append(("X-Trailwatch-Alert-Id", firing[0].alert.id))
        } else {
            let list = firing.map(\.alert)
            body = Array(#"{"alerts":["#.utf8)
            for (i, outgoing) in firing.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body += outgoing.json.utf8  // verbatim: the same bytes as a single alert's body
            }
            body += #"],"count":\#(list.count),"rules":\#(AlertBatch.rules(list).count),"summary":"#.utf8
            JSONWriter.writeString(AlertBatch.summary(list), to: &body)
            body.append(UInt8(ascii: "}"))
            headers.append(("Idempotency-Key", AlertBatch.idempotencyKey(list)))
            headers.append(("X-Trailwatch-Alert-Count", String(list.count)))
        }
        if let secret {
            headers.append(("X-Trailwatch-Signature", "sha256=" + signature(body: body, secret: secret)))
        }
        if let authorization { headers.append(("Authorization", authorization)) }
        headers += settings.headers.map { ($0.name, $0.value) }
        return HTTPRequestSpec(url: settings.url, method: "POST", headers: headers, body: body)
    }

    /// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
    public static func signature(body: [UInt8], secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// POSTs alerts to a URL (see `WebhookPayload` for what it sends).
public struct WebhookSink: AlertSink {
    public let name: String
    let settings: WebhookSinkSettings
    let secret: [UInt8]?
    let authorization: String?
    let transport: HTTPTransport

    /// Reads the secrets now: a missing file stops the sink from starting rather than failing each delivery.
    public init(name: String, settings: WebhookSinkSettings, environment: [String: String]) throws {
        self.name = name
        self.settings = settings
        secret = try settings.secret?.resolve(environment: environment)
        authorization = try settings.authorization.map { String(decoding: try $0.resolve(environment: environment), as: UTF8.self) }
        transport = HTTPTransport(timeouts: settings.timeouts)
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        guard let spec = WebhookPayload.request(for: alerts, settings: settings, secret: secret,
                                                authorization: authorization) else { return }
        do {
            try await transport.send(spec)
        } catch {
            throw error.redacting([authorization, secret.map { String(decoding: $0, as: UTF8.self) }].compactMap { $0 })
        }
    }

    public func close() async {
        await transport.shutdown()
    }
}
