import Foundation
import Logging
import Testing
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

/// Every HTTP sink against a real receiver on loopback: each way a receiver can answer gives the verdict
/// the dispatcher needs (habit 7), and no verdict repeats a secret.
@Suite(.timeLimit(.minutes(1)))
struct HTTPSinkTransportTests {
    @Test(arguments: HTTPSinkKind.allCases)
    func successIsDelivered(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let fixture = try HTTPSinkConfigFixture()
            let sink = try kind.make(receiver: receiver, fixture: fixture)
            receiver.setDefault(.status(kind.success, body: kind == .slack ? "ok" : #"{"status":"success"}"#))
            #expect(await httpDeliveryError(sink, [HTTPSinkFixtures.single]) == nil)
            let requests = try await receiver.waitForRequests(count: 1, timeout: .seconds(5))
            #expect(requests[0].method == "POST")
            #expect(requests[0].header("Content-Type") == "application/json")
            #expect(JSONValue(jsonText: requests[0].text) != nil, "the body is JSON")
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func serverErrorRetries(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.script(.status(500, body: "database is down"), .status(kind.success))
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            guard case .retry(let why, let after) = error else {
                Issue.record("expected a retry, got \(String(describing: error))")
                return
            }
            #expect(why.contains("answered 500 Internal Server Error: database is down"), "\(why)")
            #expect(after == nil)
            // The dispatcher's next attempt goes through.
            #expect(await httpDeliveryError(sink, [HTTPSinkFixtures.single]) == nil)
            #expect(receiver.requestCount == 2)
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func tooManyRequestsRetriesAfterTheReceiversDelay(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.script(.status(429, headers: [.init("Retry-After", "7")]))
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            guard case .retry(let why, let after) = error else {
                Issue.record("expected a retry, got \(String(describing: error))")
                return
            }
            #expect(after == .seconds(7))
            #expect(why.contains("answered 429"), "\(why)")
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func badRequestIsPermanent(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.script(.status(400, body: #"{"status":"invalid event"}"#))
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            guard case .permanent(let why) = error else {
                Issue.record("expected a permanent failure, got \(String(describing: error))")
                return
            }
            #expect(why == #"http://127.0.0.1:\#(receiver.port) answered 400 Bad Request: {"status":"invalid event"}"#)
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func hangRetriesAfterTheTimeout(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture(), timeout: 300)
            receiver.script(.hang)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            let elapsed = clock.now - start
            guard case .retry(let why, nil) = error else {
                Issue.record("expected a retry, got \(String(describing: error))")
                return
            }
            #expect(why == "http://127.0.0.1:\(receiver.port): no answer in time")
            // The receiver never answers: only the timeout ends it (generous bound: a loaded run resumes late).
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(20), "gave up after \(elapsed)")
            #expect(receiver.requestCount == 1)
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func closedConnectionRetries(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.script(.close)
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            guard case .retry(let why, nil) = error else {
                Issue.record("expected a retry, got \(String(describing: error))")
                return
            }
            #expect(why.hasPrefix("http://127.0.0.1:\(receiver.port): "), "\(why)")
            await sink.close()
        }
    }

    @Test(arguments: HTTPSinkKind.allCases)
    func receiverDownRetriesThenRecovers(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            receiver.setDefault(.status(kind.success))
            try await receiver.stop()
            let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
            guard case .retry(let why, nil) = error else {
                Issue.record("expected a retry, got \(String(describing: error))")
                return
            }
            for secret in kind.secrets { #expect(!why.contains(secret), "\(why)") }
            try await receiver.restart()
            #expect(await httpDeliveryError(sink, [HTTPSinkFixtures.single]) == nil)
            #expect(receiver.requestCount == 1)
            await sink.close()
        }
    }

    /// A receiver that echoes the whole request (path, headers, body) in its error answer: the verdict,
    /// which is logged, shows none of the sink's secrets.
    @Test(arguments: HTTPSinkKind.allCases)
    func secretsNeverAppearInErrors(kind: HTTPSinkKind) async throws {
        try await withHTTPReceiver { receiver in
            let sink = try kind.make(receiver: receiver, fixture: try HTTPSinkConfigFixture())
            for status in [403, 503] {
                receiver.setResponder { request in
                    .status(status, body: request.path + " " + (request.header("Authorization") ?? "") + " "
                        + request.text.prefix(100))
                }
                let error = await httpDeliveryError(sink, [HTTPSinkFixtures.single])
                let message = error?.description ?? ""
                #expect(message.contains("answered \(status)"), "\(message)")
                #expect(message.contains("[redacted]"), "the echo held a secret: \(message)")
                for secret in kind.secrets { #expect(!message.contains(secret), "\(message)") }
            }
            await sink.close()
        }
    }
}

/// The receiver the sink tests (and the daemon's outage test) rely on.
@Suite(.timeLimit(.minutes(1)))
struct HTTPReceiverTests {
    @Test func recordsRequestsAndRestartsOnTheSamePort() async throws {
        try await withHTTPReceiver { receiver in
            let port = receiver.port
            #expect(port > 0)
            let transport = HTTPTransport(timeouts: HTTPTimeouts(connectMilliseconds: 500, requestMilliseconds: 2000))
            let spec = HTTPRequestSpec(url: receiver.url("/a?b=1"), headers: [("X-One", "1")], body: Array("hello".utf8))
            try await transport.send(spec)
            try await receiver.stop()
            #expect(!receiver.isRunning)
            do throws(DeliveryError) {
                try await transport.send(spec)
                Issue.record("a stopped receiver took a request")
            } catch {
                guard case .retry = error else { Issue.record("connection refused must retry: \(error)"); return }
            }
            try await receiver.restart()
            #expect(receiver.port == port)
            try await transport.send(spec)
            let requests = try await receiver.waitForRequests(count: 2, timeout: .seconds(2))
            #expect(requests.map(\.path) == ["/a?b=1", "/a?b=1"])
            #expect(requests[0].header("x-one") == "1")
            #expect(requests[0].text == "hello")
            #expect(requests[0].arrivedAt <= requests[1].arrivedAt)
            await transport.shutdown()
        }
    }

    @Test func scriptThenResponderThenDefault() async throws {
        try await withHTTPReceiver { receiver in
            let transport = HTTPTransport(timeouts: HTTPTimeouts(connectMilliseconds: 500, requestMilliseconds: 2000))
            receiver.script(.status(503), .status(201))
            receiver.setResponder { $0.path == "/teapot" ? .status(418) : nil }
            receiver.setDefault(.status(204))
            var outcomes: [String] = []
            for path in ["/", "/", "/teapot", "/"] {
                do throws(DeliveryError) {
                    try await transport.send(HTTPRequestSpec(url: receiver.url(path), body: []))
                    outcomes.append("ok")
                } catch {
                    outcomes.append(error.description)
                }
            }
            let host = "http://127.0.0.1:\(receiver.port)"
            #expect(outcomes == ["\(host) answered 503 Service Unavailable", "ok", "\(host) answered 418 I'm a teapot", "ok"])
            #expect(receiver.requests.map(\.reply) == [.status(503), .status(201), .status(418), .status(204)])
            await transport.shutdown()
        }
    }

    @Test func waitingForMoreRequestsThanArriveTimesOut() async throws {
        try await withHTTPReceiver { receiver in
            await #expect(throws: HTTPReceiver.Timeout.self) {
                try await receiver.waitForRequests(count: 1, timeout: .milliseconds(50))
            }
        }
    }
}
