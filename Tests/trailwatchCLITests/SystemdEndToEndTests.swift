import Foundation
import Testing

/// trailwatch under a real systemd 252: `scripts/systemd-e2e` boots this machine's /usr in a throw-away
/// `systemd-nspawn --volatile=yes` container, installs packaging/trailwatch.service and runs Tests/e2e/check.sh
/// (start with READY=1, reload, watchdog, kill -9 and restart without loss or duplicates, a rejected line,
/// clean stop, structured journal fields). This test runs the script on the binary under test.
struct SystemdEndToEndTests {
    /// The script needs root (nspawn, cgroups) and systemd-nspawn (Debian's systemd-container). CI runs as
    /// root and scripts/setup installs systemd-container, so there it always runs; elsewhere it is skipped.
    /// The script never starts a systemd manager outside its container.
    static let canRun = geteuid() == 0 && executableInPath("systemd-nspawn")

    /// Checks the script reports today (30 before the journal-field and rejected-line checks came): fewer
    /// PASS lines with 0 FAIL means checks were lost, not passed. Raise it when adding checks.
    static let minimumChecks = 34

    @Test(.enabled(if: canRun, "needs root and systemd-nspawn (apt-get install --no-install-recommends systemd-container)"),
          .timeLimit(.minutes(10)))
    func trailwatchUnderSystemd() async throws {
        let script = CLI.packageRoot.appendingPathComponent("scripts/systemd-e2e").path
        let started = Date()
        let run = try await CLI.runAsync(script, [CLI.binary])
        let seconds = Int(Date().timeIntervalSince(started).rounded())
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        // The script's closing line: "e2e: N passed, N failed".
        let summary = lines.last { $0.hasPrefix("e2e: ") }
        let counts = summary.map { line in
            line.dropFirst("e2e: ".count).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        } ?? []
        let passed = counts.count == 2 ? counts[0] : -1
        let failed = counts.count == 2 ? counts[1] : -1
        let ok = run.status == 0 && failed == 0 && passed >= Self.minimumChecks
        let output = run.stdout + (run.stderr.isEmpty ? "" : "--- stderr:\n\(run.stderr)")
        let report = ok ? "" : Self.diagnostics(output: output, lines: lines)
        #expect(run.status == 0, "scripts/systemd-e2e exited \(run.status) after \(seconds) s\n\(report)")
        #expect(summary != nil, "no 'e2e: N passed, N failed' line\n\(report)")
        #expect(failed == 0 && passed >= Self.minimumChecks,
                "\(summary ?? "no summary"): expected 0 failed and at least \(Self.minimumChecks) passed\n\(report)")

        if !ok, let directory = Self.diagnosticsDirectory(lines) {
            // Whole files too, for runs with --attachments-path.
            for file in ["host-results.txt", "console.log", "journal.txt", "journal.json", "alerts.jsonl"] {
                if let data = FileManager.default.contents(atPath: "\(directory)/\(file)") {
                    Attachment.record(data, named: file)
                }
            }
        }
        // The diagnostics directory is worth keeping only when something failed.
        if ok, let directory = Self.diagnosticsDirectory(lines), directory.hasPrefix("/tmp/trailwatch-e2e.") {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    // MARK: Helpers

    static func executableInPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
        return directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// "diagnostics: DIR (…)" names where the script left results, console and journal.
    static func diagnosticsDirectory(_ lines: [String]) -> String? {
        guard let line = lines.last(where: { $0.hasPrefix("diagnostics: ") }) else { return nil }
        return line.dropFirst("diagnostics: ".count).split(separator: " ").first.map(String.init)
    }

    /// The script's output (every PASS:/FAIL: line), then the tails of the container's console and of the
    /// unit's journal, so a CI failure explains itself without the directory.
    static func diagnostics(output: String, lines: [String]) -> String {
        var text = "--- scripts/systemd-e2e output:\n\(output)"
        if let directory = diagnosticsDirectory(lines) {
            for (file, count) in [("console.log", 40), ("journal.txt", 60)] {
                let path = "\(directory)/\(file)"
                guard let data = FileManager.default.contents(atPath: path) else {
                    text += "\n--- \(path): missing"
                    continue
                }
                let tail = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                    .suffix(count).joined(separator: "\n")
                text += "\n--- last \(count) lines of \(path):\n\(tail)"
            }
        }
        return text
    }
}
