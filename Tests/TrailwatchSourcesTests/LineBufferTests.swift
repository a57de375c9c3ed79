import Testing
@testable import TrailwatchSources

@Suite struct LineBufferTests {
    /// Feeds bytes in reads of at most `chunk`, taking every item as soon as it is complete.
    private func split(_ input: [UInt8], maximumLineBytes: Int, chunk: Int) -> (items: [String], peakCapacity: Int, limit: Int) {
        let buffer = LineBuffer(maximumLineBytes: maximumLineBytes)
        var items: [String] = []
        var peak = buffer.capacity
        var at = 0
        func take() {
            while let item = buffer.peek() {
                switch item {
                case .line:
                    let (bytes, readable) = buffer.bytes(of: item)
                    #expect(readable >= bytes.count + SourceLimits.padding)
                    items.append(String(decoding: bytes, as: UTF8.self))
                case .oversized(let length, _):
                    items.append("<\(length)>")
                }
                buffer.commit(item)
            }
        }
        while at < input.count {
            let space = buffer.reserve()
            let n = min(space.count, chunk, input.count - at)
            space.copyMemory(from: UnsafeRawBufferPointer(rebasing: input.withUnsafeBytes { $0 }[at..<(at + n)]))
            buffer.didRead(n, offered: space.count)
            at += n
            peak = max(peak, buffer.capacity)
            take()
        }
        if let tail = buffer.peekTail() {
            switch tail {
            case .line:
                items.append("tail:" + String(decoding: buffer.bytes(of: tail).0, as: UTF8.self))
            case .oversized(let length, _):
                items.append("tail:<\(length)>")
            }
            buffer.commit(tail)
        }
        #expect(buffer.isEmpty)
        return (items, peak, buffer.maximumCapacity)
    }

    @Test(arguments: [1, 3, 7, 64, 100_000])
    func splitsTheSameWhateverTheReadSizes(chunk: Int) {
        let input = Array("a\n\nbbbbbbbbbbbb\ncc\nddddddddddd\ne".utf8)
        let result = split(input, maximumLineBytes: 10, chunk: chunk)
        #expect(result.items == ["a", "", "<12>", "cc", "<11>", "tail:e"])
    }

    @Test(arguments: [1, 2, 5, 31, 32, 33, 100])
    func aBlankLineRightAfterAnOversizedOneIsKept(chunk: Int) {
        let input = Array(("a\n" + String(repeating: "x", count: 30) + "\n\nb\n").utf8)
        #expect(split(input, maximumLineBytes: 10, chunk: chunk).items == ["a", "<30>", "", "b"])
    }

    @Test func aHugeLineNeverGrowsTheBufferPastItsBound() {
        let maximum = 1000
        let input = Array(repeating: UInt8(ascii: "q"), count: 20 << 20) + Array("\n\nok\n".utf8)
        let result = split(input, maximumLineBytes: maximum, chunk: 1 << 20)
        #expect(result.items == ["<\(20 << 20)>", "", "ok"])
        #expect(result.peakCapacity <= result.limit)
        #expect(result.limit <= maximum + 1 + 64 * 1024)
    }

    @Test func aLineOfExactlyTheMaximumFitsEvenWhenItArrivesByteByByte() {
        let maximum = 200_000
        let line = String(repeating: "m", count: maximum)
        let result = split(Array((line + "\n" + line + "m\n").utf8), maximumLineBytes: maximum, chunk: 4096)
        #expect(result.items == [line, "<\(maximum + 1)>"])
    }
}
