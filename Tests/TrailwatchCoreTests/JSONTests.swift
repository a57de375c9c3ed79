import Testing
@testable import TrailwatchCore

struct JSONDocumentParserTests {
    func parse(_ text: String) throws(Diagnostic) -> JSONNode {
        try JSONDocumentParser.parse(Array(text.utf8), file: "f.json")
    }

    func error(_ text: String) -> Diagnostic? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func locatesValuesAndKeys() throws {
        let node = try parse("{\n  \"a\": [1, {\"b\": \"é\"}],\n  \"c\": true\n}")
        let members = try #require(node.members)
        #expect(members[0].keyLocation.description == "f.json:2:3")
        #expect(members[0].value.location.description == "f.json:2:8")
        let inner = try #require(members[0].value.items?[1].members?[0])
        #expect(inner.value.location.description == "f.json:2:18")
        #expect(members[1].keyLocation.description == "f.json:3:3")
    }

    @Test func columnsCountCharactersNotBytes() {
        let e = error("{\"é\": x}")
        #expect(e?.location.column == 7)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "trailing comma"),
        ("[1, 2,]", "trailing comma"),
        ("{\n// note\n\"a\": 1}", "comments are not allowed"),
        ("{\"a\": 1 /* x */}", "comments are not allowed"),
        ("{'a': 1}", "double quotes"),
        ("{\"a\": 1, \"a\": 2}", "appears twice"),
        ("{\"a\": 01}", "invalid number"),
        ("{\"a\": \"\\x\"}", "invalid escape"),
        ("{\"a\": \"\\ud800\"}", "unpaired surrogate"),
        ("{\"a\": 1} x", "after the JSON value"),
        ("{\"a\": tru}", "expected a JSON value"),
        ("", "end of file"),
    ])
    func rejectsWithReason(_ text: String, _ reason: String) throws {
        let e = try #require(error(text))
        #expect(e.message.contains(reason), "\(e)")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let node = try parse(#"["a\"b\\c\/\n\u00e9\ud83d\ude00"]"#)
        #expect(node.items?[0].string == "a\"b\\c/\né😀")
    }

    @Test func reportsLineOfError() {
        #expect(error("{\n\"a\": 1,\n}")?.location.line == 3)
    }
}

struct JSONValueTests {
    @Test func numbersCompareByValue() {
        #expect(JSONNumber(integer: 403) == JSONNumber(403.0))
        #expect(JSONNumber(jsonText: Array("4.03e2".utf8)) == JSONNumber(integer: 403))
        #expect(JSONValue.number(JSONNumber(integer: 403)) != .string("403"))
    }

    @Test func numberText() {
        #expect(JSONNumber(integer: 403).description == "403")
        #expect(JSONNumber(403.0).description == "403.0")
        #expect(JSONNumber(403.0).canonicalDescription == "403")
        #expect(JSONNumber(jsonText: Array("1e16".utf8))?.description == "1e+16")
    }

    @Test(arguments: ["403", "-1.5e3", "0", "0.5", "1E+2"])
    func jsonNumbers(_ text: String) {
        #expect(JSONNumber.isJSONNumber(Array(text.utf8)))
    }

    @Test(arguments: [" 403", "0x1F", "+1", "01", "1.", ".5", "1e", "", "NaN", "403 "])
    func notJSONNumbers(_ text: String) {
        #expect(!JSONNumber.isJSONNumber(Array(text.utf8)))
    }

    @Test func objectsEqualInAnyOrder() {
        let a = JSONValue.object([JSONMember("x", .number(JSONNumber(integer: 1))), JSONMember("y", .null)])
        let b = JSONValue.object([JSONMember("y", .null), JSONMember("x", .number(JSONNumber(1.0)))])
        #expect(a == b)
        #expect(a.canonicalText == b.canonicalText)
        #expect(a.description == #"{"x":1,"y":null}"#)
    }

    /// Canonical text (group keys, alert ids) sorts members by their UTF-8 bytes and keeps the last of equal
    /// keys; small objects with distinct keys take a shorter path that must give the same text.
    @Test func canonicalTextSortsAndKeepsTheLastDuplicate() {
        let n = { (i: Int64) in JSONValue.number(JSONNumber(integer: i)) }
        #expect(JSONValue.object([JSONMember("b", n(1)), JSONMember("a", n(2)), JSONMember("é", n(3)), JSONMember("Z", n(4))])
            .canonicalText == #"{"Z":4,"a":2,"b":1,"é":3}"#)
        #expect(JSONValue.object([JSONMember("b", n(1)), JSONMember("a", n(2)), JSONMember("b", n(3))])
            .canonicalText == #"{"a":2,"b":3}"#)
        // Canonically equivalent keys (precomposed and combining é) are one key.
        #expect(JSONValue.object([JSONMember("\u{E9}", n(1)), JSONMember("e\u{301}", n(2))]).canonicalText == #"{"é":2}"#)
        let many = (0..<12).reversed().map { JSONMember("k\($0 % 10)", n(Int64($0))) }
        #expect(JSONValue.object(many).canonicalText
            == #"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9}"#)
        #expect(JSONValue.object([JSONMember("x", .object([JSONMember("b", .null), JSONMember("a", .array([.object([JSONMember("d", n(1)), JSONMember("c", n(2))])]))]))])
            .canonicalText == #"{"x":{"a":[{"c":2,"d":1}],"b":null}}"#)
    }

    @Test func writerEscapes() {
        #expect(JSONValue.string("a\"\\\n\u{01}é").description == #""a\"\\\n\u0001é""#)
    }
}
