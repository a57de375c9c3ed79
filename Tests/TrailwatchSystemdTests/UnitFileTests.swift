import Foundation
import Testing

let systemdAnalyze = "/usr/bin/systemd-analyze"

/// packaging/trailwatch.service: valid for systemd 252 (`systemd-analyze verify` prints nothing), hardened
/// (`systemd-analyze security --offline=yes` exposure at most 2.0), and keeping what the daemon relies on.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: systemdAnalyze), "needs systemd-analyze"))
struct UnitFileTests {
    static let analyze = systemdAnalyze
    /// Highest accepted `systemd-analyze security` exposure, times ten (its --threshold unit).
    static let exposureThreshold = 20

    /// The repository's unit file (this file may be reached through a symlinked test directory).
    static var unitFile: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/trailwatch.service")
    }

    /// A copy named trailwatch.service whose ExecStart names a binary that exists (verify checks it).
    static func checkableCopy(_ edit: (String) -> String = { $0 }) throws -> URL {
        let text = try String(contentsOf: unitFile, encoding: .utf8)
            .replacing("ExecStart=/usr/bin/trailwatch ", with: "ExecStart=/usr/bin/true ")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("tw-unit"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let copy = dir.appendingPathComponent("trailwatch.service")
        try edit(text).write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func verifiesWithoutOutput() throws {
        let copy = try Self.checkableCopy()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let result = try run(Self.analyze, ["verify", copy.path])
        #expect(result.status == 0 && result.output.isEmpty, "systemd-analyze verify:\n\(result.output)")
    }

    /// The gate above must notice a bad key or value (verify exits 0 for warnings, so output matters).
    @Test func verifyReportsMistakes() throws {
        let copy = try Self.checkableCopy { $0.replacing("Type=notify\n", with: "Type=notify\nWatchdogSecs=1\n") }
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let result = try run(Self.analyze, ["verify", copy.path])
        #expect(result.output.contains("Unknown key 'WatchdogSecs'"), "\(result.output)")
    }

    @Test func hardened() throws {
        let copy = try Self.checkableCopy()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let result = try run(Self.analyze, ["security", "--offline=yes", "--threshold=\(Self.exposureThreshold)", copy.path])
        let summary = result.output.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? "none"
        #expect(result.status == 0, "exposure above \(Double(Self.exposureThreshold) / 10): \(summary)")
    }

    /// Settings the daemon's behaviour depends on: readiness, reload by SIGHUP, watchdog, writable paths.
    @Test func keepsWhatTheDaemonNeeds() throws {
        let lines = Set(try String(contentsOf: Self.unitFile, encoding: .utf8).split(separator: "\n").map(String.init))
        for line in [
            "Type=notify", "NotifyAccess=main",
            "ExecStart=/usr/bin/trailwatch run --config /etc/trailwatch/trailwatch.json",
            "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=30s", "Restart=on-failure", "TimeoutStopSec=30s",
            "StateDirectory=trailwatch", "LogsDirectory=trailwatch", "DynamicUser=yes", "ProtectSystem=strict",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "CapabilityBoundingSet=", "UMask=0077",
        ] {
            #expect(lines.contains(line), "missing: \(line)")
        }
    }
}
