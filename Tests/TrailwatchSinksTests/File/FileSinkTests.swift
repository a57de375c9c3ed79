import Foundation
import Testing
import TrailwatchCore
import TrailwatchTestSupport
@testable import TrailwatchSinks

/// The file sink on real files: lines as `replay` prints them, each alert once across a restart, and no
/// half line left by a crash.
@Suite struct FileSinkTests {
    /// A directory for the test and its alerts file.
    final class Scratch {
        let dir = TemporaryDirectory()
        var path: String { dir.file("alerts.jsonl") }
        func lines() throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
    }

    static let alerts = SampleAlerts.batch

    @Test func writesFiringAlertsAsReplayPrintsThem() async throws {
        let scratch = Scratch()
        let sink = FileSink(name: "alerts", path: scratch.path)
        try await sink.deliver([Self.alerts[0], SampleAlerts.alert(id: "feedfeedfeedfeedfeedfeed", status: .resolved), Self.alerts[1]])
        #expect(try scratch.lines() == [Self.alerts[0].json, Self.alerts[1].json, ""])
    }

    /// A process killed after the fsync but before the outbox recorded the delivery: the next process gets
    /// the same alerts again and writes only those not in the file.
    @Test func eachAlertOnceAcrossARestart() async throws {
        let scratch = Scratch()
        try await FileSink(name: "alerts", path: scratch.path).deliver(Array(Self.alerts[0..<2]))
        let restarted = FileSink(name: "alerts", path: scratch.path)
        try await restarted.deliver(Self.alerts)
        try await restarted.deliver([SampleAlerts.unusual])
        #expect(try scratch.lines() == Self.alerts.map(\.json) + [SampleAlerts.unusual.json, ""])
    }

    /// Half a line (a crash inside `write`, a full disk) is cut off; its alert, not delivered, comes whole.
    @Test func unfinishedLastLineIsCutOff() async throws {
        let scratch = Scratch()
        let half = Self.alerts[1].json.utf8.prefix(40)
        try Data(Array((Self.alerts[0].json + "\n").utf8) + Array(half)).write(to: URL(fileURLWithPath: scratch.path))
        try await FileSink(name: "alerts", path: scratch.path).deliver(Array(Self.alerts[1..<3]))
        let lines = try scratch.lines()
        #expect(lines == Self.alerts[0..<3].map(\.json) + [""])
        for line in lines.dropLast() { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
    }

    @Test func fileWithOnlyHalfALineIsEmptied() async throws {
        let scratch = Scratch()
        try Data(#"{"id":"3f2a9c0d1e4b5a6978c1d2e3","ru"#.utf8).write(to: URL(fileURLWithPath: scratch.path))
        try await FileSink(name: "alerts", path: scratch.path).deliver([Self.alerts[0]])
        #expect(try scratch.lines() == [Self.alerts[0].json, ""])
    }

    /// Only complete lines inside the window count, and only lines shaped like alert lines.
    @Test func tailReadsIDsOfCompleteAlertLinesInTheWindow() throws {
        let scratch = Scratch()
        let text = #"{"id":"first000000000000000000","rule":"r"}"# + "\n"
            + "not an alert line\n"
            + #"{"rule":"r","id":"elsewhere"}"# + "\n"
            + #"{"id":"second00000000000000000","rule":"r"}"# + "\n"
            + #"{"id":"third000000000000000000","rule":"r"}"# + "\n"
            + #"{"id":"unfinished"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.path))
        let fd = open(scratch.path, O_RDONLY)
        defer { close(fd) }

        let whole = try FileTail(fd: fd)
        #expect(whole.ids == ["first000000000000000000", "second00000000000000000", "third000000000000000000"])
        #expect(whole.completeLength == off_t(text.utf8.count - #"{"id":"unfinished"#.utf8.count))

        // 80 bytes from the end start inside the "second" line: it is not read as an id.
        let short = try FileTail(fd: fd, window: 80)
        #expect(short.ids == ["third000000000000000000"])
        #expect(short.completeLength == whole.completeLength)
    }
}
