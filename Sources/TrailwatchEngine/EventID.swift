/// An event id as rule state keeps it: hexadecimal ids packed into 16 bytes, any other text as a `String`.
///
/// Every kept event holds its id until the group fires, so with a million `threshold` groups the ids are
/// a large part of the engine's memory. Activity Tracker ids are 32 hexadecimal digits or UUIDs: as a
/// `String` each is a heap allocation of 80 bytes; packed, it lives inline. Ids of up to 15 bytes are
/// inline in `String` already. Each text has exactly one form (case and layout are part of it), so
/// equality and hashing of the stored form are those of the text.
struct EventID: Hashable, Sendable {
    private enum Storage: Hashable, Sendable {
        case packed(UInt64, UInt64, HexLayout)
        case text(String)
    }

    /// How a packed id was written: 32 digits or 8-4-4-4-12 with dashes, lower or upper case.
    private enum HexLayout: UInt8, Hashable, Sendable {
        case plainLower, plainUpper, dashedLower, dashedUpper

        var dashed: Bool { self == .dashedLower || self == .dashedUpper }
        var upper: Bool { self == .plainUpper || self == .dashedUpper }
    }

    private var storage: Storage

    init(_ text: String) {
        var text = text
        storage = text.withUTF8 { Self.pack($0) } ?? .text(text)
    }

    /// From the event's bytes: a packed id needs no `String` at all.
    init(utf8 bytes: UnsafeRawBufferPointer) {
        storage = Self.pack(bytes.assumingMemoryBound(to: UInt8.self))
            ?? .text(String(decoding: bytes, as: UTF8.self))
    }

    var text: String {
        switch storage {
        case .text(let s): return s
        case .packed(let high, let low, let layout): return Self.unpack(high, low, layout)
        }
    }

    /// Per byte: its hex digit value, plus `lowerLetter` or `upperLetter`; `invalid` for anything else.
    private static let hexTable: [UInt8] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(b) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): (UInt8(b) - UInt8(ascii: "a") + 10) | lowerLetter
        case UInt8(ascii: "A")...UInt8(ascii: "F"): (UInt8(b) - UInt8(ascii: "A") + 10) | upperLetter
        default: invalid
        }
    }
    private static let lowerLetter: UInt8 = 0x10, upperLetter: UInt8 = 0x20, invalid: UInt8 = 0x40

    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> Storage? {
        let dashed: Bool
        switch bytes.count {
        case 32: dashed = false
        case 36: dashed = true
        default: return nil
        }
        if dashed {
            for i in [8, 13, 18, 23] where bytes[i] != UInt8(ascii: "-") { return nil }
        }
        var high: UInt64 = 0, low: UInt64 = 0
        var flags: UInt8 = 0
        var digits = 0
        hexTable.withUnsafeBufferPointer { table in
            for b in bytes {
                let v = table[Int(b)]
                if dashed && b == UInt8(ascii: "-") { continue }  // the four dashes: checked above, or too many
                flags |= v
                if digits < 16 { high = high << 4 | UInt64(v & 0xF) } else { low = low << 4 | UInt64(v & 0xF) }
                digits += 1
            }
        }
        // Mixed case has no single layout to write back: kept as text. All-digit ids read back lower case.
        guard digits == 32, flags & invalid == 0, flags & (lowerLetter | upperLetter) != lowerLetter | upperLetter else {
            return nil
        }
        let upper = flags & upperLetter != 0
        let layout: HexLayout = dashed ? (upper ? .dashedUpper : .dashedLower) : (upper ? .plainUpper : .plainLower)
        return .packed(high, low, layout)
    }

    private static func unpack(_ high: UInt64, _ low: UInt64, _ layout: HexLayout) -> String {
        let alphabet: StaticString = layout.upper ? "0123456789ABCDEF" : "0123456789abcdef"
        let count = layout.dashed ? 36 : 32
        return String(unsafeUninitializedCapacity: count) { out in
            alphabet.withUTF8Buffer { hex in
                var o = 0
                for digit in 0..<32 {
                    if layout.dashed && (digit == 8 || digit == 12 || digit == 16 || digit == 20) {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    let word = digit < 16 ? high : low
                    out[o] = hex[Int(word >> UInt64(60 - 4 * (digit % 16)) & 0xF)]
                    o += 1
                }
            }
            return count
        }
    }
}
