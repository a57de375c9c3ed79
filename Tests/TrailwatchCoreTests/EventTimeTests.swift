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
