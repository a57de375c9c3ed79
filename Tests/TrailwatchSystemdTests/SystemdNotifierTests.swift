import Glibc
import Testing
@testable import TrailwatchSystemd

/// SystemdNotifier against a real notify socket. NOTIFY_SOCKET and WATCHDOG_* are process-wide, so the
/// suite is serialized and every test restores the environment it found.
@Suite(.serialized)
struct SystemdNotifierTests {
    /// Every message type arrives as systemd expects it, on both kinds of socket address.
    @Test(arguments: ["path", "abstract"])
    func sendsEachMessageType(kind: String) throws {
        let name = kind == "path" ? "/tmp/\(uniqueName("tw-notify")).sock" : "@\(uniqueName("tw-notify"))"
        let receiver = try NotifyReceiver(name: name)
        try withEnvironment(["NOTIFY_SOCKET": name]) {
            let notifier = SystemdNotifier()
            #expect(notifier.isEnabled)

            notifier.ready(status: "1 rules, 1 sources")
            #expect(receiver.receive() == "READY=1\nSTATUS=1 rules, 1 sources")
            notifier.ready(status: nil)
            #expect(receiver.receive() == "READY=1")

            let before = MonotonicClock.microseconds()
            notifier.reloading()
            let after = MonotonicClock.microseconds()
            let reloading = try #require(receiver.receive())
            let lines = reloading.split(separator: "\n").map(String.init)
            #expect(lines.count == 2 && lines.first == "RELOADING=1", "\(reloading)")
            let usec = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
            // CLOCK_MONOTONIC, not the wall clock: between two readings taken around the call.
            #expect(before <= usec && usec <= after, "MONOTONIC_USEC=\(usec) not within [\(before), \(after)]")

            notifier.status("3 events, 1 alerts")
            #expect(receiver.receive() == "STATUS=3 events, 1 alerts")
            notifier.status("two\nlines")
            #expect(receiver.receive() == "STATUS=two lines")

            notifier.stopping(status: "stopping: committing")
            #expect(receiver.receive() == "STOPPING=1\nSTATUS=stopping: committing")
            notifier.stopping(status: nil)
            #expect(receiver.receive() == "STOPPING=1")

            notifier.watchdog()
            #expect(receiver.receive() == "WATCHDOG=1")

            #expect(notifier.send("EXTEND_TIMEOUT_USEC=5000000") > 0)
            #expect(receiver.receive() == "EXTEND_TIMEOUT_USEC=5000000")
            #expect(receiver.pending() == nil, "one datagram per call")
        }
    }

    /// The abstract socket's libsystemd path must reach a receiver bound to that exact name only.
    @Test func abstractNameMustMatch() throws {
        let receiver = try NotifyReceiver(name: "@\(uniqueName("tw-notify"))")
        withEnvironment(["NOTIFY_SOCKET": "@\(uniqueName("tw-other"))"]) {
            let rc = SystemdNotifier().send("READY=1")
            #expect(rc < 0, "nobody listens on that name: sd_notify should fail, got \(rc)")
            #expect(receiver.pending() == nil)
        }
    }

    /// Outside systemd nothing is sent and nothing fails.
    @Test func unsetSocketIsANoOp() throws {
        let name = "/tmp/\(uniqueName("tw-notify")).sock"
        let receiver = try NotifyReceiver(name: name)
        withEnvironment(["NOTIFY_SOCKET": nil]) {
            let notifier = SystemdNotifier()
            #expect(!notifier.isEnabled)
            #expect(notifier.send("READY=1") == 0)
            notifier.ready(status: "x")
            notifier.reloading()
            notifier.status("x")
            notifier.watchdog()
            notifier.stopping(status: nil)
        }
        #expect(receiver.pending() == nil)
    }

    @Test func missingSocketPathReportsTheError() {
        withEnvironment(["NOTIFY_SOCKET": "/tmp/\(uniqueName("tw-absent")).sock"]) {
            #expect(SystemdNotifier().send("READY=1") == -ENOENT)
        }
    }

    /// Half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names.
    @Test func watchdogInterval() {
        withEnvironment(["WATCHDOG_USEC": "5000000", "WATCHDOG_PID": String(getpid())]) {
            #expect(SystemdNotifier().watchdogInterval == .milliseconds(2500))
        }
        withEnvironment(["WATCHDOG_USEC": "3", "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == .microseconds(1))
        }
        withEnvironment(["WATCHDOG_USEC": "5000000", "WATCHDOG_PID": String(getppid())]) {
            #expect(SystemdNotifier().watchdogInterval == nil, "another process's watchdog")
        }
        withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
    }
}
