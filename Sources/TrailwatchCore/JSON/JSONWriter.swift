/// Compact JSON output: alerts on standard output, group values, rendered templates.
///
/// Non-ASCII text is written as UTF-8, not `\u` escapes, so alerts stay readable.
public enum JSONWriter {
    public static func write(_ value: JSONValue, to out: inout [UInt8], canonical: Bool = false) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: (canonical ? n.canonicalDescription : n.description).utf8)
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out, canonical: canonical)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            var list = members
            if canonical {
                if members.count <= 8 && !hasEqualKeys(members) {
                    // The usual small object with distinct keys (a group, an alert id's input): sorting alone
                    // gives what the dictionary below gives.
                    list = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                } else {
                    var seen = [String: JSONValue]()
                    for m in members { seen[m.key] = m.value }
                    list = seen.map { JSONMember($0.key, $0.value) }
                        .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                }
            }
            out.append(UInt8(ascii: "{"))
            for (i, member) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, to: &out, canonical: canonical)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether two members have equal keys (as strings: canonically equivalent keys are one key).
    private static func hasEqualKeys(_ members: [JSONMember]) -> Bool {
        for i in members.indices {
            for j in members.indices where j > i && members[i].key == members[j].key { return true }
        }
        return false
    }

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        var copy = s
        copy.withUTF8 { writeString(bytes: $0, to: &out) }
    }

    /// Writes `bytes` (UTF-8) as a quoted, escaped JSON string.
    public static func writeString(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var start = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            start = i + 1
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }
}
