import Foundation
import Logging
import Testing
@testable import TrailwatchSources
import TrailwatchTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSourceTests {
    @Test func appendsAcrossReadsAreDeliveredOnceWithExactNumbers() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["one", "two"])
        let source = try makeSource([path])
        defer { source.close() }
        #expect(try readAll(source) == [.text(path, 1, "one"), .text(path, 2, "two")])
        #expect(try readAll(source) == [])
        writer.lines(["three", "", "five"])
        #expect(try readAll(source) == [.text(path, 3, "three"), .text(path, 4, ""), .text(path, 5, "five")])
        let position = try #require(source.checkpoint.files.first)
        #expect(position.offset == UInt64("one\ntwo\nthree\n\nfive\n".utf8.count))
        #expect(position.line == 5)
        #expect(position.inode == inode(of: path))
    }

    @Test func aPartialLineWaitsForItsNewline() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.write("first\n{\"half\":")
        let source = try makeSource([path])
        defer { source.close() }
        #expect(try readAll(source) == [.text(path, 1, "first")])
        #expect(source.checkpoint.files.first?.offset == 6, "the partial line is not consumed")
        writer.write(" 1}")
        #expect(try readAll(source) == [])
        writer.write("\nnext\n")
        #expect(try readAll(source) == [.text(path, 2, "{\"half\": 1}"), .text(path, 3, "next")])
    }

    @Test func theLimitIsHonouredAndTheCheckpointCoversExactlyWhatWasDelivered() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        Writer(path).lines((1...10).map { "line \($0)" })
        let source = try makeSource([path])
        defer { source.close() }
        let first = try readOnce(source, limit: 3)
        #expect(first.map(\.text) == ["line 1", "line 2", "line 3"])
        #expect(source.checkpoint.files.first?.line == 3)
        #expect(source.checkpoint.files.first?.offset == UInt64("line 1\nline 2\nline 3\n".utf8.count))
        #expect(try readOnce(source, limit: 0) == [])
        #expect(try readAll(source, limit: 4).map(\.text) == (4...10).map { "line \($0)" })
    }

    @Test func anItemWhoseConsumerThrowsIsOfferedAgain() throws {
        struct Refused: Error {}
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        Writer(path).lines(["a", "b"])
        let source = try makeSource([path])
        defer { source.close() }
        var seen: [String] = []
        #expect(throws: Refused.self) {
            _ = try source.read(limit: 10) { item in
                let text = copy(item).text!
                if text == "b" { throw Refused() }
                seen.append(text)
            }
        }
        #expect(seen == ["a"])
        #expect(source.checkpoint.files.first?.line == 1)
        #expect(try readAll(source) == [.text(path, 2, "b")])
    }

    @Test func renameRotationReadsTheOldFileToItsEndThenTheNewOne() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["old 1", "old 2"])
        let (logger, logs) = capturingLogger()
        let source = try makeSource([path], logger: logger)
        defer { source.close() }
        #expect(try readAll(source).count == 2)
        writer.lines(["old 3"])
        rename(path, dir.file("a.jsonl.1"))
        writer.lines(["old 4 written after the rename"])  // the writer has not reopened yet
        writer.reopen()
        writer.lines(["new 1", "new 2"])
        #expect(try readAll(source) == [
            .text(path, 3, "old 3"), .text(path, 4, "old 4 written after the rename"),
            .text(path, 1, "new 1"), .text(path, 2, "new 2"),
        ])
        #expect(logs.contains(.info, "rotated"))
        // The old file was drained and closed: only the new one is left.
        #expect(source.checkpoint.files.map(\.inode) == [inode(of: path)])
        writer.lines(["new 3"])
        #expect(try readAll(source) == [.text(path, 3, "new 3")])
    }

    @Test func theNewFileWaitsWhileTheOldOneHasMoreThanTheLimit() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        let source = try makeSource([path])
        defer { source.close() }
        writer.lines((1...20).map { "old \($0)" })
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines((1...20).map { "new \($0)" })
        let texts = try readAll(source, limit: 7).compactMap(\.text)
        #expect(texts == (1...20).map { "old \($0)" } + (1...20).map { "new \($0)" })
    }

    @Test func aRotatedFileStaysOpenDuringTheGracePeriodForLateWrites() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["old 1"])
        let clock = ManualClock()
        let source = try makeSource([path], rotateWait: 5, clock: clock)
        defer { source.close() }
        let oldWriter = Writer(path, create: false)
        #expect(try readAll(source).count == 1)
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["new 1"])
        #expect(try readAll(source) == [.text(path, 1, "new 1")])
        #expect(source.checkpoint.files.count == 2, "the rotated file is still open")
        clock.advance(seconds: 2)
        oldWriter.lines(["old 2, late"])
        #expect(try readAll(source) == [.text(path, 2, "old 2, late")])
        clock.advance(seconds: 6)
        #expect(try readAll(source) == [])
        #expect(source.checkpoint.files.map(\.inode) == [inode(of: path)], "closed after the grace period")
    }

    @Test func thePartialLastLineOfARotatedFileIsDeliveredBeforeTheNewFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.write("whole\n{\"cut\":")
        let clock = ManualClock()
        let source = try makeSource([path], rotateWait: 5, clock: clock)
        defer { source.close() }
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["new"])
        // During the grace period the partial line may still be completed, so the new file waits.
        #expect(try readAll(source) == [.text(path, 1, "whole")])
        clock.advance(seconds: 6)
        #expect(try readAll(source) == [.text(path, 2, "{\"cut\":"), .text(path, 1, "new")])
    }

    @Test func aDeletedFileThatIsStillOpenIsDrainedThenClosed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...5).map { "line \($0)" })
        let (logger, logs) = capturingLogger()
        let source = try makeSource([path], logger: logger)
        defer { source.close() }
        #expect(try readOnce(source, limit: 2).count == 2)
        removeFile(path)
        writer.lines(["line 6"])
        #expect(try readAll(source).compactMap(\.text) == (3...6).map { "line \($0)" })
        #expect(source.checkpoint.files.isEmpty)
        #expect(logs.contains(.info, "file deleted"))
        #expect(logs.contains(.info, "closed"))
    }

    @Test func copyTruncateStartsAgainAtZeroWithAWarning() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...5).map { "before \($0)" })
        let (logger, logs) = capturingLogger()
        let source = try makeSource([path], logger: logger)
        defer { source.close() }
        #expect(try readAll(source).count == 5)
        // logrotate copytruncate: copy, then truncate the same inode in place.
        let before = inode(of: path)
        try FileManager.default.copyItem(atPath: path, toPath: dir.file("a.jsonl.1"))
        truncateFile(path)
        writer.lines(["after 1", "after 2"])
        #expect(inode(of: path) == before)
        #expect(try readAll(source) == [.text(path, 1, "after 1"), .text(path, 2, "after 2")])
        #expect(logs.contains(.warning, "truncated"))
        #expect(source.checkpoint.files.first?.offset == UInt64("after 1\nafter 2\n".utf8.count))
    }

    @Test func aGlobPicksUpNewFilesAndIgnoresOthers() throws {
        let dir = TemporaryDirectory()
        Writer(dir.file("a.jsonl")).lines(["a"])
        Writer(dir.file("notes.txt")).lines(["not me"])
        let source = try makeSource([dir.path + "/*.jsonl"])
        defer { source.close() }
        #expect(try readAll(source) == [.text(dir.file("a.jsonl"), 1, "a")])
        Writer(dir.file("b.jsonl")).lines(["b"])
        Writer(dir.file(".hidden.jsonl")).lines(["hidden"])
        Writer(dir.file("c.jsonl.1")).lines(["rotated name"])
        #expect(try readAll(source) == [.text(dir.file("b.jsonl"), 1, "b")])
        #expect(source.checkpoint.files.map(\.path) == [dir.file("a.jsonl"), dir.file("b.jsonl")])
    }

    @Test func aMissingPathIsWaitedForAndLoggedOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("later/a.jsonl")
        let (logger, logs) = capturingLogger()
        let clock = ManualClock()
        let source = try makeSource([path], logger: logger, clock: clock)
        defer { source.close() }
        for _ in 0..<3 {
            clock.advance(seconds: 2)
            #expect(try readAll(source) == [])
        }
        #expect(logs.all.filter { $0.message.contains("waiting") }.count == 1)
        try FileManager.default.createDirectory(atPath: dir.file("later"), withIntermediateDirectories: false)
        Writer(path).lines(["finally"])
        clock.advance(seconds: 2)  // the directory did not exist to be watched: the rescan finds it
        #expect(try readAll(source) == [.text(path, 1, "finally")])
        // From now on the directory is watched: a rotation is seen without waiting for a rescan.
        rename(path, path + ".1")
        Writer(path).lines(["next"])
        #expect(try readAll(source) == [.text(path, 1, "next")])
    }

    @Test func withoutInotifyThePeriodicRescanFindsFiles() throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock()
        let source = try makeSource([dir.path + "/*.jsonl"], clock: clock, useInotify: false)
        defer { source.close() }
        #expect(source.wakeDescriptor == nil)
        Writer(dir.file("a.jsonl")).lines(["a"])
        #expect(try readAll(source) == [])
        clock.advance(seconds: 1.5)
        #expect(try readAll(source) == [.text(dir.file("a.jsonl"), 1, "a")])
    }

    @Test func severalFilesShareTheLimitInPathOrder() throws {
        let dir = TemporaryDirectory()
        Writer(dir.file("b.jsonl")).lines((1...100).map { "b\($0)" })
        Writer(dir.file("a.jsonl")).lines((1...100).map { "a\($0)" })
        let source = try makeSource([dir.path + "/*.jsonl"])
        defer { source.close() }
        let got = try readOnce(source, limit: 10).compactMap(\.text)
        #expect(got == ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4", "b5"])
        let rest = try readAll(source, limit: 7)
        #expect(rest.count == 190)
    }

    @Test func crlfInvalidUTF8AndBlankLinesPassThroughUntouched() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let bytes: [UInt8] = Array("{\"a\":1}\r\n".utf8) + [0xFF, 0xFE, 0x41, 0x0A] + [0x0A] + Array("\r\n".utf8) + [0x00, 0x0A]
        Writer(path).write(bytes)
        let source = try makeSource([path])
        defer { source.close() }
        #expect(try readAll(source) == [
            .line(origin: path, number: 1, bytes: Array("{\"a\":1}\r".utf8)),
            .line(origin: path, number: 2, bytes: [0xFF, 0xFE, 0x41]),
            .line(origin: path, number: 3, bytes: []),
            .line(origin: path, number: 4, bytes: [0x0D]),
            .line(origin: path, number: 5, bytes: [0x00]),
        ])
    }

    @Test func oversizedLinesAreSkippedAndTheStreamGoesOn() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        let limit = 100
        writer.lines(["short", String(repeating: "x", count: limit), String(repeating: "y", count: limit + 1), "after"])
        let source = try makeSource([path], limits: SourceLimits(maximumLineBytes: limit))
        defer { source.close() }
        #expect(try readAll(source) == [
            .text(path, 1, "short"), .text(path, 2, String(repeating: "x", count: limit)),
            .oversized(origin: path, number: 3, length: limit + 1), .text(path, 4, "after"),
        ])
        // A huge line arriving in pieces over many reads, never complete in memory.
        let huge = 9 * 1024 * 1024 + 17
        let piece = [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20)
        var written = 0
        while written + piece.count < huge {
            writer.write(piece)
            written += piece.count
            #expect(try readAll(source) == [])
        }
        writer.write(Array(piece[0..<(huge - written)]) + [0x0A])
        writer.lines(["", "tail"])
        let end = try readAll(source)
        #expect(end == [
            .oversized(origin: path, number: 5, length: huge), .text(path, 6, ""), .text(path, 7, "tail"),
        ], "\(end)")
        let position = try #require(source.checkpoint.files.first)
        #expect(position.line == 7)
        #expect(position.offset == UInt64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int))
    }

    @Test func startAtEndSkipsWhatIsThereButNotFilesCreatedLater() throws {
        let dir = TemporaryDirectory()
        let a = dir.file("a.jsonl")
        let writer = Writer(a)
        writer.write("old 1\nold 2\nold 3\n{\"partial\":")
        let source = try makeSource([dir.path + "/*.jsonl"], startAt: .end)
        defer { source.close() }
        #expect(try readAll(source) == [])
        writer.write("true}\nnew\n")
        // The partial line was not complete at the start: it is delivered whole, numbers stay exact.
        #expect(try readAll(source) == [.text(a, 4, "{\"partial\":true}"), .text(a, 5, "new")])
        let b = dir.file("b.jsonl")
        Writer(b).lines(["b 1", "b 2"])
        #expect(try readAll(source) == [.text(b, 1, "b 1"), .text(b, 2, "b 2")])
    }

    @Test func startAtEndDoesNotApplyWhenResuming() throws {
        let dir = TemporaryDirectory()
        let a = dir.file("a.jsonl")
        Writer(a).lines(["appeared while stopped"])
        let source = try makeSource([a], startAt: .end, resumeFrom: SourceCheckpoint())
        defer { source.close() }
        #expect(try readAll(source) == [.text(a, 1, "appeared while stopped")])
    }

    @Test func invalidPatternsAreRejected() {
        #expect(throws: FileSourceError.self) { try makeSource(["/var/log/*/a.jsonl"]) }
        #expect(throws: FileSourceError.self) { try makeSource([""]) }
        #expect(throws: FileSourceError.self) { try makeSource([]) }
    }

    @Test func theWakeDescriptorBecomesReadableWhenAFileGrows() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        let source = try makeSource([path])
        defer { source.close() }
        _ = try readAll(source)
        let fd = try #require(source.wakeDescriptor)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 0) == 0)
        writer.lines(["x"])
        #expect(poll(&pfd, 1, 1000) == 1)
        #expect(try readAll(source).count == 1)
        pfd.revents = 0
        #expect(poll(&pfd, 1, 0) == 0, "read drains the notifications")
    }
}

