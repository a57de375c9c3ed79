/// Event time in trailwatch: milliseconds since the Unix epoch, UTC.
///
/// Milliseconds are the unit of the rule language (alert times, the smallest duration unit), so
/// windows compare exactly as the contract writes them; finer fractional digits are truncated.
public enum EventTime {
    /// Parses RFC 3339 (`Z`, `±hh:mm`, or `±hhmm`; 0 to 9 fractional digits), as Activity Tracker writes it.
    ///
    /// Returns nil for anything else, including impossible dates (`2026-02-30`), hour 24 and second 60.
    public static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var p = text.startIndex
        let end = text.endIndex
        func digits(_ n: Int) -> Int? {
            guard end - p >= n else { return nil }
            var v = 0
            for _ in 0..<n {
                let d = Int(text[p]) &- 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
                p += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard p < end, text[p] == c else { return false }
            p += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
              let day = digits(2) else { return nil }
        guard p < end, text[p] == UInt8(ascii: "T") || text[p] == UInt8(ascii: "t") || text[p] == UInt8(ascii: " ")
        else { return nil }
        p += 1
        guard let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2), expect(UInt8(ascii: ":")),
              let second = digits(2) else { return nil }
        var millis = 0
        if p < end, text[p] == UInt8(ascii: ".") {
            p += 1
            var count = 0
            while p < end, text[p] >= 48, text[p] <= 57 {
                if count < 3 { millis = millis * 10 + Int(text[p] - 48) }
                count += 1
                p += 1
            }
            guard count >= 1, count <= 9 else { return nil }
            if count < 3 { for _ in count..<3 { millis *= 10 } }
        }
        guard p < end else { return nil }
        var offsetMinutes = 0
        switch text[p] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            p += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = text[p] == UInt8(ascii: "-") ? -1 : 1
            p += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(UInt8(ascii: ":"))
            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        default:
            return nil
        }
        guard p == end else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 59, year >= 1 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    /// Parses a stream's times, remembering the last one's minute: consecutive events mostly share it, and
    /// then only the seconds, fraction and offset are read. Same results as `parse`.
    ///
    /// The common layout, `YYYY-MM-DDTHH:MM:SS`, then `.` and 1 to 9 digits or nothing, then `Z`, `±hh:mm` or
    /// `±hhmm` (every event of the corpus), is read at fixed places without closures (`parse` took about 420
    /// instructions); anything else, or a value that path refuses, goes to `parse`, which decides.
    public struct StreamParser {
        /// The first 16 bytes (`YYYY-MM-DDTHH:MM`) of the last time in the common layout, and that minute.
        private var minute: (prefix: (UInt64, UInt64), millis: Int64)?

        public init() {}

        public mutating func parse(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
            guard text.count >= 20, let b = text.baseAddress else { return EventTime.parse(text) }
            let raw = UnsafeRawPointer(b)
            let prefix = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let minuteMillis: Int64
            if let minute, minute.prefix == prefix {
                minuteMillis = minute.millis
            } else {
                guard let millis = EventTime.minuteOfCommonLayout(b) else { return EventTime.parse(text) }
                minute = (prefix, millis)
                minuteMillis = millis
            }
            guard let rest = EventTime.restOfCommonLayout(b, count: text.count) else { return EventTime.parse(text) }
            return minuteMillis + rest
        }
    }

    /// The first 16 bytes, `YYYY-MM-DDTHH:MM`: milliseconds since the epoch at that minute, before the offset.
    /// At least 16 bytes must be readable.
    @inline(__always)
    static func minuteOfCommonLayout(_ b: UnsafePointer<UInt8>) -> Int64? {
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":") else { return nil }
        var bad = false
        @inline(__always) func digit(_ i: Int) -> Int {
            let v = Int(b[i]) &- 48
            bad = bad || UInt(bitPattern: v) > 9
            return v
        }
        let year = digit(0) &* 1000 &+ digit(1) &* 100 &+ digit(2) &* 10 &+ digit(3)
        let month = digit(5) &* 10 &+ digit(6), day = digit(8) &* 10 &+ digit(9)
        let hour = digit(11) &* 10 &+ digit(12), minute = digit(14) &* 10 &+ digit(15)
        guard !bad, month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year), hour <= 23,
              minute <= 59, year >= 1 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return (Int64(days) &* 86_400 &+ Int64(hour &* 3600 &+ minute &* 60)) &* 1000
    }

    /// From byte 16 on, `:SS[.fraction](Z|±hh:mm|±hhmm)` to the end: milliseconds to add to the minute, the
    /// offset taken off. `count` is at least 20.
    @inline(__always)
    static func restOfCommonLayout(_ b: UnsafePointer<UInt8>, count n: Int) -> Int64? {
        guard b[16] == UInt8(ascii: ":") else { return nil }
        var bad = false
        @inline(__always) func digit(_ i: Int) -> Int {
            let v = Int(b[i]) &- 48
            bad = bad || UInt(bitPattern: v) > 9
            return v
        }
        let second = digit(17) &* 10 &+ digit(18)
        guard !bad, second <= 59 else { return nil }
        var p = 19
        var millis = 0
        if b[p] == UInt8(ascii: ".") {
            p += 1
            let start = p
            while p < n, UInt8(truncatingIfNeeded: Int(b[p]) &- 48) <= 9 {
                if p - start < 3 { millis = millis &* 10 &+ Int(b[p] &- 48) }
                p += 1
            }
            let count = p - start
            guard count >= 1, count <= 9 else { return nil }
            if count == 1 { millis &*= 100 } else if count == 2 { millis &*= 10 }
        }
        var offsetMinutes = 0
        guard p < n else { return nil }
        if b[p] == UInt8(ascii: "Z") {
            guard p + 1 == n else { return nil }
        } else if b[p] == UInt8(ascii: "+") || b[p] == UInt8(ascii: "-") {
            let colon = p + 6 == n && b[p + 3] == UInt8(ascii: ":")
            guard colon || p + 5 == n else { return nil }
            let oh = digit(p + 1) &* 10 &+ digit(p + 2)
            let om = colon ? digit(p + 4) &* 10 &+ digit(p + 5) : digit(p + 3) &* 10 &+ digit(p + 4)
            guard !bad, oh <= 23, om <= 59 else { return nil }
            offsetMinutes = b[p] == UInt8(ascii: "-") ? -(oh &* 60 &+ om) : oh &* 60 &+ om
        } else {
            return nil
        }
        return Int64(second &* 1000 &+ millis) &- Int64(offsetMinutes) &* 60_000
    }

    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// Formats as the alerts' `time`: RFC 3339, UTC, milliseconds, `Z` (`2026-03-01T10:00:05.000Z`).
    public static func format(_ millis: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        format(millis, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same, appended to `out` (every alert written carries one: no temporary arrays).
    public static func format(_ millis: Int64, to out: inout [UInt8]) {
        let (secondsTotal, ms) = floorDivide(millis, 1000)
        let (days, secondOfDay) = floorDivide(secondsTotal, 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        let hour = Int(secondOfDay / 3600), minute = Int(secondOfDay / 60 % 60), second = Int(secondOfDay % 60)
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(y, 4); out.append(UInt8(ascii: "-")); put(m, 2); out.append(UInt8(ascii: "-")); put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(hour, 2); out.append(UInt8(ascii: ":")); put(minute, 2); out.append(UInt8(ascii: ":")); put(second, 2)
        out.append(UInt8(ascii: ".")); put(Int(ms), 3); out.append(UInt8(ascii: "Z"))
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
