import Foundation
import Logging
import Synchronization
import TrailwatchConfiguration
import TrailwatchCore

/// Posts alerts to Alertmanager's API v2, and keeps posting those still firing every `repeat_interval` until
/// their `endsAt`, as Alertmanager expects of a sender (it forgets alerts it is not told about again when
/// it restarts without its storage, and its documentation asks clients to re-send active alerts).
///
/// The repetition is best effort and lives in this sink, not in the outbox: a failed repeat is logged and
/// tried at the next interval. After a restart of trailwatch the sink starts with nothing to repeat; the
/// alerts are not lost, because Alertmanager keeps each one until its `endsAt` anyway (and persists it in
/// its own storage). `deliver` itself succeeds only when Alertmanager answered 2xx, and fails with the
/// shared HTTP verdicts (5xx, 408, 429 and connection failures retry; other 4xx are permanent).
public final class AlertmanagerSink: AlertSink {
    public let name: String
    public let settings: AlertmanagerSinkSettings
    private let transport: HTTPTransport
    private let logger: Logger
    private let environment: [String: String]
    /// The current time in milliseconds since the epoch (tests pass their own).
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())
    /// Deliveries and repeats post one at a time, so a stale repeat never lands after a resolution.
    private let gate = SerialGate()

    private struct State {
        /// Firing alerts by label set, reposted until their `endsAt`.
        var active: [String: AlertmanagerPayload.PostableAlert] = [:]
        var repeater: Task<Void, Never>?
        var closed = false
    }

    public init(name: String, settings: AlertmanagerSinkSettings, context: SinkContext,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.name = name
        self.settings = settings
        self.logger = context.logger
        self.environment = context.environment
        self.now = now
        transport = HTTPTransport(timeouts: settings.timeouts)
    }

    /// Alertmanager takes many alerts per request.
    public var alertsPerDelivery: Int { 100 }

    /// The alerts the sink is currently reposting (for tests and diagnostics).
    public var repeating: [AlertmanagerPayload.PostableAlert] {
        state.withLock { Array($0.active.values) }.sorted { $0.startsAt < $1.startsAt }
    }

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        let time = now()
        let postable = alerts.map {
            AlertmanagerPayload.alert($0, now: time, resolveAfter: settings.resolveAfterMilliseconds,
                                      generatorURL: settings.generatorURL)
        }
        let startRepeating = try await gate.run { () async throws(DeliveryError) -> Bool in
            try await post(postable)
            return state.withLock { state -> Bool in
                for (outgoing, alert) in zip(alerts, postable) {
                    if outgoing.status == .resolved {
                        state.active[alert.fingerprint] = nil
                    } else if alert.endsAt > time {
                        state.active[alert.fingerprint] = alert
                    }
                }
                guard !state.closed, state.repeater == nil, !state.active.isEmpty else { return false }
                return true
            }
        }
        if startRepeating { startRepeater() }
    }

    public func close() async {
        let repeater = state.withLock { state in
            state.closed = true
            defer { state.repeater = nil }
            return state.repeater
        }
        repeater?.cancel()
        await repeater?.value
        await transport.shutdown()
    }

    private func post(_ alerts: [AlertmanagerPayload.PostableAlert]) async throws(DeliveryError) {
        let authorization: String?
        do {
            authorization = try authorizationHeader()
        } catch {
            throw .retry("cannot read the Alertmanager credentials: \(error.message)")
        }
        try await transport.send(AlertmanagerPayload.request(alerts, baseURL: settings.url, authorization: authorization))
    }

    /// Read at each request, so a rotated secret is used without a reload.
    private func authorizationHeader() throws(SecretError) -> String? {
        switch settings.authentication {
        case .none:
            return nil
        case .basic(let username, let password):
            let credentials = Array(username.utf8) + [UInt8(ascii: ":")] + (try password.resolve(environment: environment))
            return "Basic " + Data(credentials).base64EncodedString()
        case .bearer(let token):
            return "Bearer " + String(decoding: try token.resolve(environment: environment), as: UTF8.self)
        }
    }

    private func startRepeater() {
        let interval = Duration.milliseconds(settings.repeatIntervalMilliseconds)
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                if await !self.repeatOnce() { return }
            }
        }
        state.withLock { state in
            if state.repeater == nil && !state.closed { state.repeater = task } else { task.cancel() }
        }
    }

    /// Posts the alerts still firing again; false when none are left (the repeater then ends, and the next
    /// delivery starts a new one).
    private func repeatOnce() async -> Bool {
        (try? await gate.run { () async throws(DeliveryError) -> Bool in
            let time = now()
            let alerts = state.withLock { state -> [AlertmanagerPayload.PostableAlert] in
                state.active = state.active.filter { $0.value.endsAt > time }
                if state.active.isEmpty { state.repeater = nil }
                return state.active.values.sorted { $0.startsAt < $1.startsAt }
            }
            guard !alerts.isEmpty else { return false }
            for start in stride(from: 0, to: alerts.count, by: alertsPerDelivery) {
                do throws(DeliveryError) {
                    try await post(Array(alerts[start..<min(start + alertsPerDelivery, alerts.count)]))
                    logger.debug("reposted firing alerts to Alertmanager", metadata: ["alerts": "\(alerts.count)"])
                } catch {
                    logger.warning("cannot repost firing alerts to Alertmanager (tried again in \(DurationText.format(settings.repeatIntervalMilliseconds))): \(error)")
                    break
                }
            }
            return true
        }) ?? true
    }
}
