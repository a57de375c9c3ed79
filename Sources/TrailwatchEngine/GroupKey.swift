import CSimdJSON
import Foundation
import TrailwatchCore
import TrailwatchEvents

/// Identity of a group: the `group_by` values, equal when the tuples are JSON-equal (rules.md §9).
///
/// Encoded as bytes (type tag + canonical text per value) so hashing needs no JSON tree.
struct GroupKey: Hashable, Sendable, Codable {
    var bytes: [UInt8]

    static let none = GroupKey(bytes: [])

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Hashes the bytes in one call; the synthesized conformance would feed the hasher byte by byte.
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: GroupKey, b: GroupKey) -> Bool { a.bytes == b.bytes }

    /// Saved as base64 text (compact, and any byte survives).
    init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text) else { throw SnapshotError.corrupt("group key is not base64") }
        bytes = [UInt8](data)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Data(bytes).base64EncodedString())
    }

    /// Appends one value's canonical encoding (also used for `distinct` and `new-value` values).
    static func append(_ v: tw_value, to out: inout [UInt8]) {
        switch UInt32(v.kind) {
        case TW_STRING.rawValue:
            out.append(UInt8(ascii: "s"))
            appendLength(v.len, to: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(start: v.ptr, count: v.len))
        case TW_NUMBER.rawValue:
            let n = v.is_integer != 0 ? JSONNumber(integer: v.integer) : JSONNumber(v.number)
            let text = n.canonicalDescription
            out.append(UInt8(ascii: "n"))
            appendLength(text.utf8.count, to: &out)
            out.append(contentsOf: text.utf8)
        case TW_TRUE.rawValue: out.append(UInt8(ascii: "t"))
        case TW_FALSE.rawValue: out.append(UInt8(ascii: "f"))
        case TW_OBJECT.rawValue, TW_ARRAY.rawValue:
            let text = FieldValue(v).jsonValue?.canonicalText ?? "null"
            out.append(UInt8(ascii: "j"))
            appendLength(text.utf8.count, to: &out)
            out.append(contentsOf: text.utf8)
        default:
            out.append(UInt8(ascii: "z"))  // null or missing
        }
    }

    private static func appendLength(_ n: Int, to out: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: n).littleEndian) { out.append(contentsOf: $0) }
    }

    /// True when every value at `groupSlots` can be read back from the key as written (strings, booleans,
    /// null, missing); numbers and JSON keep only a canonical form, so their members must be stored.
    static func keepsMembers(slots: UnsafePointer<tw_value>, groupSlots: [Int]) -> Bool {
        groupSlots.allSatisfy { slot in
            switch UInt32(slots[slot].kind) {
            case TW_NUMBER.rawValue, TW_OBJECT.rawValue, TW_ARRAY.rawValue: false
            default: true
            }
        }
    }

    /// The `group` object read back from the key (see `keepsMembers`); a number or JSON value comes back
    /// in its canonical form.
    func members(paths: [FieldPath]) -> [JSONMember] {
        var out: [JSONMember] = []
        out.reserveCapacity(paths.count)
        var i = 0
        func length() -> Int {
            guard i + 4 <= bytes.count else { return 0 }
            let n = Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
            i += 4
            return min(n, bytes.count - i)
        }
        func text() -> String {
            let n = length()
            defer { i += n }
            return String(decoding: bytes[i..<i + n], as: UTF8.self)
        }
        for path in paths {
            guard i < bytes.count else {
                out.append(JSONMember(path.text, .null))
                continue
            }
            let tag = bytes[i]
            i += 1
            let value: JSONValue
            switch tag {
            case UInt8(ascii: "s"): value = .string(text())
            case UInt8(ascii: "t"): value = .bool(true)
            case UInt8(ascii: "f"): value = .bool(false)
            case UInt8(ascii: "n"), UInt8(ascii: "j"): value = JSONValue(jsonText: text()) ?? .null
            default: value = .null
            }
            out.append(JSONMember(path.text, value))
        }
        return out
    }

    /// The alert's `group` object: each path with its value, null when missing.
    static func members(slots: UnsafePointer<tw_value>, groupSlots: [Int], paths: [FieldPath]) -> [JSONMember] {
        zip(paths, groupSlots).map { JSONMember($0.text, FieldValue(slots[$1]).jsonValue ?? .null) }
    }
}
