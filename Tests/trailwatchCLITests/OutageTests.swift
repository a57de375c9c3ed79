import Foundation
import Testing
import TrailwatchState
import TrailwatchTestSupport

/// A webhook receiver that is down while 1,000 alerts are produced (and the daemon restarts meanwhile),
/// then comes back: every alert arrives, in outbox order, each id exactly once.
@Suite(.serialized)
struct OutageTests {
    static let alerts = 1000

    @Test func aReceiverOutageLosesNothingAndRepeatsNothing() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try await HTTPReceiver.start()
        try await receiver.stop()  // down: connections are refused

        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try #"{"id": "deletes", "severity": "high", "summary": "{{action}} by {{initiator.name}}", "match": {"field": "action", "suffix": ".delete"}}"#
            .write(to: dir.appendingPathComponent("rules/deletes.json"), atomically: true, encoding: .utf8)
        let events = dir.appendingPathComponent("events.jsonl")
        try "".write(to: events, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("trailwatch.json")
        try """
        {"rules": ["rules"], "state_directory": "state",
         "sources": [{"name": "at", "type": "file", "paths": ["events.jsonl"]}],
         "sinks": [{"name": "hook", "type": "webhook", "url": "\(receiver.url("/hook"))", "max_attempts": 1000, "max_age": "1h"}],
         "default_sinks": ["hook"], "live_time": {"wall_clock": false}}
        """.write(to: config, atomically: true, encoding: .utf8)

        var notify = try NotifyReceiver()
        var daemon = try DaemonProcess(config: config, in: dir, environment: ["NOTIFY_SOCKET": notify.name])
        #expect(notify.waitFor { $0.contains("READY=1") } != nil, "\(daemon.stderr)")
        let handle = try FileHandle(forWritingTo: events)
        for chunk in stride(from: 0, to: Self.alerts, by: 100) {
            let lines = (chunk..<chunk + 100).map { i in
                #"{"id": "e\#(i)", "eventTime": "2026-03-01T10:\#(String(format: "%02d", i / 60 % 60)):\#(String(format: "%02d", i % 60))Z", "action": "db.user.delete", "initiator": {"name": "u\#(i)"}}"# + "\n"
            }
            handle.write(Data(lines.joined().utf8))
        }
        try handle.close()
        let state = dir.appendingPathComponent("state").path
        #expect(eventually { (try? StateStore(directory: state).outbox().count) == Self.alerts })

        // A restart during the outage: the pending deliveries are in the outbox, not in memory.
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0, "\(daemon.stderr.suffix(1000))")
        notify = try NotifyReceiver()
        daemon = try DaemonProcess(config: config, in: dir, environment: ["NOTIFY_SOCKET": notify.name], label: "second")
        #expect(notify.waitFor { $0.contains("READY=1") } != nil)
        try await Task.sleep(for: .milliseconds(1500))  // a few failed attempts against the closed port
        #expect(receiver.requestCount == 0)
        let pendingDuringOutage = try StateStore(directory: state).deliveryCounts()["hook"]?.pending
        #expect(pendingDuringOutage == Self.alerts)

        let back = ContinuousClock.now
        try await receiver.start()
        let requests = try await receiver.waitForRequests(count: Self.alerts, timeout: .seconds(120))
        let drained = ContinuousClock.now - back
        try await Task.sleep(for: .milliseconds(500))
        let ids = receiver.requests.compactMap { request -> String? in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String
        }
        let expected = try StateStore(directory: state).outbox().map(\.alertID)
        #expect(requests.count == Self.alerts)
        #expect(ids.count == Self.alerts, "each alert exactly once (\(ids.count) requests)")
        #expect(ids == expected, "in outbox order")
        #expect(Set(ids).count == Self.alerts)
        #expect(try StateStore(directory: state).deliveryCounts()["hook"] == DeliveryCounts(pending: 0, delivered: Self.alerts, dead: 0))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        try await receiver.shutdown()
        print("outage test: \(Self.alerts) alerts produced while the receiver was down, daemon restarted once; "
            + "all delivered in order, each once, \(drained) after the receiver came back")
    }
}
