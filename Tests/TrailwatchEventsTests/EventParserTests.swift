import CSimdJSON
import Foundation
import Testing
import TrailwatchCore
@testable import TrailwatchEvents

/// Extraction through the real simdjson shim, on event lines shaped like Activity Tracker's.
struct EventParserTests {
    let schema = EventSchema()

    func parser(_ paths: [String], keepingText: Bool = true) -> (EventParser, [Int]) {
        let slots = paths.map { schema.slot(for: FieldPath($0)!, keepingText: keepingText) }
        return (EventParser(schema: schema), slots)
    }

    func values(_ line: String, _ paths: [String]) -> [JSONValue?]? {
        let (p, slots) = parser(paths)
        guard p.parse(Array(line.utf8)) == .event else { return nil }
        return slots.map { p.value(at: $0).jsonValue }
    }

    @Test func unwrapsTheEnvelope() throws {
        let line = #"{"logSourceCRN":"crn:1","meta":{"userAccountIds":["a","b"]},"payload":{"action":"x.y.create","id":"e1"}}"#
        let v = try #require(values(line, ["action", "envelope.logSourceCRN", "envelope.meta.userAccountIds.1", "logSourceCRN"]))
        #expect(v == [.string("x.y.create"), .string("crn:1"), .string("b"), nil])
    }

