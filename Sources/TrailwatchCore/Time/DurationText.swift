/// Durations as rules write them: one or more `<integer><unit>`, units `d` `h` `m` `s` `ms`, largest first.
public enum DurationText {
    /// The duration in milliseconds, or nil when the text is not of that form (`"ten minutes"`, `"30m1h"`, `""`).
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var i = 0
        var total: Int64 = 0
        var lastRank = Int.max
        while i < bytes.count {
            var value: Int64 = 0
            let digitsStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
                guard !o1, !o2 else { return nil }
                value = a
                i += 1
            }
            guard i > digitsStart, i < bytes.count else { return nil }
            let unit: Int64, rank: Int
            switch bytes[i] {
            case UInt8(ascii: "d"): unit = 86_400_000; rank = 4; i += 1
            case UInt8(ascii: "h"): unit = 3_600_000; rank = 3; i += 1
            case UInt8(ascii: "s"): unit = 1000; rank = 1; i += 1
            case UInt8(ascii: "m"):
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "s") {
                    unit = 1; rank = 0; i += 2
                } else {
                    unit = 60_000; rank = 2; i += 1
                }
            default: return nil
            }
            guard rank < lastRank else { return nil }
            lastRank = rank
            let (part, o3) = value.multipliedReportingOverflow(by: unit)
            let (sum, o4) = total.addingReportingOverflow(part)
            guard !o3, !o4 else { return nil }
            total = sum
        }
        return total
    }

    /// The shortest text that parses back to `millis` (`90000` → `"1m30s"`).
    public static func format(_ millis: Int64) -> String {
        if millis == 0 { return "0s" }
        var rest = millis
        var out = ""
        for (unit, name) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")] {
            if rest >= unit {
                out += "\(rest / unit)\(name)"
                rest %= unit
            }
        }
        return out
    }
}