@Suite struct FileSourceErrorTests {
    @Test func anUnreadableFileIsLoggedAndRetriedWhileTheOthersGoOn() throws {
        let dir = TemporaryDirectory()
        chmod(dir.path, 0o755)
        let readable = dir.file("a.jsonl")
        let locked = dir.file("b.jsonl")
        Writer(readable).lines(["a"])
        Writer(locked).lines(["b"])
        chmod(locked, 0o600)
        // Act as an unprivileged user on this thread only (the file-system uid is per thread on Linux).
        // (setfsuid is not in the Glibc module map: look it up.)
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid"))
        let setfsuid = unsafeBitCast(symbol, to: (@convention(c) (UInt32) -> Int32).self)
        let previous = setfsuid(65534)
        defer { _ = setfsuid(UInt32(previous)) }
        try #require(setfsuid(UInt32.max) == 65534, "cannot change the file-system uid")
        let (logger, logs) = capturingLogger()
        let clock = ManualClock()
        let source = try makeSource([dir.path + "/*.jsonl"], logger: logger, clock: clock)
        defer { source.close() }
        #expect(try readAll(source) == [.text(readable, 1, "a")])
        #expect(logs.contains(.error, "cannot open", file: locked))
        clock.advance(seconds: 2)
        #expect(try readAll(source) == [])
        #expect(logs.all.filter { $0.level == .error }.count == 1, "reported once, not at every rescan")
        _ = setfsuid(0)
        chmod(locked, 0o644)
        _ = setfsuid(65534)
        clock.advance(seconds: 2)
        #expect(try readAll(source) == [.text(locked, 1, "b")])
    }

    @Test func thePublicInitializerFollowsFiles() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        Writer(path).lines(["x"])
        let source: any EventSource = try FileSource(
            name: "audit", patterns: [path], startAt: .beginning, limits: SourceLimits(), resumeFrom: nil,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { source.close() }
        #expect(source.name == "audit")
        #expect(source.wakeDescriptor != nil)
        #expect(!source.isFinished)
        #expect(try readAll(source) == [.text(path, 1, "x")])
    }
}
