import Testing
@testable import TrailwatchCore

struct EventTimeTests {
    @Test(arguments: [
        ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00.000Z"),
        ("2019-05-30T18:42:48.96+0000", "2019-05-30T18:42:48.960Z"),
        ("2026-03-01T11:00:03.123+01:00", "2026-03-01T10:00:03.123Z"),
        ("2026-03-01T05:00:04.123456789-05:00", "2026-03-01T10:00:04.123Z"),
        ("2026-03-01T12:30:07.000+0230", "2026-03-01T10:00:07.000Z"),
        ("2024-02-29T23:59:59.9z", "2024-02-29T23:59:59.900Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ])
    func acceptsRFC3339(_ input: String, _ formatted: String) throws {
        let ms = try #require(EventTime.parse(input))
        #expect(EventTime.format(ms) == formatted)
    }

    @Test(arguments: [
        "2026-02-30T10:00:09Z", "2026-03-01T10:00:10", "2026-03-01T10:00:11.1234567890Z", "2026-03-01T10:00:12+00",
        "2026-03-01T24:00:00Z", "2026-03-01T10:00:15.Z", "2026-03-01", "2026-03-01T10:00:60Z", "2023-02-29T00:00:00Z",
        "2026-03-01T10:00:00+24:00", " 2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z ",
    ])
    func rejectsInvalid(_ input: String) {
        #expect(EventTime.parse(input) == nil)
    }

    @Test func epochAndOffsetsAgree() {
        #expect(EventTime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(EventTime.parse("1970-01-01T01:00:00+01:00") == 0)
        #expect(EventTime.parse("1969-12-31T23:00:00-0100") == 0)
    }
}

/// The fixed-place path (`minuteOfCommonLayout` + `restOfCommonLayout`) and `StreamParser` against `parse`,
/// which is the reference: on times of every layout, valid and not, and on each with one byte replaced.
struct EventTimeLayoutTests {
    struct Rng {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func candidate(_ r: inout Rng) -> String {
        let y = String(1 + r.next(9999))
        let year = String(repeating: "0", count: 4 - y.count) + y
        let separator = ["T", "T", "T", "t", " "][r.next(5)]
        var text = "\(year)-\(twoDigits(r.next(14)))-\(twoDigits(r.next(33)))\(separator)"
            + "\(twoDigits(r.next(25))):\(twoDigits(r.next(61))):\(twoDigits(r.next(61)))"
        let fraction = r.next(12)
        if fraction > 0 { text += "." + String((0..<(fraction - 1)).map { _ in Character(String(r.next(10))) }) }
        let sign = r.next(2) == 0 ? "+" : "-"
        text += ["Z", "Z", "z", "", "\(sign)\(twoDigits(r.next(25))):\(twoDigits(r.next(61)))",
                 "\(sign)\(twoDigits(r.next(25)))\(twoDigits(r.next(61)))", "\(sign)\(twoDigits(r.next(25)))",
                 "Z "][r.next(8)]
        return text
    }

    @Test func commonLayoutAgreesWithTheGeneralPath() {
        var r = Rng(state: 42)
        let alphabet = Array("0123456789-:T.Z+ zx".utf8)
        var answeredByCommon = 0, valid = 0
        func check(_ text: [UInt8]) {
            text.withUnsafeBufferPointer { buffer in
                let reference = EventTime.parse(buffer)
                // The fixed-place path alone, as the stream parser composes it.
                let common = buffer.count >= 20 ? EventTime.minuteOfCommonLayout(buffer.baseAddress!).flatMap { minute in
                    EventTime.restOfCommonLayout(buffer.baseAddress!, count: buffer.count).map { minute + $0 }
                } : nil
                var fresh = EventTime.StreamParser()
                #expect(fresh.parse(buffer) == reference, "\(String(decoding: text, as: UTF8.self))")
                if let common {
                    #expect(common == reference, "\(String(decoding: text, as: UTF8.self))")
                    answeredByCommon += 1
                }
                if reference != nil { valid += 1 }
            }
        }
        for _ in 0..<20_000 {
            let text = Array(Self.candidate(&r).utf8)
            check(text)
            var mutated = text
            mutated[r.next(mutated.count)] = alphabet[r.next(alphabet.count)]
            check(mutated)
        }
        // Not vacuous: both paths answered often.
        #expect(valid > 2_000 && answeredByCommon > valid / 3, "valid \(valid), common path \(answeredByCommon)")
    }

    /// A stream of times sharing minutes (the remembered one), interleaved with others and with mutated
    /// copies that differ from the remembered minute in one byte: always the general path's answer.
    @Test func streamParserAgreesWithTheGeneralPath() {
        var r = Rng(state: 7)
        let alphabet = Array("0123456789-:T.Z+ zx".utf8)
        var times = EventTime.StreamParser()
        var validAfterTheFirst = 0
        for _ in 0..<5_000 {
            let base = Array(Self.candidate(&r).utf8)
            for k in 0..<6 {
                var text = base
                if k > 0, text.count > 19 {
                    // Same minute, another second and ending; or one byte changed anywhere.
                    if r.next(3) == 0 {
                        text[r.next(text.count)] = alphabet[r.next(alphabet.count)]
                    } else {
                        text = Array(text[..<17]) + Array(Self.twoDigits(r.next(61)).utf8)
                            + Array([".5Z", "Z", ".123+01:00", "-0330", ".1234567891Z", ""][r.next(6)].utf8)
                    }
                }
                text.withUnsafeBufferPointer { buffer in
                    let reference = EventTime.parse(buffer)
                    let got = times.parse(buffer)
                    #expect(got == reference, "\(String(decoding: text, as: UTF8.self))")
                    if k > 0, got != nil { validAfterTheFirst += 1 }
                }
            }
        }
        // Not vacuous: many valid times followed another of their minute.
        #expect(validAfterTheFirst > 5_000, "valid times after the first of their minute: \(validAfterTheFirst)")
    }
}

struct DurationTextTests {
    @Test(arguments: [("500ms", 500), ("90s", 90_000), ("10m", 600_000), ("1h30m", 5_400_000), ("26h", 93_600_000),
                      ("7d", 604_800_000), ("0s", 0), ("1d2h3m4s5ms", 93_784_005)])
    func parses(_ text: String, _ ms: Int64) {
        #expect(DurationText.parse(text) == ms)
    }

    @Test(arguments: ["ten minutes", "30m1h", "", "10", "m", "1h1h", "-5m", "1.5h", "10 m", "5w", "99999999999999999999d"])
    func rejects(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatRoundTrips() {
        for ms: Int64 in [1, 999, 1000, 90_000, 5_400_000, 93_784_005] {
            #expect(DurationText.parse(DurationText.format(ms)) == ms)
        }
    }
}
