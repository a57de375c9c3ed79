import Foundation
import Testing
@testable import TrailwatchEvents

/// The reader on real files, with small chunks so lines straddle read boundaries.
struct LineReaderTests {
    func lines(of content: [UInt8], chunk: Int, max: Int, mapFrom: Int = .max, startAt: off_t = 0) throws -> [String] {
        let path = NSTemporaryDirectory() + "linereader-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(lseek(fd, startAt, SEEK_SET) == startAt)
        var out: [String] = []
        try LineReader(fileDescriptor: fd, chunkSize: chunk, maximumLineBytes: max, smallestMappedFile: mapFrom).forEach { item in
            switch item {
            case .line(let l):
                #expect(l.readable >= l.bytes.count + EventParser.padding)
                out.append("\(l.number):\(String(decoding: l.bytes, as: UTF8.self))")
            case .oversized(let n, let length): out.append("\(n):oversized \(length)")
            }
        }
        return out
    }

    @Test(arguments: [1, 3, 7, 64, 1 << 20])
    func splitsAcrossChunkBoundaries(chunk: Int) throws {
        let text = "first\nsecond line\n\nlast without newline"
        #expect(try lines(of: Array(text.utf8), chunk: chunk, max: 100) ==
            ["1:first", "2:second line", "3:", "4:last without newline"])
    }

    @Test(arguments: [2, 5, 4096])
    func skipsOversizedLinesAndGoesOn(chunk: Int) throws {
        let long = String(repeating: "x", count: 50)
        let text = "ok\n\(long)\nafter\n\(long)"
        #expect(try lines(of: Array(text.utf8), chunk: chunk, max: 10) ==
            ["1:ok", "2:oversized 50", "3:after", "4:oversized 50"])
    }

    @Test func emptyInput() throws {
        #expect(try lines(of: [], chunk: 16, max: 10) == [])
    }

    /// Mapped files give the same lines as read ones: partial last lines, oversized lines, lines ending
    /// right at a page boundary (too close to the end to be padded in place) and a start offset mid-page.
    @Test(arguments: [0, 1, 4095, 4096, 4097])
    func mappedFilesGiveTheSameLines(tail: Int) throws {
        var text = ""
        var n = 0
        while text.utf8.count < 3 * 4096 {
            n += 1
            text += n % 7 == 0 ? String(repeating: "y", count: 300) + "\n" : "{\"line\": \(n)}\n"
        }
        text += String(repeating: "z", count: tail)  // a last line without newline, or none
        let bytes = Array(text.utf8)
        let read = try lines(of: bytes, chunk: 1000, max: 200)
        let mapped = try lines(of: bytes, chunk: 1000, max: 200, mapFrom: 1)
        #expect(mapped == read)
        #expect(read.count == n + (tail > 0 ? 1 : 0))
        // The page boundary case: the file ends with a newline exactly at 3 pages.
        let exact = Array(repeating: UInt8(ascii: "a"), count: 3 * 4096 - 1) + [0x0A]
        #expect(try lines(of: exact, chunk: 1000, max: 1 << 14, mapFrom: 1) == ["1:" + String(repeating: "a", count: 3 * 4096 - 1)])
    }

    /// A reader handed a descriptor already past the start (stdin redirected from a file that was partly
    /// read) maps from that offset on.
    @Test func mappedFromAnOffset() throws {
        let lines2000 = (1...2000).map { "line \($0)" }
        let text = lines2000.joined(separator: "\n") + "\n"
        // Line 700 starts past the first page, not on a page boundary.
        let offset = off_t(lines2000[..<699].reduce(0) { $0 + $1.utf8.count + 1 })
        let expectedFirst = lines2000[699]
        let mapped = try lines(of: Array(text.utf8), chunk: 4096, max: 100, mapFrom: 1, startAt: offset)
        let read = try lines(of: Array(text.utf8), chunk: 4096, max: 100, startAt: offset)
        #expect(mapped == read)
        #expect(mapped.first == "1:" + expectedFirst)
    }
}
