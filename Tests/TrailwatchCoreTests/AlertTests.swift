import Testing
@testable import TrailwatchCore

struct AlertTests {
    /// `appendJSONLine` writes field by field; it must give exactly the text of the `json` tree it replaced.
    @Test(arguments: [
        Alert(id: "a1", rule: "r", severity: .low, time: 0, group: [], count: 1, events: [], summary: "",
              labels: [], suppressed: 0),
        Alert(id: "0123456789abcdef01234567", rule: "cdb-deny-not-dry-run", severity: .critical,
              time: 1_772_359_205_042, group: [JSONMember("initiator.id", .string("IBMid-6630003EF5")),
                                               JSONMember("reason.reasonCode", .number(JSONNumber(integer: 403))),
                                               JSONMember("target", .object([JSONMember("x", .array([.null, .bool(true)]))])),
                                               JSONMember("missing", .null)],
              count: 20, events: ["e-1", "ee512e7d852ef91f0c223f4244c27c09"],
              summary: "quote \" backslash \\ newline \n tab \t bell \u{7} é €", labels: [JSONMember("team", .string("dba")), JSONMember("n", .number(JSONNumber(1.5)))],
              suppressed: 12_345),
        Alert(id: "x", rule: "year-ten-thousand", severity: .high, time: 253_402_300_800_001, group: [JSONMember("a", .string(""))],
              count: -1, events: ["\"quoted\""], summary: "{{not a template}}", labels: [], suppressed: 1),
    ])
    func jsonLineIsTheJSONTreeWritten(_ alert: Alert) {
        var direct: [UInt8] = []
        alert.appendJSONLine(to: &direct)
        var tree: [UInt8] = []
        JSONWriter.write(alert.json, to: &tree)
        tree.append(0x0A)
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: tree, as: UTF8.self))
    }

    @Test func timeFormatsAsRFC3339Milliseconds() {
        #expect(EventTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(EventTime.format(1_772_359_205_042) == "2026-03-01T10:00:05.042Z")
        #expect(EventTime.format(-1) == "1969-12-31T23:59:59.999Z")
    }
}
