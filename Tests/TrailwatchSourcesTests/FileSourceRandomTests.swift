import Foundation
import Logging
import Testing
@testable import TrailwatchSources
import TrailwatchTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSourceRandomTests {
    /// One file name followed by the source, with its writer and everything written under that name.
    final class Chain {
        let path: String
        let writer: Writer
        var generation = 0
        /// Every line written, in order, with its number within its own file.
        var written: [(text: String, number: Int)] = []
        var linesInFile = 0
        /// Bytes of a line begun but not finished yet.
        var pending = ""

        init(path: String) {
            self.path = path
            writer = Writer(path)
        }
    }

    /// Appends, rename rotations (with late writes to the renamed file), reads with random limits,
    /// checkpoints at random points and restarts from the last one, in random order: what was delivered,
    /// once the restarts' repeats are cut at the checkpoints, must be exactly what was written.
    @Test(arguments: Array(1...24) as [UInt64])
    func deliveredEqualsWrittenThroughRotationsAndRestarts(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let dir = TemporaryDirectory()
        let chains = ["a.jsonl", "b.jsonl"].map { Chain(path: dir.file($0)) }
        for chain in chains {
            chain.writer.lines(["first of \(chain.path)"])
            chain.written.append(("first of \(chain.path)", 1))
            chain.linesInFile = 1
        }
        let rotateWait: Double = Bool.random(using: &random) ? 0 : 1000
        let maximumLineBytes = 300
        let clock = ManualClock()
        func open(_ from: SourceCheckpoint?) throws -> FileSource {
            try makeSource([dir.path + "/*.jsonl"], limits: SourceLimits(maximumLineBytes: maximumLineBytes),
                           resumeFrom: from, rotateWait: rotateWait, clock: clock)
        }
        var source: FileSource? = try open(nil)
        var stoppedSpells = 0
        var delivered: [Got] = []
        var saved = (checkpoint: source!.checkpoint, count: 0)
        var counter = 0
        var rotations = 0
        var restarts = 0

        func expected(_ chain: Chain, _ entry: (text: String, number: Int)) -> Got {
            entry.text.utf8.count > maximumLineBytes
                ? .oversized(origin: chain.path, number: entry.number, length: entry.text.utf8.count)
                : .text(chain.path, entry.number, entry.text)
        }

        for _ in 0..<400 {
            let chain = chains[Int.random(in: 0..<chains.count, using: &random)]
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:  // append lines, sometimes stopping in the middle of one
                var bytes = ""  // only what is new: a pending partial line was written before
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    counter += 1
                    let size = Int.random(in: 0..<100, using: &random) < 5 ? Int.random(in: 250...600, using: &random)
                        : Int.random(in: 0...40, using: &random)
                    let line = size == 0 ? "" : "{\"n\":\(counter)" + String(repeating: "-", count: size) + "}"
                    bytes += line + "\n"
                    chain.linesInFile += 1
                    chain.written.append((chain.pending + line, chain.linesInFile))
                    chain.pending = ""
                }
                if Bool.random(using: &random) {
                    counter += 1
                    chain.pending = "{\"partial\":\(counter)"
                    bytes += chain.pending
                }
                chain.writer.write(bytes)
            case 40..<55:  // rename rotation: any number while stopped; while running, once the source saw the file
                // (a file created and rotated away before a running source looked is not findable by inode;
                // after a restart, rotated files the checkpoint does not know are found by name and time).
                if let running = source, !running.checkpoint.files.contains(where: { $0.inode == inode(of: chain.path) }) {
                    continue
                }
                if !chain.pending.isEmpty {
                    chain.writer.write("\n")
                    chain.linesInFile += 1
                    chain.written.append((chain.pending, chain.linesInFile))
                    chain.pending = ""
                }
                chain.generation += 1
                rotations += 1
                // File times tick once per kernel jiffy (about 4 ms): files rotated within one tick look the
                // same age to the search for rotated files, an order real rotations (minutes apart) never have.
                usleep(10_000)
                rename(chain.path, "\(chain.path).\(chain.generation)")
                if Bool.random(using: &random) {  // the writer is late to reopen
                    counter += 1
                    chain.writer.lines(["late \(counter)"])
                    chain.linesInFile += 1
                    chain.written.append(("late \(counter)", chain.linesInFile))
                }
                usleep(10_000)
                chain.writer.reopen()
                chain.linesInFile = 0
            case 55..<85:
                if source == nil { source = try open(saved.checkpoint) }  // the daemon comes back
                delivered += try readOnce(source!, limit: Int.random(in: 1...40, using: &random))
            case 85..<95:
                guard let running = source else { continue }
                saved = (try JSONDecoder().decode(SourceCheckpoint.self, from: JSONEncoder().encode(running.checkpoint)),
                         delivered.count)
            default:  // "kill -9"; the restart from the last saved checkpoint comes now or after a while
                guard let running = source else { continue }
                running.close()
                source = nil
                delivered.removeSubrange(saved.count...)
                restarts += 1
                if Bool.random(using: &random) { source = try open(saved.checkpoint) } else { stoppedSpells += 1 }
            }
        }
        let final = try source ?? open(saved.checkpoint)
        for chain in chains where !chain.pending.isEmpty {
            chain.writer.write("\n")
            chain.linesInFile += 1
            chain.written.append((chain.pending, chain.linesInFile))
            chain.pending = ""
        }
        delivered += try readAll(final, limit: 13)
        final.close()

        for chain in chains {
            let got = delivered.filter { $0.origin == chain.path }
            let want = chain.written.map { expected(chain, $0) }
            #expect(got.count == want.count, "seed \(seed), \(chain.path): \(rotations) rotations, \(restarts) restarts, \(stoppedSpells) stopped spells")
            if let first = (0..<min(got.count, want.count)).first(where: { got[$0] != want[$0] }) {
                Issue.record("seed \(seed), \(chain.path): item \(first) is \(got[first]), expected \(want[first])")
            }
        }
        #expect(rotations > 0 && restarts > 0, "the run exercised rotations and restarts")
    }
}
