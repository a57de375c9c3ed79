import Crypto
import TrailwatchCore

/// Stable alert ids: the same rule, group and time always give the same id, in replay and live,
/// so receivers can drop repeats (rules.md §7).
enum AlertID {
    static func make(rule: String, group: [JSONMember], time: Int64) -> String {
        var input = Array(rule.utf8)
        input.append(0)
        input.append(contentsOf: JSONValue.object(group).canonicalText.utf8)
        input.append(0)
        input.append(contentsOf: String(time).utf8)
        let digest = SHA256.hash(data: input)
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest.prefix(12) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
