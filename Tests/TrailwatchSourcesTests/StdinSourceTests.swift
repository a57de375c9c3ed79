import Logging
import Testing
@testable import TrailwatchSources

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StdinSourceTests {
    private func pipePair() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        precondition(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    @Test func linesFromAPipeWithoutBlockingAndTheLastLineWithoutNewline() throws {
        let (r, w) = pipePair()
        let source = StdinSource(name: "stdin", fileDescriptor: r, limits: SourceLimits(),
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { source.close() }
        #expect(source.wakeDescriptor == r)
        #expect(try readAll(source) == [], "an empty pipe does not block")
        write(w, "one\r\n\ntwo\nthr")
        #expect(try readAll(source) == [.text("-", 1, "one\r"), .text("-", 2, ""), .text("-", 3, "two")])
        #expect(!source.isFinished)
        write(w, "ee")
        close(w)
        #expect(try readOnce(source) == [.text("-", 4, "three")])
        #expect(source.isFinished)
        #expect(source.checkpoint == SourceCheckpoint())
    }

    @Test func theLimitIsHonouredAtTheEndOfInput() throws {
        let (r, w) = pipePair()
        let source = StdinSource(name: "stdin", fileDescriptor: r, limits: SourceLimits(),
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { source.close() }
        write(w, "a\nb\nc")
        close(w)
        #expect(try readOnce(source, limit: 2).compactMap(\.text) == ["a", "b"])
        #expect(!source.isFinished, "a line is still held")
        #expect(try readOnce(source, limit: 2).compactMap(\.text) == ["c"])
        #expect(source.isFinished)
        #expect(try readOnce(source) == [])
    }

    @Test func oversizedLinesOnStandardInput() throws {
        let (r, w) = pipePair()
        let source = StdinSource(name: "stdin", fileDescriptor: r, limits: SourceLimits(maximumLineBytes: 10),
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { source.close() }
        write(w, "short\n" + String(repeating: "x", count: 30) + "\nok\n" + String(repeating: "y", count: 12))
        close(w)
        #expect(try readAll(source) == [
            .text("-", 1, "short"), .oversized(origin: "-", number: 2, length: 30), .text("-", 3, "ok"),
            .oversized(origin: "-", number: 4, length: 12),
        ])
        #expect(source.isFinished)
    }
}
