#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One rule's groups: key bytes in an arena, values in dense chunks, a hash index of 8-byte buckets.
///
/// A rule grouping by user or address holds a group per value seen, a million of them in a large account.
/// As a `Dictionary<GroupKey, Value>` each group cost a heap array for its key plus a bucket of key and
/// value at a load of 3/8 to 3/4, and every resize held the old and new tables at once. Here a group costs
/// its key bytes (plus a 4-byte length), one value slot and about two index buckets, and growing copies
/// only the index.
///
/// Keys are hashed with the standard library's per-process seeded `Hasher`: group values come from
/// events, so an unseeded hash would let crafted values pile into one probe chain.
struct GroupTable<Value> {
    /// Where a group's value lives; stable while the group exists.
    typealias Slot = Int32

    private struct Entry {
        var key: ByteArena.Ref
        var value: Value?
    }

    /// Linear probing; each bucket is `hash32 << 32 | slot + 1`, 0 when empty.
    private var buckets = [UInt64](repeating: 0, count: 16)
    private var keyArena = ByteArena()
    private var entries = ChunkedArray<Entry>()
    private var freeSlots: [Slot] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    // MARK: By key

    func slot(for key: GroupKey) -> Slot? {
        key.bytes.withUnsafeBytes { bytes in
            let hash = Self.hash(bytes)
            return find(bytes, hash: hash).slot
        }
    }

