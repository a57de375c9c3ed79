import Foundation
import TrailwatchCore

/// A kind's per-group state in the compact form the daemon commits after every batch.
///
/// The daemon writes each changed group once per batch; Foundation's `JSONEncoder` cost more per group
/// than evaluating the events that changed it, so records are length-prefixed binary. Engine snapshots
/// (reload, tests) stay JSON through `Codable`.
protocol GroupStateCoding {
    func write(to out: inout GroupRecordWriter)
    init(from input: inout GroupRecordReader) throws
}

/// The layout of a saved group record (`GroupRecord.state`).
///
/// `0x01`, suppression, the stored members as compact JSON text (absent when the key gives them back, as
/// in `GroupEntry`), then the kind's state. Records of earlier versions are JSON objects (first byte `{`)
/// and are still read.
enum GroupRecordFormat {
    static let binaryVersion: UInt8 = 1
    static let legacyJSONFirstByte = UInt8(ascii: "{")
}

/// Appends little-endian integers and length-prefixed bytes.
struct GroupRecordWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

    /// LEB128: counts and lengths are small.
    mutating func unsigned(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func optionalInt64(_ value: Int64?) {
        bool(value != nil)
        if let value { int64(value) }
    }

    mutating func data<C: Collection>(_ value: C) where C.Element == UInt8 {
        unsigned(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { data($0) }
    }

    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func event(_ ref: EventRef) {
        int64(ref.time)
        unsigned(ref.sequence)
        string(ref.id)
    }

    mutating func events(_ refs: [EventRef]) {
        unsigned(UInt64(refs.count))
        for ref in refs { event(ref) }
    }
}

/// Reads what `GroupRecordWriter` wrote; any overrun or bad value is `SnapshotError.corrupt`.
struct GroupRecordReader {
    private let bytes: [UInt8]
    private var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw SnapshotError.corrupt("group record ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let b: throw SnapshotError.corrupt("group record has \(b) where a boolean belongs")
        }
    }

    mutating func unsigned() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw SnapshotError.corrupt("group record has an overlong number") }
            value |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// A count of items each at least `minimumBytes` long, checked against what is left.
    mutating func count(minimumBytes: Int = 1) throws -> Int {
        let n = try unsigned()
        guard n <= UInt64(bytes.count - offset) / UInt64(max(1, minimumBytes)) else {
            throw SnapshotError.corrupt("group record announces more than it holds")
        }
        return Int(n)
    }

    mutating func int64() throws -> Int64 {
        guard bytes.count - offset >= 8 else { throw SnapshotError.corrupt("group record ends early") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return Int64(bitPattern: value)
    }

    mutating func optionalInt64() throws -> Int64? { try bool() ? try int64() : nil }

    mutating func data() throws -> ArraySlice<UInt8> {
        let n = try count()
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }

    mutating func optionalString() throws -> String? { try bool() ? try string() : nil }

    mutating func event() throws -> EventRef {
        let time = try int64()
        let sequence = try unsigned()
        return EventRef(time: time, sequence: sequence, id: try string())
    }

    mutating func events() throws -> [EventRef] {
        let n = try count(minimumBytes: 10)
        var refs: [EventRef] = []
        refs.reserveCapacity(n)
        for _ in 0..<n { refs.append(try event()) }
        return refs
    }
}

/// One group's whole record: what `KindRuntime.takeChanges` writes and `restoreGroups` reads.
struct GroupRecordCodec<State: GroupStateCoding> {
    /// `members`: the JSON text of `GroupEntry.storedMembers`, nil when the key gives them back.
    static func encode(members: String?, suppression: Suppression, state: State) -> [UInt8] {
        var out = GroupRecordWriter(capacity: 32 + (members?.utf8.count ?? 0))
        out.byte(GroupRecordFormat.binaryVersion)
        out.optionalInt64(suppression.lastSent)
        out.unsigned(UInt64(max(0, suppression.suppressed)))
        out.optionalString(members)
        state.write(to: &out)
        return out.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> (members: String?, suppression: Suppression, state: State) {
        var input = GroupRecordReader(bytes)
        let version = try input.byte()
        guard version == GroupRecordFormat.binaryVersion else {
            throw SnapshotError.corrupt("group record version \(version) is not supported")
        }
        let lastSent = try input.optionalInt64()
        let suppressed = Int(clamping: try input.unsigned())
        let members = try input.optionalString()
        let state = try State(from: &input)
        guard input.isAtEnd else { throw SnapshotError.corrupt("group record has bytes after its end") }
        return (members, Suppression(lastSent: lastSent, suppressed: suppressed), state)
    }
}

// MARK: The kinds' states

extension ThresholdState: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) { out.events(kept.all) }
    init(from input: inout GroupRecordReader) throws { self.init(kept: try input.events()) }
}

extension EveryState: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) {}
    init(from input: inout GroupRecordReader) throws { self.init() }
}

extension AbsenceState: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) {
        out.event(last)
        out.bool(fired)
        out.optionalString(sentAlert)
    }

    init(from input: inout GroupRecordReader) throws {
        self.init(last: try input.event(), fired: try input.bool(), sentAlert: try input.optionalString())
    }
}

extension DistinctState: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) {
        out.unsigned(UInt64(values.count))
        for (value, ref) in values {
            out.data(value.bytes)
            out.event(ref)
        }
    }

    init(from input: inout GroupRecordReader) throws {
        let n = try input.count(minimumBytes: 11)
        var values: [GroupKey: EventRef] = [:]
        values.reserveCapacity(n)
        for _ in 0..<n {
            let value = GroupKey(bytes: Array(try input.data()))
            values[value] = try input.event()
        }
        self.init(values: values)
    }
}

extension SequencePartial: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) {
        out.int64(start)
        out.events(events)
    }

    init(from input: inout GroupRecordReader) throws {
        self.init(start: try input.int64(), events: try input.events())
    }
}

extension Optional: GroupStateCoding where Wrapped: GroupStateCoding {
    func write(to out: inout GroupRecordWriter) {
        out.bool(self != nil)
        self?.write(to: &out)
    }

    init(from input: inout GroupRecordReader) throws {
        self = try input.bool() ? try Wrapped(from: &input) : nil
    }
}

/// `new-value`'s groups: the values seen.
extension Set: GroupStateCoding where Element == GroupKey {
    func write(to out: inout GroupRecordWriter) {
        out.unsigned(UInt64(count))
        for value in self { out.data(value.bytes) }
    }

    init(from input: inout GroupRecordReader) throws {
        let n = try input.count()
        self.init(minimumCapacity: n)
        for _ in 0..<n { insert(GroupKey(bytes: Array(try input.data()))) }
    }
}
