import Foundation
import Logging
import Testing
@testable import TrailwatchSources
import TrailwatchTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Files created at the followed path and rotated away entirely while the daemon was stopped: the
/// checkpoint cannot know them, so they are found by name (`<base>.<n>`, `<base>-<date>`) and time.
@Suite struct FileSourceRotatedWhileStoppedTests {
    private func roundTrip(_ checkpoint: SourceCheckpoint) throws -> SourceCheckpoint {
        try JSONDecoder().decode(SourceCheckpoint.self, from: JSONEncoder().encode(checkpoint))
    }

    /// Reads `count` lines of a fresh source on `path`, saves its checkpoint, stops it.
    private func startReadAndStop(_ patterns: [String], reading count: Int) throws -> SourceCheckpoint {
        let first = try makeSource(patterns)
        defer { first.close() }
        #expect(try readOnce(first, limit: count).count == count)
        return try roundTrip(first.checkpoint)
    }

    @Test func twoRotationsWhileStoppedHigherNumbersNewer() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines((1...4).map { "a \($0)" })
        let saved = try startReadAndStop([path], reading: 2)
        // While stopped: A goes on, is rotated to .1; B is created, written, rotated to .2; C is live.
        writer.lines(["a 5"])
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines((1...3).map { "b \($0)" })
        rename(path, dir.file("a.jsonl.2"))
        writer.reopen()
        writer.lines((1...2).map { "c \($0)" })
        // A compressed copy is never read, even when it is newer.
        Writer(dir.file("a.jsonl.2.gz")).lines(["compressed"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second, limit: 2) == [
            .text(path, 3, "a 3"), .text(path, 4, "a 4"), .text(path, 5, "a 5"),
            .text(path, 1, "b 1"), .text(path, 2, "b 2"), .text(path, 3, "b 3"),
            .text(path, 1, "c 1"), .text(path, 2, "c 2"),
        ])
        #expect(logs.all.contains {
            $0.level == .info && $0.message.contains("created while the daemon was down")
                && $0.metadata["now-at"] == dir.file("a.jsonl.2") && $0.metadata["file"] == path
        })
        #expect(logs.all.filter { $0.message.contains("created while the daemon was down") }.count == 1)
    }

    @Test func logrotateNumberingWithAnOlderRotatedFileLeftAlone() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["z 1", "z 2"])
        // Z is read, rotated to .1 and finished while running; A replaces it.
        let first = try makeSource([path])
        #expect(try readAll(first).count == 2)
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines((1...3).map { "a \($0)" })
        #expect(try readAll(first).compactMap(\.text) == ["a 1", "a 2", "a 3"])
        let saved = try roundTrip(first.checkpoint)
        #expect(saved.files.count == 1)
        first.close()
        // While stopped, logrotate twice: .1 → .2, live → .1, new live.
        writer.lines(["a 4"])
        rename(dir.file("a.jsonl.1"), dir.file("a.jsonl.2"))
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["b 1", "b 2"])
        rename(dir.file("a.jsonl.2"), dir.file("a.jsonl.3"))
        rename(dir.file("a.jsonl.1"), dir.file("a.jsonl.2"))
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["c 1"])
        let second = try makeSource([path], resumeFrom: saved)
        defer { second.close() }
        #expect(try readAll(second, limit: 1) == [
            .text(path, 4, "a 4"), .text(path, 1, "b 1"), .text(path, 2, "b 2"), .text(path, 1, "c 1"),
        ])
    }

    @Test func dateextNamesAndCompressedSiblingsIgnored() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("app.log")
        let writer = Writer(path)
        writer.lines(["a 1", "a 2"])
        let saved = try startReadAndStop([path], reading: 1)
        rename(path, dir.file("app.log-20261120"))
        writer.reopen()
        writer.lines(["b 1"])
        rename(path, dir.file("app.log-20261121"))
        writer.reopen()
        writer.lines(["c 1"])
        for name in ["app.log-20261119.gz", "app.log-20261121.bz2", "app.log.1.xz", "app.log.2.zst",
                     "app.log.bak", "app.log.swp", "app.logger.1"] {
            Writer(dir.file(name)).lines(["not read: \(name)"])
        }
        let second = try makeSource([path], resumeFrom: saved)
        defer { second.close() }
        #expect(try readAll(second) == [.text(path, 2, "a 2"), .text(path, 1, "b 1"), .text(path, 1, "c 1")])
    }

    @Test func aGlobMatchingTheRotatedNamesReadsEachFileOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["a 1", "a 2", "a 3"])
        let pattern = dir.path + "/a.jsonl*"
        let saved = try startReadAndStop([pattern], reading: 1)
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["b 1", "b 2"])
        rename(path, dir.file("a.jsonl.2"))
        writer.reopen()
        writer.lines(["c 1"])
        let (logger, logs) = capturingLogger()
        let second = try makeSource([pattern], resumeFrom: saved, logger: logger)
        defer { second.close() }
        let got = try readAll(second)
        #expect(got.compactMap(\.text).sorted() == ["a 2", "a 3", "b 1", "b 2", "c 1"])
        #expect(got.filter { $0.origin == path }.compactMap(\.text) == ["a 2", "a 3", "c 1"])
        #expect(!logs.all.contains { $0.message.contains("created while the daemon was down") })
    }

    @Test func theCheckpointedFileGoneButRotatedSiblingsLeft() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["a 1", "a 2"])
        let saved = try startReadAndStop([path], reading: 1)
        #expect(saved.files.first?.modified != nil)
        // logrotate with `rotate 1`: A is rotated, then dropped at the next rotation (after the new file
        // exists, so that it cannot reuse A's inode: a file at the saved path with the saved inode but other
        // bytes is read again from 0, like a file rewritten while stopped).
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["b 1", "b 2"])
        rename(dir.file("a.jsonl.1"), dir.file("a.jsonl.2"))
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines(["c 1"])
        removeFile(dir.file("a.jsonl.2"))
        let (logger, logs) = capturingLogger()
        let second = try makeSource([path], resumeFrom: saved, logger: logger)
        defer { second.close() }
        #expect(try readAll(second) == [.text(path, 1, "b 1"), .text(path, 2, "b 2"), .text(path, 1, "c 1")])
        #expect(logs.contains(.warning, "gone", file: path))
    }

    @Test func aCrashWhileReadingASiblingResumesInIt() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        let writer = Writer(path)
        writer.lines(["a 1", "a 2"])
        let saved = try startReadAndStop([path], reading: 2)
        rename(path, dir.file("a.jsonl.1"))
        writer.reopen()
        writer.lines((1...4).map { "b \($0)" })
        rename(path, dir.file("a.jsonl.2"))
        writer.reopen()
        writer.lines(["c 1"])
        let clock = ManualClock()
        let second = try makeSource([path], resumeFrom: saved, rotateWait: 5, clock: clock)
        #expect(try readOnce(second, limit: 2).compactMap(\.text) == ["b 1", "b 2"])
        let again = try roundTrip(second.checkpoint)
        second.close()
        #expect(again.files.contains { $0.inode == inode(of: dir.file("a.jsonl.2")) && $0.line == 2 })
        let (logger, logs) = capturingLogger()
        let third = try makeSource([path], resumeFrom: again, logger: logger, rotateWait: 5, clock: clock)
        defer { third.close() }
        #expect(try readAll(third) == [.text(path, 3, "b 3"), .text(path, 4, "b 4"), .text(path, 1, "c 1")])
        #expect(!logs.all.contains { $0.message.contains("created while the daemon was down") })
    }

    @Test func noSiblingsAreReadAtTheFirstStart() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.jsonl")
        Writer(dir.file("a.jsonl.1")).lines(["old"])
        Writer(path).lines(["live"])
        let source = try makeSource([path])
        defer { source.close() }
        #expect(try readAll(source) == [.text(path, 1, "live")])
    }

    @Test func rotatedNames() {
        #expect(RotatedSiblings.isRotatedName("a.jsonl.1", of: "a.jsonl"))
        #expect(RotatedSiblings.isRotatedName("a.jsonl-20261121", of: "a.jsonl"))
        #expect(RotatedSiblings.isRotatedName("a.jsonl.20261121", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl.", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl.2.gz", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl-20261121.ZST", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl.tmp", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("a.jsonl1", of: "a.jsonl"))
        #expect(!RotatedSiblings.isRotatedName("b.jsonl.1", of: "a.jsonl"))
    }
}
