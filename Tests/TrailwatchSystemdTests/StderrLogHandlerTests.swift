import Foundation
import Glibc
import Logging
import Testing
@testable import TrailwatchSystemd

struct StderrLogHandlerTests {
    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    @Test func formatsOneLine() {
        // 2026-11-21T10:00:00.123Z
        let time = timespec(tv_sec: 1_795_255_200, tv_nsec: 123_999_999)
        let line = TextLogLine.format(time: time, level: .warning, label: "trailwatch", message: "sink failed",
                                      metadata: ["sink": "out", "attempt": "3", "error": "timed out"])
        #expect(line == #"2026-11-21T10:00:00.123Z warning trailwatch: sink failed attempt=3 error="timed out" sink=out"#)
    }

    @Test func timestampPadsEveryPart() {
        #expect(TextLogLine.timestamp(timespec(tv_sec: 0, tv_nsec: 5_000_000)) == "1970-01-01T00:00:00.005Z")
        #expect(TextLogLine.timestamp(timespec(tv_sec: 1_709_290_861, tv_nsec: 0)) == "2024-03-01T11:01:01.000Z")
    }

    @Test func keepsOneMessageOnOneLine() {
        let line = TextLogLine.format(time: timespec(), level: .error, label: "l", message: "a\nb\tc\\",
                                      metadata: ["k": "x\ny", "empty": "", "q": #"say "hi""#, "eq": "a=b"])
        #expect(!line.contains("\n"))
        #expect(line.hasSuffix(#"error l: a\nb\tc\\ empty="" eq="a=b" k=x\ny q="say \"hi\"""#), "\(line)")
    }

    /// Through swift-log into a real pipe: levels filtered, metadata merged (handler, provider, call).
    @Test func writesThroughALogger() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var handler = StderrLogHandler(label: "trailwatch", fileDescriptor: fds[1],
                                       metadataProvider: .init { ["request": "r1"] })
        handler.logLevel = .notice
        var logger = Logger(label: "trailwatch") { _ in handler }
        logger[metadataKey: "source"] = "at"
        logger.info("filtered out")
        logger.warning("late event", metadata: ["rule": "deletes"])
        logger.error("failed", error: DiskFull())
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 3 && lines.last == "", "\(text)")
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning trailwatch: late event request=r1 rule=deletes source=at$/#
        #expect(lines[0].wholeMatch(of: pattern) != nil, "\(lines[0])")
        #expect(lines.count > 1 && lines[1].hasSuffix(#"error trailwatch: failed error="disk full" request=r1 source=at"#),
                "\(text)")
    }
}
