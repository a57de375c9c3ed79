/// Strict JSON (RFC 8259) for files people write: rules, rule tests, configuration.
///
/// Comments, trailing commas, single quotes and duplicate members are errors with a position, because
/// a file that some other JSON reader would read differently is a trap. Events do not come through
/// here: they take the simdjson path in TrailwatchEvents.
public struct JSONDocumentParser {
    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    private let lenient: Bool
    private var maximumDepth: Int { lenient ? 2048 : 256 }

    /// Parses one JSON document; `file` is used in error locations as given.
    ///
    /// `lenient` is for JSON that machines wrote (event values, saved state): a duplicate member replaces the
    /// earlier one instead of being an error, and nesting may be deeper.
    public static func parse(_ bytes: [UInt8], file: String, lenient: Bool = false) throws(Diagnostic) -> JSONNode {
        var parser = JSONDocumentParser(bytes: bytes, file: file, lenient: lenient)
        if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }  // a UTF-8 byte order mark
        parser.skipWhitespace()
        let node = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < parser.bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        return node
    }

    private init(bytes: [UInt8], file: String, lenient: Bool) {
        self.bytes = bytes
        self.file = file
        self.lenient = lenient
    }

    private var location: SourceLocation {
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        var column = 1
        var i = lineStart
        while i < index {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    private func error(_ message: String) -> Diagnostic { Diagnostic(location, message) }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let c = bytes[index]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func parseValue() throws(Diagnostic) -> JSONNode {
        let startIndex = index
        var node = try parseValueText()
        node.span = startIndex..<index
        return node
    }

    private mutating func parseValueText() throws(Diagnostic) -> JSONNode {
        let start = location
        guard index < bytes.count else { throw error("expected a JSON value, got end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(start)
        case UInt8(ascii: "["): return try parseArray(start)
        case UInt8(ascii: "\""): return JSONNode(kind: .string(try parseString()), location: start)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(kind: .bool(true), location: start)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(kind: .bool(false), location: start)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(kind: .null, location: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(kind: .number(try parseNumber()), location: start)
        case UInt8(ascii: "/"):
            throw error("comments are not allowed in JSON")
        case UInt8(ascii: "'"):
            throw error("strings must use double quotes")
        default:
            throw error("expected a JSON value, got \(describeCurrent())")
        }
    }

    private mutating func literal(_ word: String) throws(Diagnostic) {
        let w = Array(word.utf8)
        guard bytes.count - index >= w.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("expected a JSON value, got \(describeCurrent())")
        }
        index += w.count
    }

    private mutating func enter() throws(Diagnostic) {
        depth += 1
        if depth > maximumDepth { throw error("nested deeper than \(maximumDepth) levels") }
    }

    private mutating func parseObject(_ start: SourceLocation) throws(Diagnostic) -> JSONNode {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [JSONNode.Member] = []
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return JSONNode(kind: .object(members), location: start)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object: expected a member name, got end of file") }
            if bytes[index] == UInt8(ascii: "}") { throw error("trailing comma before '}'") }
            if bytes[index] == UInt8(ascii: "/") { throw error("comments are not allowed in JSON") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a member name in double quotes, got \(describeCurrent())")
            }
            let keyLocation = location
            let key = try parseString()
            let duplicate = !seen.insert(key).inserted
            if duplicate && !lenient { throw Diagnostic(keyLocation, "\"\(key)\": member appears twice in this object") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after \"\(key)\", got \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            if duplicate, let earlier = members.firstIndex(where: { $0.key == key }) {
                members[earlier].value = value  // the last one wins, where the first one stood
            } else {
                members.append(JSONNode.Member(key: key, keyLocation: keyLocation, value: value))
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object: expected ',' or '}', got end of file") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONNode(kind: .object(members), location: start)
            }
            if bytes[index] == UInt8(ascii: "/") { throw error("comments are not allowed in JSON") }
            throw error("expected ',' or '}' after the value of \"\(key)\", got \(describeCurrent())")
        }
    }

    private mutating func parseArray(_ start: SourceLocation) throws(Diagnostic) -> JSONNode {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return JSONNode(kind: .array(items), location: start)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array: expected a value, got end of file") }
            if bytes[index] == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array: expected ',' or ']', got end of file") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return JSONNode(kind: .array(items), location: start)
            }
            if bytes[index] == UInt8(ascii: "/") { throw error("comments are not allowed in JSON") }
            throw error("expected ',' or ']' after an array element, got \(describeCurrent())")
        }
    }

    private mutating func parseNumber() throws(Diagnostic) -> JSONNumber {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        let text = bytes[start..<index]
        guard let number = JSONNumber(jsonText: Array(text)) else {
            index = start
            throw error("invalid number \(String(decoding: text, as: UTF8.self))")
        }
        return number
    }

    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
            || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
    }

    private mutating func parseString() throws(Diagnostic) -> String {
        index += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in \\u escape") }
                        index += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    index -= 1
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
                }
            case 0x0A:
                throw error("unterminated string (a line break inside a string must be written \\n)")
            case 0..<0x20:
                throw error("control character in string (write it as a \\u escape)")
            default:
                out.append(c)
                index += 1
            }
        }
    }

    private mutating func hex4() throws(Diagnostic) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("invalid \\u escape")
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }
}
