import Foundation
import Testing
@testable import TrailwatchDaemon
import TrailwatchSources

/// Checkpoints are written by hand on every commit: they must read back exactly, and be the text
/// `JSONEncoder` wrote for earlier versions.
struct CheckpointTextTests {
    static let checkpoints: [SourceCheckpoint] = [
        SourceCheckpoint(),
        SourceCheckpoint(files: [FilePosition(path: "/var/log/at/audit.jsonl", device: 2049, inode: 131_074, offset: 0, line: 0)]),
        SourceCheckpoint(files: [
            FilePosition(path: "/var/log/at/audit.jsonl.1", device: .max, inode: 1 << 63, offset: 1_676_000_000_123,
                         line: Int.max, fingerprint: .max, size: 0, modified: Int64.min),
            FilePosition(path: "/tmp/odd \"name\"\\with\ttab\nnewline\u{1}-é-日本.jsonl", device: 1, inode: 2, offset: 3,
                         line: 4, fingerprint: 0, size: 9, modified: 1_764_700_000_000_000_000),
        ]),
    ]

    @Test(arguments: checkpoints)
    func readsBackExactly(_ checkpoint: SourceCheckpoint) throws {
        let text = CheckpointText.encode(checkpoint)
        #expect(try JSONDecoder().decode(SourceCheckpoint.self, from: Data(text.utf8)) == checkpoint)
    }

    @Test(arguments: checkpoints)
    func isWhatJSONEncoderWrites(_ checkpoint: SourceCheckpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(checkpoint), as: UTF8.self)
        #expect(CheckpointText.encode(checkpoint) == expected)
    }
}
