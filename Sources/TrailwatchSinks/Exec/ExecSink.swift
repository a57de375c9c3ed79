import Foundation
import TrailwatchCore

/// Runs the configured program once per delivery with the alerts on its standard input (see `ExecPayload`).
///
/// The exit status is the verdict: 0 delivered; 75 (`EX_TEMPFAIL`), death by a signal, or running past
/// `timeout` (the whole process group is then killed) mean *retry*; any other status is *permanent*. A
/// program that cannot be started (missing, not executable) is retried, so installing it lets the waiting
/// alerts through. The first KiB of standard error is part of the error message.
public struct ExecSink: AlertSink {
    public let name: String
    public let settings: ExecSinkSettings
    private let inherited: [String: String]

    /// `environment`: the daemon's environment, which the program inherits (see `ExecPayload`).
    public init(name: String, settings: ExecSinkSettings, environment: [String: String]) {
        self.name = name
        self.settings = settings
        self.inherited = environment
    }

    public static let temporaryFailure: Int32 = 75

    public func deliver(_ alerts: [OutgoingAlert]) async throws(DeliveryError) {
        guard let invocation = ExecPayload.invocation(alerts, sink: name, settings: settings, inherited: inherited) else {
            return
        }
        let program = invocation.arguments[0]
        let outcome: ExecProcess.Outcome
        do {
            outcome = try await ExecProcess.run(arguments: invocation.arguments, environment: invocation.environment,
                                                 input: invocation.standardInput,
                                                 timeoutMilliseconds: settings.timeoutMilliseconds)
        } catch {
            throw .retry("cannot run \(program): \(String(cString: strerror(error.code)))")
        }
        let detail = Self.excerpt(outcome.standardError)
        switch outcome.ending {
        case .exited(0):
            return
        case .exited(Self.temporaryFailure):
            throw .retry("\(program) exited 75 (temporary failure)\(detail)")
        case .exited(let code):
            throw .permanent("\(program) exited \(code)\(detail)")
        case .signaled(let signal):
            throw .retry("\(program) was killed by signal \(signal)\(detail)")
        case .timedOut:
            throw .retry("\(program) did not finish within \(DurationText.format(settings.timeoutMilliseconds)); its process group was killed\(detail)")
        case .cancelled:
            throw .retry("\(program) was stopped: the sink is shutting down\(detail)")
        }
    }

    public func close() async {}

    /// `: first line of stderr…` for the message, or nothing.
    static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return "" }
        return ": " + text.replacingOccurrences(of: "\n", with: " | ")
    }
}
