import Foundation
import Testing
@testable import TrailwatchEvents

/// The reader on real files, with small chunks so lines straddle read boundaries.
struct LineReaderTests {
    func lines(of content: [UInt8], chunk: Int, max: Int) throws -> [String] {
        let path = NSTemporaryDirectory() + "linereader-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var out: [String] = []
        try LineReader(fileDescriptor: fd, chunkSize: chunk, maximumLineBytes: max).forEach { item in
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
}
