// Byte-level JSON writing for the hot loop: no Foundation, no String building per event.

@inline(__always)
func put(_ b: inout [UInt8], _ s: StaticString) {
    b.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
}

/// A string pre-encoded as JSON string content (without quotes) in two forms: raw UTF-8, and with every
/// non-ASCII character written as `\uXXXX` (as Python's `ensure_ascii` does).
struct JStr {
    let raw: [UInt8]
    let ascii: [UInt8]
    let nonASCII: Bool

    init(_ s: String) {
        raw = jsonEscaped(s, ascii: false)
        let a = jsonEscaped(s, ascii: true)
        nonASCII = a != raw
        ascii = nonASCII ? a : raw
    }

    static let empty = JStr("")

    @inline(__always)
    func write(_ b: inout [UInt8], ascii asciiOnly: Bool) {
        b.append(contentsOf: asciiOnly ? ascii : raw)
    }
}

private let hexLower: [UInt8] = Array("0123456789abcdef".utf8)

/// JSON string content for `s`; used when building the entity pool, not per event.
func jsonEscaped(_ s: String, ascii: Bool) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 8)
    for scalar in s.unicodeScalars {
        let v = scalar.value
        switch v {
        case 0x22: out += [0x5C, 0x22]
        case 0x5C: out += [0x5C, 0x5C]
        case 0x0A: out += [0x5C, 0x6E]
        case 0x09: out += [0x5C, 0x74]
        case 0x0D: out += [0x5C, 0x72]
        case 0..<0x20: appendU(&out, v)
        case 0x20..<0x80: out.append(UInt8(v))
        default:
            if ascii {
                appendScalarEscaped(&out, v)
            } else {
                out += Array(String(scalar).utf8)
            }
        }
    }
    return out
}

@inline(__always)
private func appendU(_ b: inout [UInt8], _ v: UInt32) {
    b.append(0x5C)
    b.append(0x75)
    b.append(hexLower[Int(v >> 12) & 15])
    b.append(hexLower[Int(v >> 8) & 15])
    b.append(hexLower[Int(v >> 4) & 15])
    b.append(hexLower[Int(v) & 15])
}

/// `\uXXXX`, or a surrogate pair above U+FFFF.
@inline(__always)
private func appendScalarEscaped(_ b: inout [UInt8], _ v: UInt32) {
    if v >= 0x10000 {
        let u = v - 0x10000
        appendU(&b, 0xD800 + (u >> 10))
        appendU(&b, 0xDC00 + (u & 0x3FF))
    } else {
        appendU(&b, v)
    }
}

/// Decodes the UTF-8 sequence starting at `p[i]` (a lead byte ≥ 0x80; input is always valid) and returns (scalar, length).
@inline(__always)
private func decodeUTF8(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let c = UInt32(p[i])
    if c < 0xE0 {
        return (((c & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F), 2)
    } else if c < 0xF0 {
        return (((c & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F), 3)
    } else {
        return (
            ((c & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12) | ((UInt32(p[i + 2]) & 0x3F) << 6)
                | (UInt32(p[i + 3]) & 0x3F), 4
        )
    }
}

/// Appends `src` (UTF-8 text, here the inner JSON of a stringified `requestData`) as JSON string content.
func appendStringContent(_ src: [UInt8], into b: inout [UInt8], ascii: Bool) {
    src.withUnsafeBufferPointer { p in
        let n = p.count
        var runStart = 0
        var i = 0
        while i < n {
            let c = p[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C && c < 0x80 {
                i += 1
                continue
            }
            if c >= 0x80 && !ascii {
                i += 1
                continue
            }
            if runStart < i {
                b.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i]))
            }
            switch c {
            case 0x22:
                b.append(0x5C); b.append(0x22); i += 1
            case 0x5C:
                b.append(0x5C); b.append(0x5C); i += 1
            case 0x0A:
                b.append(0x5C); b.append(0x6E); i += 1
            case 0x09:
                b.append(0x5C); b.append(0x74); i += 1
            case 0x0D:
                b.append(0x5C); b.append(0x72); i += 1
            case 0..<0x20:
                appendU(&b, UInt32(c)); i += 1
            default:
                let (v, len) = decodeUTF8(p, i)
                appendScalarEscaped(&b, v)
                i += len
            }
            runStart = i
        }
        if runStart < n {
            b.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n]))
        }
    }
}

/// Appends JSON text `src`, turning every non-ASCII character into `\uXXXX` (valid because non-ASCII only occurs inside strings).
func appendASCIIFolded(_ src: [UInt8], into b: inout [UInt8]) {
    src.withUnsafeBufferPointer { p in
        let n = p.count
        var runStart = 0
        var i = 0
        while i < n {
            if p[i] < 0x80 {
                i += 1
                continue
            }
            if runStart < i {
                b.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i]))
            }
            let (v, len) = decodeUTF8(p, i)
            appendScalarEscaped(&b, v)
            i += len
            runStart = i
        }
        if runStart < n {
            b.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n]))
        }
    }
}

