import Testing
import TrailwatchCore
@testable import TrailwatchEngine

/// Cases found in review: each once produced a wrong alert or a crash.
struct ReviewRegressionTests {
    @Test func largeEqualNumbersAreOneGroupAndOneValue() throws {
        let rules = """
        {"rules": [
          {"id": "th", "severity": "low", "kind": "threshold", "window": "1h", "count": 2, "group_by": ["x"], "match": {"all": []}},
          {"id": "di", "severity": "low", "kind": "distinct", "window": "1h", "count": 2, "field": "x", "match": {"all": []}}
        ]}
        """
        let alerts = try evaluate(rules, [event("1", "10:00:00", "a", extra: #""x": 10000000000000000"#),
                                          event("2", "10:00:01", "a", extra: #""x": 1e16"#)])
        #expect(alerts.map(\.rule) == ["th"])
        // Exact comparison: 2^53 + 1 is not the double 2^53.
        let apart = try evaluate(rules, [event("1", "10:00:00", "a", extra: #""x": 9007199254740993"#),
                                         event("2", "10:00:01", "a", extra: #""x": 9007199254740992.0"#)])
        #expect(apart.map(\.rule) == ["di"])
    }

    @Test func objectValuesWithDuplicateMembersOrDeepNestingKeepTheirValue() throws {
        let rules = #"{"id": "g", "severity": "low", "group_by": ["x"], "summary": "{{x}}", "match": {"all": []}}"#
        let deep = String(repeating: "[", count: 600) + "1" + String(repeating: "]", count: 600)
        let alerts = try evaluate(rules, [event("1", "10:00:00", "a", extra: #""x": {"k": 1, "k": 2}"#),
                                          event("2", "10:00:01", "a", extra: #""x": "# + deep)])
        #expect(alerts.map(\.summary) == [#"{"k":2}"#, deep])
        #expect(alerts[0].group == [JSONMember("x", .object([JSONMember("k", .number(JSONNumber(integer: 2)))]))])
    }

    @Test func everyCaseInsensitiveOperatorFoldsTheSameWay() throws {
        func fires(_ test: String, _ value: String) throws -> Bool {
            let rules = #"{"id": "t", "severity": "low", "match": {"field": "v", "ignore_case": true, "# + test + "}}"
            return try !evaluate(rules, [event("1", "10:00:00", "a", extra: #""v": ""# + value + #"""#)]).isEmpty
        }
        // U+017F (long s) folds to s, as RE2's regex and glob fold it.
        for test in [#""equals": "sx""#, #""in": ["sx"]"#, #""glob": "s*""#, #""glob": "s?""#, #""prefix": "S""#,
                     #""suffix": "X""#, #""contains": "SX""#, #""regex": "^sx$""#] {
            #expect(try fires(test, "\u{17F}x"), "\(test)")
        }
        // Combining marks are bytes like any other: "e" is a prefix of "e\u{301}x" with or without ignore_case.
        #expect(try fires(#""prefix": "E""#, "e\u{301}x"))
        #expect(try fires(#""contains": "E""#, "e\u{301}x"))
        #expect(try !fires(#""equals": "ss""#, "\u{DF}"))
    }

    @Test func manyDuplicateJSONStringsKeepTheLast() throws {
        let rules = #"{"id": "n", "severity": "low", "summary": "{{requestData.a.b}}", "match": {"field": "requestData.a.b", "exists": true}}"#
        var line = #"{"id": "e", "eventTime": "2026-03-01T10:00:00Z""#
        for i in 0..<2000 { line += #", "requestData": "{\"a\":{\"b\":\#(i)}}""# }
        line += "}"
        #expect(try evaluate(rules, [line]).map(\.summary) == ["1999"])
    }

    @Test func longActionsAreMatchedWithoutBeingCached() throws {
        let rules = #"{"id": "s", "severity": "low", "match": {"field": "action", "suffix": ".delete"}}"#
        let long = String(repeating: "x", count: 5000)
        let alerts = try evaluate(rules, [event("1", "10:00:00", long + ".delete"), event("2", "10:00:01", long + ".create"),
                                          event("3", "10:00:02", long + ".delete")])
        #expect(alerts.map(\.events) == [["1"], ["3"]])
    }
}
