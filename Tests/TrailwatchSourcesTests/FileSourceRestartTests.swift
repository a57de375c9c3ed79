import Foundation
import Logging
import Testing
@testable import TrailwatchSources
import TrailwatchTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSourceRestartTests {
    /// The checkpoint survives the trip through the state store as JSON.
    private func roundTrip(_ checkpoint: SourceCheckpoint) throws -> SourceCheckpoint {
        try JSONDecoder().decode(SourceCheckpoint.self, from: JSONEncoder().encode(checkpoint))
    }

    @Test func resumingContinuesAtTheNextLineWithNumbersContinued() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...5).map { "line \($0)" })
        let first = try makeSource([path])
        #expect(try readOnce(first, limit: 3).count == 3)
        let saved = try roundTrip(first.checkpoint)
        first.close()
        writer.lines(["line 6"])
        let second = try makeSource([path], resumeFrom: saved)
        defer { second.close() }
        #expect(try readAll(second) == (4...6).map { .text(path, $0, "line \($0)") })
    }

    @Test func aFileRotatedWhileStoppedIsFoundByInodeAndFinishedFirst() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...4).map { "old \($0)" })
        let first = try makeSource([path])
        #expect(try readOnce(first, limit: 2).count == 2)
        let saved = try roundTrip(first.checkpoint)
        first.close()
        // While stopped: more lines, rotation by rename, lines in the new file.
        writer.lines(["old 5"])
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["new 1", "new 2"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second, limit: 2) == [
            .text(path, 3, "old 3"), .text(path, 4, "old 4"), .text(path, 5, "old 5"),
            .text(path, 1, "new 1"), .text(path, 2, "new 2"),
        ])
        #expect(logs.all.contains { $0.message.contains("resuming") && $0.metadata["now-at"] == dir.file("a.jsonl.1") })
    }

    @Test func aGoneFileIsReportedWithTheBytesThatMayBeLost() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["read", "unread"])
        let first = try makeSource([path])
        #expect(try readOnce(first, limit: 1).count == 1)
        let saved = try roundTrip(first.checkpoint)
        first.close()
        writer.closeFile()
        // The replacement is made before the old file is deleted, so it cannot reuse its inode.
        Writer(path + ".new").lines(["fresh"])
        removeFile(path)
        rename(path + ".new", path)
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second) == [.text(path, 1, "fresh")])
        let warning = try #require(logs.all.first { $0.level == .warning && $0.message.contains("gone") })
        #expect(warning.metadata["file"] == path)
        #expect(warning.metadata["bytes-lost"] == "at least 7")
    }

    @Test func aNewFileReusingTheInodeAtTheSamePathIsReadFromTheStart() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["{\"id\":\"read\"}", "{\"id\":\"unread\"}"])
        let first = try makeSource([path])
        #expect(try readOnce(first, limit: 1).count == 1)
        let saved = first.checkpoint
        first.close()
        writer.closeFile()
        removeFile(path)
        // ext4 and tmpfs often hand the freed inode to the next file; whether or not they do here, the new
        // file must be read whole and the loss reported.
        Writer(path).lines(["{\"id\":\"fresh 1\"}", "{\"id\":\"fresh 2\"}", "{\"id\":\"fresh 3\"}"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second).compactMap(\.text) == ["{\"id\":\"fresh 1\"}", "{\"id\":\"fresh 2\"}", "{\"id\":\"fresh 3\"}"])
        #expect(logs.all.contains { $0.level == .warning && $0.metadata["bytes-lost"] == "at least 16" })
    }

    @Test func aFileTruncatedWhileStoppedIsReadFromTheStart() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["a long first line", "another long line"])
        let first = try makeSource([path])
        _ = try readAll(first)
        let saved = first.checkpoint
        first.close()
        truncateFile(path)
        writer.lines(["short"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second) == [.text(path, 1, "short")])
        #expect(logs.contains(.warning, "from the start", file: path))
    }

    @Test func aFileRewrittenWhileStoppedIsToldApartByItsFingerprint() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["{\"id\":\"1\"}"])
        let first = try makeSource([path])
        _ = try readAll(first)
        let saved = first.checkpoint
        first.close()
        // Same inode, longer than the offset, other content: the size alone cannot tell.
        truncateFile(path)
        writer.lines(["{\"id\":\"2\"}", "{\"id\":\"3\"}"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second).compactMap(\.text) == ["{\"id\":\"2\"}", "{\"id\":\"3\"}"])
        #expect(logs.contains(.warning, "from the start"))
    }

    @Test func anUnrelatedFileHoldingTheInodeUnderAnotherNameIsNotRead() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        Writer(path).lines(["mine"])
        let first = try makeSource([path])
        _ = try readAll(first)
        var saved = first.checkpoint
        first.close()
        // Pretend the saved file had the inode that an unrelated file in the directory has now.
        Writer(dir.file("state.db")).lines(["unrelated", "content"])
        saved.files[0].inode = inode(of: dir.file("state.db"))
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second) == [.text(path, 1, "mine")])
        #expect(logs.contains(.warning, "gone"))
    }

    @Test func aRotatedFileStillDrainingIsResumedBeforeItsSuccessor() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...6).map { "old \($0)" })
        let clock = ManualClock()
        let first = try makeSource([path], rotateWait: 5, clock: clock)
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["new 1"])
        #expect(try readOnce(first, limit: 2).compactMap(\.text) == ["old 1", "old 2"])
        let saved = try roundTrip(first.checkpoint)
        #expect(saved.files.count == 2)
        first.close()
        let second = try makeSource([path], resumeFrom: saved, rotateWait: 5, clock: clock)
        defer { second.close() }
        #expect(try readAll(second, limit: 3).compactMap(\.text) == ["old 3", "old 4", "old 5", "old 6", "new 1"])
    }

    @Test func aCheckpointDecodesWithoutTheOptionalFields() throws {
        let json = #"{"files":[{"path":"/x","device":1,"inode":2,"offset":3,"line":4}]}"#
        let checkpoint = try JSONDecoder().decode(SourceCheckpoint.self, from: Data(json.utf8))
        #expect(checkpoint.files == [FilePosition(path: "/x", device: 1, inode: 2, offset: 3, line: 4)])
    }
}
