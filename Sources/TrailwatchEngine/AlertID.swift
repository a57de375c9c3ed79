import Crypto
import TrailwatchCore

/// Stable alert ids: the same rule, group and time always give the same id, in replay and live,
/// so receivers can drop repeats (rules.md §7).
enum AlertID {
    /// The first 12 bytes of SHA-256 over `rule`, 0, the group's canonical JSON, 0, `time` in decimal, as hex.
    static func make(rule: String, group: [JSONMember], time: Int64) -> String {
        var input: [UInt8] = []
        input.reserveCapacity(rule.utf8.count + 96)
        input.append(contentsOf: rule.utf8)
        input.append(0)
        JSONWriter.write(.object(group), to: &input, canonical: true)
        input.append(0)
        input.append(contentsOf: String(time).utf8)
        let digest = SHA256.hash(data: input)
        return String(unsafeUninitializedCapacity: 24) { out in
            let hex: StaticString = "0123456789abcdef"
            hex.withUTF8Buffer { hex in
                for (i, byte) in digest.prefix(12).enumerated() {
                    out[2 * i] = hex[Int(byte >> 4)]
                    out[2 * i + 1] = hex[Int(byte & 15)]
                }
            }
            return 24
        }
    }
}
