import Foundation
import Testing
import TrailwatchCore
@testable import TrailwatchSinks

/// The exec sink running real programs: a shell script written at test time records its standard input,
/// arguments and environment, then exits with the status given in `EXIT_WITH`.
@Suite struct ExecSinkTests {
    final class Scratch {
        let dir: URL
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-exec-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        /// `record.sh OUT_DIR [args...]`: saves stdin, args and some variables; prints to stderr; exits $EXIT_WITH.
        func recorder() throws -> String {
            let script = """
                #!/bin/sh
                out="$1"; shift
                cat >"$out/stdin"
                printf '%s\\n' "$@" >"$out/args"
                printf 'sink=%s count=%s ids=%s custom=%s notify=%s\\n' "$TRAILWATCH_SINK" "$TRAILWATCH_ALERT_COUNT" \\
                    "$TRAILWATCH_ALERT_IDS" "$CUSTOM" "${NOTIFY_SOCKET-unset}" >"$out/env"
                echo "recorder says: exit ${EXIT_WITH:-0}" >&2
                exit "${EXIT_WITH:-0}"
                """
            let path = self.path("record.sh")
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
            return path
        }
    }

    func sink(_ command: [String], env: [String: String] = [:], timeout: Int64 = 10_000,
              inherited: [String: String] = ["PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": "/run/systemd/notify"]) -> ExecSink {
        ExecSink(name: "runner", settings: ExecSinkSettings(command: command, timeoutMilliseconds: timeout, environment: env),
                 environment: inherited)
    }