@inline(__always)
func appendDecimal(_ value: Int, _ b: inout [UInt8]) {
    var v = value
    if v < 0 {
        b.append(0x2D)
        v = -v
    }
    if v < 10 {
        b.append(UInt8(48 + v))
        return
    }
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
              UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &tmp) { t in
        while v > 0 {
            t[n] = UInt8(48 + v % 10)
            v /= 10
            n += 1
        }
        while n > 0 {
            n -= 1
            b.append(t[n])
        }
    }
}

@inline(__always)
func appendPadded(_ value: Int, width: Int, _ b: inout [UInt8]) {
    var div = 1
    for _ in 1..<width { div *= 10 }
    var v = value
    while div > 0 {
        b.append(UInt8(48 + (v / div) % 10))
        v %= div
        div /= 10
    }
}

@inline(__always)
func appendHex(_ value: UInt64, digits: Int, _ b: inout [UInt8]) {
    var shift = (digits - 1) * 4
    while shift >= 0 {
        b.append(hexLower[Int((value >> UInt64(shift)) & 15)])
        shift -= 4
    }
}

/// A random version-4 UUID in canonical form.
@inline(__always)
func appendUUID(_ rng: inout Rand, _ b: inout [UInt8]) {
    let a = rng.next()
    let c = rng.next()
    appendHex(a >> 32, digits: 8, &b)
    b.append(0x2D)
    appendHex((a >> 16) & 0xFFFF, digits: 4, &b)
    b.append(0x2D)
    appendHex(0x4000 | (a & 0x0FFF), digits: 4, &b)
    b.append(0x2D)
    appendHex(0x8000 | ((c >> 48) & 0x3FFF), digits: 4, &b)
    b.append(0x2D)
    appendHex(c & 0xFFFF_FFFF_FFFF, digits: 12, &b)
}

func uuidString(_ rng: inout Rand) -> String {
    var b: [UInt8] = []
    appendUUID(&rng, &b)
    return String(decoding: b, as: UTF8.self)
}

func hexString(_ rng: inout Rand, digits: Int) -> String {
    var b: [UInt8] = []
    var left = digits
    while left > 0 {
        let d = min(16, left)
        appendHex(rng.next(), digits: d, &b)
        left -= d
    }
    return String(decoding: b, as: UTF8.self)
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

// MARK: - Time

let microsPerSecond: Int64 = 1_000_000
let microsPerMinute: Int64 = 60 * microsPerSecond
let microsPerHour: Int64 = 60 * microsPerMinute
let microsPerDay: Int64 = 24 * microsPerHour

/// (year, month, day) for days since 1970-01-01 (Howard Hinnant's civil_from_days).
func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    var y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    if m <= 2 { y += 1 }
    return (Int(y), Int(m), Int(d))
}

/// "YYYY-MM-DD" for a UTC day, cached because it changes once a day.
struct DayCache {
    var day: Int64 = .min
    var text: [UInt8] = []

    mutating func date(forDay d: Int64) -> [UInt8] {
        if d != day {
            day = d
            let (y, m, dd) = civilFromDays(d)
            var t: [UInt8] = []
            appendPadded(y, width: 4, &t)
            t.append(0x2D)
            appendPadded(m, width: 2, &t)
            t.append(0x2D)
            appendPadded(dd, width: 2, &t)
            text = t
        }
        return text
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// RFC 3339 text for `micros` (UTC) with the given fraction digits (0–6) and zone style
/// (0 `+0000`, 1 `+00:00`, 2 `Z`), for log lines and README examples.
func appendTimestamp(_ micros: Int64, fraction: Int, zone: Int, days: inout DayCache, _ b: inout [UInt8]) {
    let day = floorDiv(micros, microsPerDay)
    let inDay = micros - day * microsPerDay
    b.append(contentsOf: days.date(forDay: day))
    b.append(0x54)  // T
    let secs = Int(inDay / microsPerSecond)
    appendPadded(secs / 3600, width: 2, &b)
    b.append(0x3A)
    appendPadded((secs / 60) % 60, width: 2, &b)
    b.append(0x3A)
    appendPadded(secs % 60, width: 2, &b)
    if fraction > 0 {
        b.append(0x2E)
        let us = Int(inDay % microsPerSecond)
        var div = 100_000
        for _ in 0..<fraction {
            b.append(UInt8(48 + (us / div) % 10))
            div /= 10
        }
    }
    switch zone {
    case 0: put(&b, "+0000")
    case 1: put(&b, "+00:00")
    default: b.append(0x5A)
    }
}

/// `micros` as `2026-03-01T10:00:00.000Z`, for documentation and reports.
func isoMillis(_ micros: Int64) -> String {
    var days = DayCache()
    var b: [UInt8] = []
    appendTimestamp(micros / 1000 * 1000, fraction: 3, zone: 2, days: &days, &b)
    return String(decoding: b, as: UTF8.self)
}
