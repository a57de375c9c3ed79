#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash table from byte strings to small integers that looks keys up without allocating.
///
/// The per-event index lookup hashes the event's `action` bytes in place; a Swift Dictionary would
/// need a fresh `[UInt8]` key (and its hashing) for every event.
struct ByteKeyTable {
    private struct Slot {
        var hash: UInt64
        var offset: Int32
        var length: Int32
        var value: Int32
    }

    private var slots: [Slot]
    private var keys: [UInt8] = []
    private(set) var count = 0
    /// Bytes of all keys held (callers bound it; offsets are 32-bit).
    var keyBytes: Int { keys.count }

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(hash: 0, offset: 0, length: -1, value: 0), count: size)
    }

    /// 8 bytes per step (actions are 20-60 bytes), no allocation.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 32)
    }

    func value(for key: UnsafeRawBufferPointer) -> Int32? {
        let h = Self.hash(key)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return keys.withUnsafeBytes { stored in
            while true {
                let slot = slots[i]
                if slot.length < 0 { return nil }
                if slot.hash == h, Int(slot.length) == key.count,
                   key.count == 0 || memcmp(stored.baseAddress! + Int(slot.offset), key.baseAddress!, key.count) == 0 {
                    return slot.value
                }
                i = (i + 1) & mask
            }
        }
    }

    mutating func insert(_ key: UnsafeRawBufferPointer, value: Int32) {
        if (count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(key)
        let offset = Int32(keys.count)
        keys.append(contentsOf: key)
        place(Slot(hash: h, offset: offset, length: Int32(key.count), value: value))
        count += 1
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i].length = -1 }
        keys.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: slot.hash) & mask
        while slots[i].length >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, offset: 0, length: -1, value: 0), count: old.count * 2)
        for slot in old where slot.length >= 0 { place(slot) }
    }
}
