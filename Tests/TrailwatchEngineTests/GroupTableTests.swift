import Testing
@testable import TrailwatchCorpus
@testable import TrailwatchEngine

/// The packed group table against a `Dictionary` doing the same operations.
@Suite struct GroupTableTests {
    func key(_ n: Int, length: Int = 0) -> GroupKey {
        GroupKey(bytes: Array("k\(n)".utf8) + [UInt8](repeating: UInt8(n & 0x7f), count: length))
    }

    func expectSame(_ table: GroupTable<Int>, _ model: [GroupKey: Int]) {
        #expect(table.count == model.count)
        var seen: [GroupKey: Int] = [:]
        table.forEach { key, value in seen[key] = value }
        #expect(seen == model)
        #expect(Set(table.keys) == Set(model.keys))
        #expect(table.values.sorted() == model.values.sorted())
    }

    @Test("random inserts, updates and removals agree with a Dictionary, through growth and slot reuse")
    func randomOperations() {
        var rng = Rand(seed: 7, stream: 0)  // seeded, so a failure replays
        var table = GroupTable<Int>()
        var model: [GroupKey: Int] = [:]
        for step in 0..<60_000 {
            let k = key(rng.below(5_000))
            switch rng.below(10) {
            case 0..<4:
                table[k] = step
                model[k] = step
            case 4..<6:
                let added = table.withValue(for: k, default: { -1 }) { value -> Int in
                    value += 1
                    return value
                }
                model[k, default: -1] += 1
                #expect(added == model[k])
            case 6..<8:
                #expect(table.removeValue(forKey: k) == model.removeValue(forKey: k))
            default:
                #expect(table[k] == model[k])
                #expect((table.slot(for: k) != nil) == (model[k] != nil))
            }
        }
        expectSame(table, model)
        for k in model.keys { #expect(table.key(at: table.slot(for: k)!) == k) }
    }

    @Test("removing every key leaves an empty table whose probe chains still find re-inserted keys")
    func removeAllOneByOne() {
        var table = GroupTable<Int>()
        for n in 0..<10_000 { table[key(n)] = n }
        for n in stride(from: 0, to: 10_000, by: 2) { table[key(n)] = nil }
        for n in stride(from: 1, to: 10_000, by: 2) { #expect(table[key(n)] == n) }
        for n in stride(from: 1, to: 10_000, by: 2) { table.removeValue(forKey: key(n)) }
        #expect(table.isEmpty && table.keys.isEmpty)
        for n in 0..<100 { table[key(n)] = n * 2 }
        for n in 0..<100 { #expect(table[key(n)] == n * 2) }
        #expect(table[key(100)] == nil)
    }

    @Test("long keys: a key longer than an arena chunk, and compaction after most keys are removed")
    func longKeysAndCompaction() {
        var table = GroupTable<Int>()
        let huge = GroupKey(bytes: [UInt8](repeating: 0xAB, count: ByteArena.chunkSize + 10))
        table[huge] = 1
        var model: [GroupKey: Int] = [huge: 1]
        // 3,000 keys of 2 KiB: about 6 MiB of key bytes, then remove 90 % of them so compaction runs.
        for n in 0..<3_000 {
            table[key(n, length: 2_048)] = n
            model[key(n, length: 2_048)] = n
        }
        for n in 0..<3_000 where n % 10 != 0 {
            table.removeValue(forKey: key(n, length: 2_048))
            model.removeValue(forKey: key(n, length: 2_048))
        }
        expectSame(table, model)
        #expect(table[huge] == 1)
        #expect(table.key(at: table.slot(for: huge)!) == huge)
    }

    @Test("the empty key is a key like any other")
    func emptyKey() {
        var table = GroupTable<String>()
        table[.none] = "all"
        #expect(table[.none] == "all" && table.count == 1)
        #expect(table.keys == [GroupKey.none])
        table[.none] = nil
        #expect(table.isEmpty)
    }
}
