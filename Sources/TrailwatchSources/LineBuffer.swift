#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read from a descriptor, split into lines in place: no copy and no allocation per line.
///
/// Memory stays bounded by `maximumLineBytes` plus one read: a line over the limit is counted and
/// discarded chunk by chunk while it is read, never held whole. Every line handed out has at least
/// `SourceLimits.padding` readable bytes after it (the storage carries that much slack at its end).
///
/// Items are taken in two steps, `peek` then `commit`, so that an item whose consumer throws is offered
/// again instead of being lost.
final class LineBuffer {
    /// A complete item found in the buffer.
    enum Item: Equatable {
        /// `length` bytes at `start` (an index into the storage); `consumed` includes the newline, if any.
        case line(start: Int, length: Int, consumed: Int)
        /// A line over the limit, already dropped from memory; `consumed` includes the newline, if any.
        case oversized(length: Int, consumed: Int)

        var consumed: Int {
            switch self {
            case .line(_, _, let consumed), .oversized(_, let consumed): consumed
            }
        }
    }

    static let initialCapacity = 64 * 1024
    /// The most one read adds beyond the longest line: reads grow up to this while data keeps coming.
    static let maximumReadBytes = 4 * 1024 * 1024

    let maximumLineBytes: Int
    let maximumCapacity: Int
    private(set) var capacity: Int
    private var storage: UnsafeMutableRawPointer
    /// First byte not yet consumed.
    private var start = 0
    /// One past the last byte read.
    private var end = 0
    /// Where the next newline search begins: `start..<scanned` is known to hold none.
    private var scanned = 0
    /// Bytes of an over-long line already discarded while its newline is still to come.
    private var skipped: Int?
    /// An over-long line whose end was found, awaiting `commit`.
    private var pendingOversized: Item?
    /// The last read filled all the space offered: more data is probably waiting, so grow.
    private var lastReadFilled = false

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = max(1, maximumLineBytes)
        let lineRoom = self.maximumLineBytes.addingReportingOverflow(1)
        let room = lineRoom.overflow ? Int.max / 2 : lineRoom.partialValue
        self.maximumCapacity = min(Int.max / 2, room + min(Self.maximumReadBytes, max(room, 64 * 1024)))
        self.capacity = min(Self.initialCapacity, maximumCapacity)
        self.storage = Self.allocate(capacity)
    }

    deinit { storage.deallocate() }

    private static func allocate(_ capacity: Int) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity + SourceLimits.padding, alignment: 64)
        // Zeroed once, so the padding read past a line is never uninitialized memory.
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity + SourceLimits.padding)
        return pointer
    }

    /// True when nothing is held: no bytes, no line being skipped.
    var isEmpty: Bool { start == end && skipped == nil && pendingOversized == nil }

    /// Bytes read but not consumed, including those of an over-long line already dropped.
    var unconsumedBytes: Int { (end - start) + (skipped ?? 0) + (pendingOversized?.consumed ?? 0) }

    /// The bytes of a `.line` item and how many are readable from its start.
    func bytes(of item: Item) -> (UnsafeRawBufferPointer, readable: Int) {
        guard case .line(let at, let length, _) = item else { return (UnsafeRawBufferPointer(start: nil, count: 0), 0) }
        return (UnsafeRawBufferPointer(start: storage + at, count: length), capacity + SourceLimits.padding - at)
    }

    /// The next complete line (or over-long line), or nil when more bytes are needed.
    func peek() -> Item? {
        if let pending = pendingOversized { return pending }
        if let dropped = skipped {
            if let newline = findNewline(from: start) {
                let length = dropped + (newline - start)
                advance(to: newline + 1)
                skipped = nil
                pendingOversized = .oversized(length: length, consumed: length + 1)
                return pendingOversized
            }
            // Still no end: drop what arrived and keep counting.
            skipped = dropped + (end - start)
            reset()
            return nil
        }
        if let newline = findNewline(from: scanned) {
            let length = newline - start
            if length > maximumLineBytes {
                advance(to: newline + 1)
                pendingOversized = .oversized(length: length, consumed: length + 1)
                return pendingOversized
            }
            return .line(start: start, length: length, consumed: length + 1)
        }
        scanned = end
        if end - start > maximumLineBytes {
            skipped = end - start
            reset()
        }
        return nil
    }

    /// What is left when no newline will ever come (the file was rotated away, deleted or truncated,
    /// or standard input ended): the partial line as an item, or nil when nothing is held.
    func peekTail() -> Item? {
        if let item = peek() { return item }
        if let dropped = skipped {
            let length = dropped + (end - start)
            skipped = nil
            reset()
            pendingOversized = .oversized(length: length, consumed: length)
            return pendingOversized
        }
        guard end > start else { return nil }
        return .line(start: start, length: end - start, consumed: end - start)
    }

    /// Consumes the item last returned by `peek` or `peekTail`.
    func commit(_ item: Item) {
        if pendingOversized != nil {
            pendingOversized = nil
        } else if case .line(let at, _, let consumed) = item {
            advance(to: at + consumed)
        }
        if start == end { reset() }
    }

    /// Drops everything held (the file was truncated or replaced).
    func clear() {
        skipped = nil
        pendingOversized = nil
        reset()
    }

    /// Space to read into, after making room: compacts, and grows while lines or reads need it.
    func reserve() -> UnsafeMutableRawBufferPointer {
        if start == end { reset() }
        let held = end - start
        if start > 0, capacity - end < capacity / 2 {
            (storage).copyMemory(from: storage + start, byteCount: held)
            scanned -= start
            start = 0
            end = held
        }
        if capacity < maximumCapacity, lastReadFilled || capacity - end < capacity / 4 {
            let grown = min(maximumCapacity, capacity * 2)
            let bigger = Self.allocate(grown)
            bigger.copyMemory(from: storage + start, byteCount: held)
            storage.deallocate()
            storage = bigger
            scanned -= start
            start = 0
            end = held
            capacity = grown
        }
        return UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
    }

    /// Records that `count` bytes were read into the space `reserve` returned.
    func didRead(_ count: Int, offered: Int) {
        end += count
        lastReadFilled = count == offered
    }

    private func findNewline(from index: Int) -> Int? {
        guard index < end, let found = memchr(storage + index, 0x0A, end - index) else { return nil }
        return storage.distance(to: UnsafeMutableRawPointer(found))
    }

    private func advance(to index: Int) {
        start = index
        scanned = index
    }

    private func reset() {
        start = 0
        end = 0
        scanned = 0
    }
}
