/// A JSON number that remembers how it was written, compared by value (`403 == 403.0`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public let value: Double
    /// The exact value when the number was written as an integer that fits Int64.
    public let integer: Int64?

    public init(_ value: Double) {
        self.value = value
        self.integer = nil
    }

    public init(integer: Int64) {
        self.value = Double(integer)
        self.integer = integer
    }

    /// Parses JSON number text (`"-1.5e3"`); nil for anything that is not exactly a JSON number.
    public init?<Bytes: Collection<UInt8>>(jsonText bytes: Bytes) where Bytes.Index == Int {
        guard JSONNumber.isJSONNumber(bytes) else { return nil }
        let isIntegerText = !bytes.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let text = String(decoding: bytes, as: UTF8.self)
        if isIntegerText, let i = Int64(text) {
            self.init(integer: i)
        } else if let d = Double(text) {
            self.init(d)
        } else {
            return nil
        }
    }

    /// How templates and alerts write the number: integers as written, others shortest round-trip (`403.0`).
    public var description: String {
        if let integer { return String(integer) }
        if value.isNaN || value.isInfinite { return "null" }
        return value.description
    }

    /// The same text for equal numbers (`403`, `403.0` and `4.03e2` all give `403`; `1e16` and
    /// `10000000000000000` give the latter): group keys and canonical JSON are built from it.
    public var canonicalDescription: String {
        if let integer { return String(integer) }
        if let exact = JSONNumber.exactInteger(value) { return String(exact) }
        return description
    }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        equal(a.integer, a.value, b.integer, b.value)
    }

    /// Exact numeric equality of two numbers, each an integer (when it has one) or a double: an integer
    /// equals a double only when the double is exactly that integer, as JSON readers compare them.
    @inline(__always)
    public static func equal(_ ai: Int64?, _ ad: Double, _ bi: Int64?, _ bd: Double) -> Bool {
        switch (ai, bi) {
        case let (x?, y?): return x == y
        case let (x?, nil): return exactInteger(bd) == x
        case let (nil, y?): return exactInteger(ad) == y
        case (nil, nil): return ad == bd
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalDescription)
    }

    /// The integer equal to `d`, when there is one that fits Int64.
    public static func exactInteger(_ d: Double) -> Int64? {
        guard d.isFinite, d == d.rounded(), d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0
        else { return nil }
        return Int64(d)
    }

    /// True when `bytes` is the whole text of a JSON number (RFC 8259 grammar; no spaces, no hex, no `+`).
    /// Inlinable: rules test numeric strings (`reasonCode`) per event, and unspecialized it allocated per call.
    @inlinable
    public static func isJSONNumber<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        func isDigit(_ i: Int) -> Bool { i < end && bytes[i] >= 48 && bytes[i] <= 57 }
        if i < end, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return false }
        if bytes[i] == 48 { i += 1 } else { while isDigit(i) { i += 1 } }
        if i < end, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        return i == end
    }
}

/// A JSON value without source positions: group values, labels, alert members.
///
/// Equality is JSON equality: numbers by value, object members in any order.
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            let ys = Dictionary(y.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            return x.allSatisfy { ys[$0.key] == $0.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalText)
    }

    /// Compact JSON text, members in their order.
    public var description: String {
        var out = [UInt8]()
        JSONWriter.write(self, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// JSON text that is equal for equal values: members sorted, numbers by value.
    public var canonicalText: String {
        var out = [UInt8]()
        JSONWriter.write(self, to: &out, canonical: true)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses JSON text that a machine wrote (saved state, an event's object values): duplicate members
    /// are allowed (the last wins) and nesting may go as deep as the event parser allows. Nil when not JSON.
    public init?(jsonText: String) {
        self.init(jsonBytes: Array(jsonText.utf8))
    }

    public init?(jsonBytes: [UInt8]) {
        guard let node = try? JSONDocumentParser.parse(jsonBytes, file: "json", lenient: true) else { return nil }
        self = node.value
    }

    /// The member named `key` (the last one, as JSON parsers do with duplicates).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One `"key": value` pair; an array of them keeps the order a file or an event wrote.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

