import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"type": "alertmanager", "url": "http://127.0.0.1:9093", "resolve_after": "1h", "repeat_interval": "1m",
///  "username": "trailwatch", "password_file": "/etc/trailwatch/am.password"}
/// ```
///
/// `url` is Alertmanager's base URL (alerts go to `{url}/api/v2/alerts`). Authentication is optional: basic
/// (`username` with `password_file`/`password_credential`) or a bearer token (`bearer_token_file`/
/// `bearer_token_credential`), not both.
public struct AlertmanagerSinkSettings: SinkSettings {
    public static let type = "alertmanager"
    public static let members: Set<String> = Set(["url", "resolve_after", "repeat_interval", "generator_url", "username",
                                              "timeout", "connect_timeout"])
        .union(ConfigDecoder.secretMembers("password")).union(ConfigDecoder.secretMembers("bearer_token"))

    public enum Authentication: Sendable, Equatable {
        case none
        case basic(username: String, password: SecretReference)
        case bearer(SecretReference)
    }

    public var url: String
    /// How long after it fired (or after it was first delivered, when that is later) an alert resolves by
    /// itself in Alertmanager: trailwatch alerts are events, nothing else would ever end them.
    public var resolveAfterMilliseconds: Int64
    /// How often alerts still firing are posted again, as Alertmanager expects of a sender.
    public var repeatIntervalMilliseconds: Int64
    public var generatorURL: String?
    public var authentication: Authentication
    public var timeouts: HTTPTimeouts

    public static let defaultResolveAfter: Int64 = 3_600_000
    public static let defaultRepeatInterval: Int64 = 60_000

    public init(url: String, resolveAfterMilliseconds: Int64 = defaultResolveAfter,
                repeatIntervalMilliseconds: Int64 = defaultRepeatInterval, generatorURL: String? = nil,
                authentication: Authentication = .none, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.url = url
        self.resolveAfterMilliseconds = resolveAfterMilliseconds
        self.repeatIntervalMilliseconds = repeatIntervalMilliseconds
        self.generatorURL = generatorURL
        self.authentication = authentication
        self.timeouts = timeouts
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var url = ""
        if let node = decoder.required(block, "url", "Alertmanager's base URL, like \"http://127.0.0.1:9093\""),
           let text = decoder.decodeNonEmptyString(node, at: block.path["url"]) {
            if let components = URLComponents(string: text), ["http", "https"].contains(components.scheme ?? ""),
               components.host.map({ !$0.isEmpty }) == true, components.query == nil, components.fragment == nil {
                url = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                decoder.report(node.location, block.path["url"], "\(node.shortText) is not an http:// or https:// URL without query (the base URL: alerts go to {url}/api/v2/alerts)")
            }
        }
        var resolveAfter = Self.defaultResolveAfter
        if let node = block["resolve_after"],
           let ms = decoder.decodeDuration(node, at: block.path["resolve_after"], maximum: 7 * 86_400_000) {
            if ms < 1000 { decoder.report(node.location, block.path["resolve_after"], "must be at least \"1s\"") }
            resolveAfter = ms
        }
        var repeatInterval = Self.defaultRepeatInterval
        if let node = block["repeat_interval"],
           let ms = decoder.decodeDuration(node, at: block.path["repeat_interval"], maximum: 3_600_000) {
            if ms < 100 { decoder.report(node.location, block.path["repeat_interval"], "must be at least \"100ms\"") }
            repeatInterval = ms
        }
        var generatorURL: String?
        if let node = block["generator_url"], let text = decoder.decodeNonEmptyString(node, at: block.path["generator_url"]) {
            if URLComponents(string: text)?.scheme == nil {
                decoder.report(node.location, block.path["generator_url"], "\(node.shortText) is not an absolute URL")
            }
            generatorURL = text
        }
        var username: String?
        if let node = block["username"] { username = decoder.decodeNonEmptyString(node, at: block.path["username"]) }
        let password = decoder.decodeSecret(in: block, named: "password", required: false)
        let bearer = decoder.decodeSecret(in: block, named: "bearer_token", required: false)
        var authentication = Authentication.none
        if let username, let password {
            authentication = .basic(username: username, password: password)
        } else if username != nil, block["password_file"] == nil, block["password_credential"] == nil {
            decoder.report(block.location, block.path["password"], "required with \"username\": use \"password_file\" or \"password_credential\"")
        } else if password != nil, username == nil {
            decoder.report(block.location, block.path["username"], "required with a password")
        }
        if let bearer {
            if username != nil {
                decoder.report(block.location, block.path["bearer_token"], "give either \"username\" and a password, or a bearer token, not both")
            }
            authentication = .bearer(bearer)
        }
        let timeouts = Self.decodeTimeouts(block, &decoder)
        guard decoder.diagnostics.count == before else { return nil }
        self.init(url: url, resolveAfterMilliseconds: resolveAfter, repeatIntervalMilliseconds: repeatInterval,
                  generatorURL: generatorURL, authentication: authentication, timeouts: timeouts)
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        AlertmanagerSink(name: name, settings: self, context: context)
    }
}

extension AlertmanagerSinkSettings {
/// `connect_timeout` and `timeout`.
static func decodeTimeouts(_ block: ConfigObject, _ decoder: inout ConfigDecoder) -> HTTPTimeouts {
    var timeouts = HTTPTimeouts()
    if let node = block["connect_timeout"],
       let ms = decoder.decodeDuration(node, at: block.path["connect_timeout"], maximum: 300_000) {
        timeouts.connectMilliseconds = max(ms, 1)
    }
    if let node = block["timeout"], let ms = decoder.decodeDuration(node, at: block.path["timeout"], maximum: 600_000) {
        timeouts.requestMilliseconds = max(ms, 1)
    }
    return timeouts
}
}