    @Test func withoutEnvelopeTheTopLevelIsTheEvent() throws {
        let v = try #require(values(#"{"action":"a","payload":"not an object","envelope":{"x":1}}"#,
                                    ["action", "payload", "envelope.x", "envelope.payload"]))
        #expect(v == [.string("a"), .string("not an object"), nil, nil])
    }

    @Test func followsJSONInsideStrings() throws {
        let line = #"{"requestData":"{\"dry_run\":false,\"inner\":\"{\\\"deep\\\":[1,2]}\"}","responseData":{"dry_run":true}}"#
        let v = try #require(values(line, ["requestData.dry_run", "requestData.inner.deep.1", "responseData.dry_run", "requestData.missing"]))
        #expect(v == [.bool(false), .number(JSONNumber(integer: 2)), .bool(true), nil])
    }

    /// A JSON-in-string member with escapes is decoded only when asked, with what is inside it; the values
    /// every event needs first (time, id, action) are filled at once even when paths go inside them.
    @Test func escapedJSONStringsWaitUntilAsked() throws {
        let (p, slots) = parser(["requestData", "requestData.a", "eventTime", "eventTime.x", "id", "id.z", "action", "action.y"])
        let line = #"{"requestData":"{\"a\":1}","eventTime":"{\"x\":2}","id":"{\"z\":3}","action":"{\"y\":\"q\"}"}"#
        #expect(p.parse(Array(line.utf8)) == .event)
        let kinds = slots.map { UInt32(p.unresolvedSlots[$0].kind) }
        #expect(kinds == [TW_PENDING, TW_PENDING, TW_STRING, TW_PENDING, TW_STRING, TW_PENDING, TW_STRING, TW_PENDING].map(\.rawValue))
        #expect(p.hasPending)
        let v = slots.map { p.value(at: $0).jsonValue }
        #expect(!p.hasPending)
        #expect(v == [.string(#"{"a":1}"#), .number(JSONNumber(integer: 1)), .string(#"{"x":2}"#), .number(JSONNumber(integer: 2)),
                      .string(#"{"z":3}"#), .number(JSONNumber(integer: 3)), .string(#"{"y":"q"}"#), .string("q")])
    }

    @Test func pathEndingOnJSONStringGivesTheString() throws {
        let v = try #require(values(#"{"requestData":"{\"a\":1}"}"#, ["requestData", "requestData.a"]))
        #expect(v == [.string(#"{"a":1}"#), .number(JSONNumber(integer: 1))])
    }

    @Test func objectsAndArraysComeOutAsJSON() throws {
        let v = try #require(values(#"{"target":{"id":"t","tags":["x",{"k":null}]}}"#, ["target", "target.tags"]))
        #expect(v[0] == .object([JSONMember("id", .string("t")), JSONMember("tags", .array([.string("x"), .object([JSONMember("k", .null)])]))]))
        #expect(v[1] == .array([.string("x"), .object([JSONMember("k", .null)])]))
    }

    @Test func objectTextOnlyWhereNeeded() throws {
        let (p, slots) = parser(["target"], keepingText: false)
        #expect(p.parse(Array(#"{"target":{"id":"t"}}"#.utf8)) == .event)
        guard case .object(let text) = p.value(at: slots[0]) else {
            Issue.record("not an object")
            return
        }
        #expect(text.count == 0)
    }

    @Test func numbersKeepTheirForm() throws {
        let v = try #require(values(#"{"a":403,"b":403.0,"c":"403","d":-0.5}"#, ["a", "b", "c", "d"]))
        #expect(v[0]?.description == "403")
        #expect(v[1]?.description == "403.0")
        #expect(v[2] == .string("403"))
        #expect(v[3]?.description == "-0.5")
    }

    @Test func theLastDuplicateKeyWins() throws {
        let v = try #require(values(#"{"a":{"b":1,"c":2},"a":{"b":3}}"#, ["a.b", "a.c"]))
        #expect(v == [.number(JSONNumber(integer: 3)), nil])
    }

    @Test(arguments: [
        ("not json", "not valid JSON"), ("[1,2]", "not a JSON object but an array"), ("\"s\"", "not a JSON object but a string"),
        ("{\"a\":1", "not valid JSON"), ("{\"a\":[1,2}", "not valid JSON"), ("NaN", "not valid JSON"),
        ("{\"a\":\"\u{7}\"}", "not valid JSON"),
    ])
    func rejects(_ line: String, _ reason: String) {
        let (p, _) = parser(["a"])
        guard case .rejected(let why) = p.parse(Array(line.utf8)) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }

    @Test func rejectsInvalidUTF8() {
        let (p, _) = parser(["a"])
        var bytes = Array(#"{"a":""#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}"#.utf8)
        guard case .rejected(let why) = p.parse(bytes) else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(why.contains("UTF-8") || why.contains("UTF8"), "\(why)")
    }

    /// Escaped strings are decoded in place by the fast path (runs between escapes copied 16 bytes at a
    /// time): every run length around that size, each escape form, several decoded strings in one event.
    @Test func decodesEscapesAsFoundationDoes() throws {
        let (p, slots) = parser(["a", "b.c", "d"])
        for n in 0...40 {
            let run = String(repeating: "x", count: n)
            let text = #"\"\#(run)\\\#(run)\n\#(run)\u00e9\#(run)\u20ac\/\t\u0041"# + run + #"\b\f\r"#
            let line = #"{"a":"\#(text)","b":{"c":"\#(run)\"\#(text)"},"d":"\#(run)"}"#
            #expect(p.parse(Array(line.utf8)) == .event)
            let expected = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let inner = try #require(expected["b"] as? [String: Any])
            #expect(p.value(at: slots[0]).jsonValue == .string(try #require(expected["a"] as? String)), "run \(n)")
            #expect(p.value(at: slots[1]).jsonValue == .string(try #require(inner["c"] as? String)), "run \(n)")
            #expect(p.value(at: slots[2]).jsonValue == .string(run))
        }
    }

    /// Which backslashes start escapes is worked out 64 bytes at a time: runs of backslashes of every
    /// length, ending on each kind of byte, placed across a block boundary, must be read (or refused) as
    /// Foundation's parser reads them.
    @Test func escapesAcrossBlockBoundaries() throws {
        let (p, slots) = parser(["a"])
        for offset in 50...70 {
            for run in 1...5 {
                for after in ["\"", "n", "x", "u0041", "u12", "/", "t"] {
                    let body = String(repeating: "y", count: offset) + String(repeating: #"\"#, count: run) + after + "z"
                    let line = #"{"a":"\#(body)"}"#
                    let expected = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                    let outcome = p.parse(Array(line.utf8))
                    if let text = expected?["a"] as? String {
                        #expect(outcome == .event, "\(line)")
                        #expect(p.value(at: slots[0]).jsonValue == .string(text), "\(line)")
                    } else {
                        #expect(outcome != .event, "\(line)")
                    }
                }
            }
        }
    }

    /// Keys are found by their first eight bytes, then the rest: keys alike in those, or only in length.
    @Test func findsKeysAlikeInTheirFirstEightBytes() throws {
        let paths = ["serviceProviderName", "serviceProviderRegion", "serviceP", "serviceProvider", "s", "serviceProviderNameX"]
        let line = #"{"serviceProviderNameY":1,"serviceProviderRegion":"r","serviceQ":2,"serviceP":"p","serviceProviderName":"n","s":"short","serviceProvide":3}"#
        let v = try #require(values(line, paths))
        #expect(v == [.string("n"), .string("r"), .string("p"), nil, .string("short"), nil])
    }

    @Test func slotsResetBetweenEvents() {
        let (p, slots) = parser(["a"])
        #expect(p.parse(Array(#"{"a":1}"#.utf8)) == .event)
        #expect(!p.value(at: slots[0]).isMissing)
        #expect(p.parse(Array(#"{"b":1}"#.utf8)) == .event)
        #expect(p.value(at: slots[0]).isMissing)
    }
}

struct FieldPathTests {
    @Test func scopes() throws {
        let p = try #require(FieldPath("envelope.meta.serviceProviderRegion"))
        #expect(p.scope == .envelope)
        #expect(p.segments == ["meta", "serviceProviderRegion"])
        #expect(FieldPath("initiator.host.address")?.scope == .event)
    }

    @Test(arguments: ["", ".", "a..b", ".a", "a.", "envelope"])
    func invalid(_ text: String) {
        #expect(FieldPath(text) == nil)
    }
}
