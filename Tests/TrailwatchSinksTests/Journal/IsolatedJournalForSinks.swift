import Foundation
import Glibc

/// (A copy of TrailwatchSystemdTests' IsolatedJournal, which that target keeps to itself.)
///
/// Runs a command next to a real systemd-journald isolated in a private mount namespace, then returns the
/// entries it stored (journalctl -o json), one dictionary per entry.
///
/// libsystemd's journal socket path is fixed (/run/systemd/journal/socket), so the only way to aim a real
/// sender at a test journald is a private /run: `unshare -m --propagation private` plus a tmpfs on /run
/// (and on /var/log/journal, so nothing reaches the host's persistent journal). The namespace, journald and
/// everything in it end with the script; nothing on the host changes.
enum IsolatedJournalForSinks {
    static let journald = firstExecutable(["/usr/lib/systemd/systemd-journald", "/lib/systemd/systemd-journald"])
    static let unshare = firstExecutable(["/usr/bin/unshare", "/bin/unshare"])

    static func firstExecutable(_ paths: [String]) -> String? {
        paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Root (mounts) plus the two programs; otherwise the test that needs it is skipped, saying why.
    static var isAvailable: Bool { getuid() == 0 && journald != nil && unshare != nil }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `command` (argv, environment added to ours) inside the namespace once journald listens, waits
    /// until entries with SYSLOG_IDENTIFIER=`identifier` number at least `expected` (5 s at most), and returns them.
    static func run(_ command: [String], environment: [String: String], identifier: String,
                    expected: Int) throws -> [[String: Any]] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\("tw-journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").json")
        defer { try? FileManager.default.removeItem(at: output) }
        let script = #"""
            set -u
            mount -t tmpfs -o mode=755 tmpfs /run || exit 90
            [ -d /var/log/journal ] && { mount -t tmpfs tmpfs /var/log/journal || exit 91; }
            mkdir -p /run/systemd/journal /run/log/journal
            SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=warning "$TW_JOURNALD" </dev/null &
            journald=$!
            trap 'kill $journald 2>/dev/null; wait $journald 2>/dev/null' EXIT
            for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
            [ -S /run/systemd/journal/socket ] || { echo "journald did not start" >&2; exit 92; }
            "$@" >&2
            rc=$?
            [ $rc -eq 0 ] || { echo "command failed: $rc" >&2; exit 93; }
            for _ in $(seq 100); do
                journalctl -q -D /run/log/journal -o json "SYSLOG_IDENTIFIER=$TW_IDENTIFIER" >"$TW_OUTPUT" 2>/dev/null
                [ "$(wc -l <"$TW_OUTPUT")" -ge "$TW_EXPECTED" ] && exit 0
                sleep 0.05
            done
            echo "only $(wc -l <"$TW_OUTPUT") of $TW_EXPECTED entries arrived" >&2
            exit 94
            """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: unshare!)
        process.arguments = ["-m", "--propagation", "private", "/bin/bash", "-c", script, "isolated-journal"] + command
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["TW_JOURNALD"] = journald!
        env["TW_OUTPUT"] = output.path
        env["TW_IDENTIFIER"] = identifier
        env["TW_EXPECTED"] = String(expected)
        env["NOTIFY_SOCKET"] = nil
        env["JOURNAL_STREAM"] = nil
        process.environment = env
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "isolated journal exited \(process.terminationStatus):\n\(text)")
        }
        let json = try String(contentsOf: output, encoding: .utf8)
        return try json.split(separator: "\n").map { line in
            guard let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure(description: "not a JSON object: \(line)")
            }
            return entry
        }
    }
}