    subscript(key: GroupKey) -> Value? {
        get { slot(for: key).map { self[$0] } }
        set {
            if let newValue {
                let (slot, inserted) = insertSlot(key, newValue)
                if !inserted { self[slot] = newValue }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Runs `body` on the group's value in place, inserting `make()` first for a new key: one hash and probe.
    @inline(__always)
    mutating func withValue<R>(for key: GroupKey, default make: () -> Value, _ body: (inout Value) -> R) -> R {
        let (slot, _) = insertSlot(key, nil, make)
        return body(&self[slot])
    }

    @discardableResult
    mutating func removeValue(forKey key: GroupKey) -> Value? {
        guard let slot = slot(for: key) else { return nil }
        let value = self[slot]
        remove(at: slot)
        return value
    }

    mutating func removeAll() { self = GroupTable() }

    // MARK: By slot

    subscript(slot: Slot) -> Value {
        get { entries[Int(slot)].value! }
        _modify { yield &entries[Int(slot)].value! }
        set { entries[Int(slot)].value = newValue }
    }

    func key(at slot: Slot) -> GroupKey {
        GroupKey(bytes: keyArena.bytes(at: entries[Int(slot)].key))
    }

    /// Every group, in slot order (stable for a given history of inserts and removals).
    func forEach(_ body: (GroupKey, Value) throws -> Void) rethrows {
        for i in 0..<entries.count {
            guard let value = entries[i].value else { continue }
            try body(GroupKey(bytes: keyArena.bytes(at: entries[i].key)), value)
        }
    }

    var keys: [GroupKey] {
        var out: [GroupKey] = []
        out.reserveCapacity(count)
        forEach { key, _ in out.append(key) }
        return out
    }

    var values: [Value] {
        var out: [Value] = []
        out.reserveCapacity(count)
        forEach { _, value in out.append(value) }
        return out
    }

    mutating func remove(at slot: Slot) {
        let entry = entries[Int(slot)]
        let bucket = keyArena.withBytes(at: entry.key) { find($0, hash: Self.hash($0)).bucket }
        if let bucket { removeBucket(bucket) }
        keyArena.release(entry.key)
        entries[Int(slot)].value = nil
        freeSlots.append(slot)
        count -= 1
        if keyArena.shouldCompact { compactKeys() }
    }

    // MARK: Internals

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The bucket holding `bytes`, or nil with the empty bucket where it would go.
    private func find(_ bytes: UnsafeRawBufferPointer, hash: UInt32) -> (slot: Slot?, bucket: Int?, empty: Int) {
        let mask = buckets.count - 1
        var i = Int(hash) & mask
        return buckets.withUnsafeBufferPointer { b in
            while true {
                let bucket = b[i]
                if bucket == 0 { return (nil, nil, i) }
                if UInt32(truncatingIfNeeded: bucket >> 32) == hash {
                    let slot = Slot(truncatingIfNeeded: bucket & 0xFFFF_FFFF) - 1
                    if keyArena.equals(entries[Int(slot)].key, bytes) { return (slot, i, i) }
                }
                i = (i + 1) & mask
            }
        }
    }

    /// The slot of `key`, inserting `value` (or `make()`) when it is new.
    private mutating func insertSlot(_ key: GroupKey, _ value: Value?, _ make: () -> Value = { fatalError() })
        -> (slot: Slot, inserted: Bool) {
        key.bytes.withUnsafeBytes { bytes in
            let hash = Self.hash(bytes)
            let found = find(bytes, hash: hash)
            if let slot = found.slot { return (slot, false) }
            let entry = Entry(key: keyArena.append(bytes), value: value ?? make())
            let slot: Slot
            if let free = freeSlots.popLast() {
                slot = free
                entries[Int(slot)] = entry
            } else {
                slot = Slot(entries.count)
                entries.append(entry)
            }
            buckets[found.empty] = UInt64(hash) << 32 | UInt64(UInt32(slot) + 1)
            count += 1
            if count * 10 > buckets.count * 7 { growBuckets() }
            return (slot, true)
        }
    }

    /// Backward-shift deletion: later members of the probe chain move up, so no tombstones are needed.
    private mutating func removeBucket(_ removed: Int) {
        let mask = buckets.count - 1
        var hole = removed
        var i = (removed + 1) & mask
        while buckets[i] != 0 {
            let home = Int(UInt32(truncatingIfNeeded: buckets[i] >> 32)) & mask
            // Move it into the hole unless its home lies cyclically in (hole, i].
            let stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !stays {
                buckets[hole] = buckets[i]
                hole = i
            }
            i = (i + 1) & mask
        }
        buckets[hole] = 0
    }

    private mutating func growBuckets() {
        let old = buckets
        buckets = [UInt64](repeating: 0, count: old.count * 2)
        let mask = buckets.count - 1
        for bucket in old where bucket != 0 {
            var i = Int(UInt32(truncatingIfNeeded: bucket >> 32)) & mask
            while buckets[i] != 0 { i = (i + 1) & mask }
            buckets[i] = bucket
        }
    }

    /// Copies live keys into a fresh arena once removed ones take most of it.
    private mutating func compactKeys() {
        var fresh = ByteArena()
        for i in 0..<entries.count where entries[i].value != nil {
            let ref = entries[i].key
            entries[i].key = keyArena.withBytes(at: ref) { fresh.append($0) }
        }
        keyArena = fresh
    }
}

/// Byte strings appended into 1 MiB chunks (a longer one gets a chunk of its own), each with a 4-byte
/// length: no allocation per string, and growing never copies what is stored.
struct ByteArena {
    /// Chunk index in the high 32 bits, offset of the length prefix in the low 32.
    typealias Ref = UInt64

    static let chunkSize = 1 << 20

    private var chunks: [[UInt8]] = []
    private(set) var liveBytes = 0
    private(set) var releasedBytes = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Ref {
        let needed = 4 + bytes.count
        if chunks.isEmpty || chunks[chunks.count - 1].capacity - chunks[chunks.count - 1].count < needed {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(max(Self.chunkSize, needed))
            chunks.append(chunk)
        }
        let index = chunks.count - 1
        let offset = chunks[index].count
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { chunks[index].append(contentsOf: $0) }
        chunks[index].append(contentsOf: bytes)
        liveBytes += needed
        return UInt64(index) << 32 | UInt64(offset)
    }

    @inline(__always)
    func withBytes<R>(at ref: Ref, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let offset = Int(ref & 0xFFFF_FFFF)
        return try chunks[Int(ref >> 32)].withUnsafeBytes { chunk in
            let length = Int(chunk.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            return try body(UnsafeRawBufferPointer(rebasing: chunk[offset + 4 ..< offset + 4 + length]))
        }
    }

    func bytes(at ref: Ref) -> [UInt8] { withBytes(at: ref) { [UInt8]($0) } }

    @inline(__always)
    func equals(_ ref: Ref, _ other: UnsafeRawBufferPointer) -> Bool {
        withBytes(at: ref) { stored in
            stored.count == other.count
                && (stored.count == 0 || memcmp(stored.baseAddress!, other.baseAddress!, stored.count) == 0)
        }
    }

    mutating func release(_ ref: Ref) {
        let size = withBytes(at: ref) { 4 + $0.count }
        liveBytes -= size
        releasedBytes += size
    }

    /// Worth compacting once released bytes outweigh live ones (and more than a chunk is at stake).
    var shouldCompact: Bool { releasedBytes > Self.chunkSize && releasedBytes > liveBytes }
}

/// An array in fixed chunks of 1,024: growing allocates one more chunk instead of copying everything,
/// so a large table never holds two copies of its values at once.
struct ChunkedArray<Element> {
    private static var shift: Int { 10 }
    private var chunks: [[Element]] = []
    private(set) var count = 0

    mutating func append(_ element: Element) {
        if count & ((1 << Self.shift) - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(1 << Self.shift)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    subscript(i: Int) -> Element {
        @inline(__always) get { chunks[i >> Self.shift][i & ((1 << Self.shift) - 1)] }
        @inline(__always) _modify { yield &chunks[i >> Self.shift][i & ((1 << Self.shift) - 1)] }
        @inline(__always) set { chunks[i >> Self.shift][i & ((1 << Self.shift) - 1)] = newValue }
    }
}