    @Test func payloadGolden() throws {
        let settings = ExecSinkSettings(command: ["/usr/local/bin/notify", "--urgent"], environment: ["CUSTOM": "x"])
        let invocation = try #require(ExecPayload.invocation(SampleAlerts.batch + [SampleAlerts.alert(status: .resolved)],
                                                             sink: "runner", settings: settings,
                                                             inherited: ["PATH": "/usr/bin", "NOTIFY_SOCKET": "/x", "CUSTOM": "old"]))
        #expect(invocation.arguments == ["/usr/local/bin/notify", "--urgent"])
        #expect(invocation.environment == ["PATH": "/usr/bin", "CUSTOM": "x", "TRAILWATCH_SINK": "runner",
                                           "TRAILWATCH_ALERT_COUNT": "4",
                                           "TRAILWATCH_ALERT_IDS": SampleAlerts.batch.map(\.alert.id).joined(separator: " ")])
        try GoldenText.check(String(decoding: invocation.standardInput, as: UTF8.self), "exec-batch.jsonl")
        #expect(ExecPayload.invocation([SampleAlerts.alert(status: .resolved)], sink: "r", settings: settings, inherited: [:]) == nil)
    }

    @Test func deliversAlertJSONOnStandardInput() async throws {
        let scratch = try Scratch()
        let sink = sink([try scratch.recorder(), scratch.dir.path, "two words", "--flag"], env: ["CUSTOM": "from-config"])
        try await sink.deliver([SampleAlerts.unusual])
        let stdin = try String(contentsOfFile: scratch.path("stdin"), encoding: .utf8)
        #expect(stdin == SampleAlerts.unusual.json + "\n")
        #expect(Alert(jsonText: String(stdin.dropLast())) == SampleAlerts.unusual.alert)
        #expect(try String(contentsOfFile: scratch.path("args"), encoding: .utf8) == "two words\n--flag\n", "no shell splits arguments")
        #expect(try String(contentsOfFile: scratch.path("env"), encoding: .utf8)
                == "sink=runner count=1 ids=cafe0000cafe0000cafe0000 custom=from-config notify=unset\n")

        try await sink.deliver(SampleAlerts.batch)
        let lines = try String(contentsOfFile: scratch.path("stdin"), encoding: .utf8).split(separator: "\n")
        #expect(lines.map(String.init) == SampleAlerts.batch.map(\.json), "one JSON object per line")
    }

    @Test func largeInputToAProgramThatReadsIt() async throws {
        let scratch = try Scratch()
        let many = (0..<2000).map { SampleAlerts.alert(id: String(format: "%024x", $0)) }
        try await sink([try scratch.recorder(), scratch.dir.path]).deliver(many)
        let lines = try String(contentsOfFile: scratch.path("stdin"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2000, "more than a pipe buffer, written while the program reads")
    }

    @Test(arguments: [(75, true), (1, false), (2, false), (64, false)])
    func exitStatusDecides(status: Int, retries: Bool) async throws {
        let scratch = try Scratch()
        let sink = sink([try scratch.recorder(), scratch.dir.path], env: ["EXIT_WITH": String(status)])
        do {
            try await sink.deliver([SampleAlerts.alert()])
            Issue.record("exit \(status) counted as delivered")
        } catch {
            switch error {
            case .retry(let why, _): #expect(retries, "\(why)")
            case .permanent(let why): #expect(!retries, "\(why)")
            }
            #expect(error.description.contains("exited \(status)"), "\(error)")
            #expect(error.description.contains("recorder says: exit \(status)"), "stderr in the message: \(error)")
        }
    }

    @Test func timeoutKillsTheProcessGroupAndRetries() async throws {
        let scratch = try Scratch()
        // The shell starts a child that would outlive it; both must die at the timeout.
        let script = scratch.path("slow.sh")
        try "#!/bin/sh\n/bin/sleep 300 &\necho $! >\"$1/child\"\nwait\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let started = ContinuousClock.now
        do {
            try await sink([script, scratch.dir.path], timeout: 500).deliver([SampleAlerts.alert()])
            Issue.record("a hanging program counted as delivered")
        } catch {
            guard case .retry(let why, _) = error else { Issue.record("expected retry: \(error)"); return }
            #expect(why.contains("did not finish within 500ms"), "\(why)")
        }
        // Far under the 300 s the child sleeps (a loaded test run may resume this task late, hence the margin).
        #expect(ContinuousClock.now - started < .seconds(120))
        let child = try #require(Int32(try String(contentsOfFile: scratch.path("child"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<50 {
            // Reaped by init, or a zombie: either way no longer running.
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            if state == nil || state == "Z" { gone = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(gone, "the program's own child was killed with its group")
    }

    @Test func signalAndMissingProgramRetry() async throws {
        do {
            try await sink(["/bin/sh", "-c", "kill -TERM $$"]).deliver([SampleAlerts.alert()])
            Issue.record("killed by a signal counted as delivered")
        } catch {
            guard case .retry(let why, _) = error else { Issue.record("expected retry: \(error)"); return }
            #expect(why.contains("signal 15"), "\(why)")
        }
        do {
            try await sink(["/nonexistent/notify"]).deliver([SampleAlerts.alert()])
            Issue.record("a missing program counted as delivered")
        } catch {
            guard case .retry(let why, _) = error else { Issue.record("expected retry: \(error)"); return }
            #expect(why == "cannot run /nonexistent/notify: No such file or directory")
        }
    }

    @Test func programThatIgnoresItsInputStillDecides() async throws {
        let many = (0..<3000).map { SampleAlerts.alert(id: String(format: "%024x", $0)) }
        try await sink(["/bin/true"]).deliver(many)
        await #expect(throws: DeliveryError.self) { try await sink(["/bin/false"]).deliver(many) }
    }

    @Test func settings() throws {
        let (ok, none) = try decodeSinkBlock(ExecSinkSettings.self,
                                             #"{"command": ["/bin/cat", "-u"], "timeout": "5s", "env": {"A_1": "x"}}"#)
        #expect(none == [])
        #expect(ok == ExecSinkSettings(command: ["/bin/cat", "-u"], timeoutMilliseconds: 5000, environment: ["A_1": "x"]))
        let (bad, errors) = try decodeSinkBlock(ExecSinkSettings.self,
                                                #"{"command": "/bin/cat -u", "env": {"1X": "y", "OK": 3}, "shell": true}"#)
        #expect(bad == nil)
        #expect(errors == [
            #"trailwatch.json:1:57: sinks[0].shell: unknown member of a sink"#,
            #"trailwatch.json:1:13: sinks[0].command: expected an array: the program and its arguments (no shell is involved, so a command line in one string would not work), got a string"#,
            #"trailwatch.json:1:36: sinks[0].env.1X: not a valid environment variable name: use letters, digits and '_', not starting with a digit"#,
            #"trailwatch.json:1:53: sinks[0].env.OK: expected a string, got a number"#,
        ], "\(errors)")
        let (_, missing) = try decodeSinkBlock(ExecSinkSettings.self, #"{"command": ["notify-ops"]}"#, directory: "/nonexistent")
        #expect(missing == [#"trailwatch.json:1:14: sinks[0].command[0]: /nonexistent/notify-ops is not an executable file"#])
    }
}
