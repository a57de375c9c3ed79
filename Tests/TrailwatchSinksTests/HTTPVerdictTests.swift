import Foundation
import Testing
@testable import TrailwatchSinks

/// The one status classifier every HTTP sink shares.
struct HTTPVerdictTests {
    @Test(arguments: [(500, true), (502, true), (503, true), (429, true), (408, true), (400, false), (401, false),
                      (403, false), (404, false), (410, false), (301, false)])
    func statuses(status: Int, retries: Bool) {
        let verdict = HTTPTransport.verdict(status: status, retryAfter: nil, detail: "x")
        if case .retry = verdict { #expect(retries) } else { #expect(!retries) }
    }

    @Test func retryAfterInSecondsOrAsADate() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(HTTPTransport.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(HTTPTransport.parseRetryAfter("Fri, 15 Jan 2027 08:00:30 GMT", now: now)
                == .seconds(30))
        #expect(HTTPTransport.parseRetryAfter("soon", now: now) == nil)
        #expect(HTTPTransport.verdict(status: 429, retryAfter: "7", detail: "x") == .retry("x", after: .seconds(7)))
    }

    @Test func hostsHideTheRestOfTheURL() {
        #expect(HTTPTransport.host("https://hooks.slack.com/services/T000/B000/secret") == "https://hooks.slack.com")
        #expect(HTTPTransport.host("http://127.0.0.1:9093/api/v2/alerts") == "http://127.0.0.1:9093")
    }
}
