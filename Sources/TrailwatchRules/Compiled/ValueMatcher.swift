import CSimdJSON
import TrailwatchCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One operator with its operand prepared for matching bytes (rules.md §4).
///
/// Matching works on the parser's raw values: no String is built unless a case-insensitive test meets
/// non-ASCII text.
public enum ValueMatcher: @unchecked Sendable {
    case equalsString(Needle)
    case equalsNumber(Double, integer: Int64?)
    case equalsBool(Bool)
    case equalsNull
    case anyOf([ValueMatcher])
    case prefix(Needle)
    case suffix(Needle)
    case contains(Needle)
    case regex(LinearRegex)
    case compare(Comparison, Double)
    case cidr([IPNetwork])
    case exists(Bool)
    case never

    public enum Comparison: Sendable { case gt, gte, lt, lte }

    /// A string operand, lower-cased up front when the test ignores case.
    public struct Needle: @unchecked Sendable {
        let bytes: [UInt8]
        let foldCase: Bool
        let lowered: String

        init(_ text: String, foldCase: Bool) {
            self.foldCase = foldCase
            lowered = text.lowercased()
            bytes = foldCase && text.utf8.allSatisfy({ $0 < 0x80 }) ? Array(lowered.utf8) : Array(text.utf8)
        }
    }

    /// Builds the matcher for a validated operator.
    public static func make(_ op: TestOperator, ignoreCase: Bool) -> ValueMatcher {
        switch op {
        case .equals(let v): return equals(v, ignoreCase)
        case .in(let values): return .anyOf(values.map { equals($0, ignoreCase) })
        case .glob(let patterns):
            let matchers = patterns.map { glob($0, ignoreCase) }
            return matchers.count == 1 ? matchers[0] : .anyOf(matchers)
        case .prefix(let s): return .prefix(Needle(s, foldCase: ignoreCase))
        case .suffix(let s): return .suffix(Needle(s, foldCase: ignoreCase))
        case .contains(let s): return .contains(Needle(s, foldCase: ignoreCase))
        case .regex(let pattern):
            guard let re = try? LinearRegex(pattern, ignoreCase: ignoreCase) else { return .never }
            return .regex(re)
        case .gt(let n): return .compare(.gt, n)
        case .gte(let n): return .compare(.gte, n)
        case .lt(let n): return .compare(.lt, n)
        case .lte(let n): return .compare(.lte, n)
        case .cidr(let networks): return .cidr(networks)
        case .exists(let b): return .exists(b)
        }
    }

    private static func equals(_ v: JSONValue, _ ignoreCase: Bool) -> ValueMatcher {
        switch v {
        case .string(let s): return .equalsString(Needle(s, foldCase: ignoreCase))
        case .number(let n): return .equalsNumber(n.value, integer: n.integer)
        case .bool(let b): return .equalsBool(b)
        case .null: return .equalsNull
        case .array, .object: return .never
        }
    }

    /// Globs with one `*` at an end (the common `*.user-password.update`) become prefix/suffix/contains tests;
    /// others compile to an anchored RE2 expression.
    static func glob(_ pattern: String, _ ignoreCase: Bool) -> ValueMatcher {
        let hasQuestion = pattern.contains("?")
        let stars = pattern.filter { $0 == "*" }.count
        if !hasQuestion {
            if stars == 0 { return .equalsString(Needle(pattern, foldCase: ignoreCase)) }
            let inner = pattern.dropFirst().dropLast()
            if stars == 1, pattern.hasSuffix("*") { return .prefix(Needle(String(pattern.dropLast()), foldCase: ignoreCase)) }
            if stars == 1, pattern.hasPrefix("*") { return .suffix(Needle(String(pattern.dropFirst()), foldCase: ignoreCase)) }
            if stars == 2, pattern.count >= 2, pattern.hasPrefix("*"), pattern.hasSuffix("*"), !inner.contains("*") {
                return .contains(Needle(String(inner), foldCase: ignoreCase))
            }
        }
        var re = ""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "*": re += "(?s:.*)"
            case "?": re += "(?s:.)"
            default:
                if "\\.+*?()|[]{}^$".unicodeScalars.contains(scalar) {
                    re += "\\" + String(scalar)
                } else {
                    re.unicodeScalars.append(scalar)
                }
            }
        }
        guard let compiled = try? LinearRegex(re, ignoreCase: ignoreCase, whole: true) else { return .never }
        return .regex(compiled)
    }

    /// Does the value satisfy the operator? A missing value never does, except for `exists: false`.
    @inline(__always)
    public func matches(_ v: tw_value) -> Bool {
        let kind = UInt32(v.kind)
        if kind == TW_MISSING.rawValue {
            if case .exists(let expected) = self { return !expected }
            return false
        }
        switch self {
        case .equalsString(let needle):
            guard kind == TW_STRING.rawValue else { return false }
            return needle.equals(Self.text(v))
        case .equalsNumber(let d, let integer):
            if kind == TW_NUMBER.rawValue {
                if let integer, v.is_integer != 0 { return v.integer == integer }
                return v.number == d
            }
            guard kind == TW_STRING.rawValue, let n = Self.numericString(Self.text(v)) else { return false }
            return n == d
        case .equalsBool(let b):
            return kind == (b ? TW_TRUE.rawValue : TW_FALSE.rawValue)
        case .equalsNull:
            return kind == TW_NULL.rawValue
        case .anyOf(let matchers):
            for m in matchers where m.matches(v) { return true }
            return false
        case .prefix(let needle):
            return kind == TW_STRING.rawValue && needle.isPrefix(of: Self.text(v))
        case .suffix(let needle):
            return kind == TW_STRING.rawValue && needle.isSuffix(of: Self.text(v))
        case .contains(let needle):
            return kind == TW_STRING.rawValue && needle.isContained(in: Self.text(v))
        case .regex(let re):
            return kind == TW_STRING.rawValue && re.matches(Self.text(v))
        case .compare(let comparison, let operand):
            let value: Double
            if kind == TW_NUMBER.rawValue {
                value = v.number
            } else if kind == TW_STRING.rawValue, let n = Self.numericString(Self.text(v)) {
                value = n
            } else {
                return false
            }
            switch comparison {
            case .gt: return value > operand
            case .gte: return value >= operand
            case .lt: return value < operand
            case .lte: return value <= operand
            }
        case .cidr(let networks):
            guard kind == TW_STRING.rawValue, let address = IPAddress(Self.text(v)) else { return false }
            return networks.contains { $0.contains(address) }
        case .exists(let expected):
            return expected
        case .never:
            return false
        }
    }

    @inline(__always)
    static func text(_ v: tw_value) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: v.ptr, count: v.len)
    }

    /// The value of a string whose whole text is a JSON number (`"403"`, `"-1.5e3"`), else nil.
    static func numericString(_ text: UnsafeRawBufferPointer) -> Double? {
        guard text.count > 0, text.count < 400, JSONNumber.isJSONNumber(text) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
            buffer[text.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }
}

extension ValueMatcher.Needle {
    @inline(__always)
    func equals(_ text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count == bytes.count && bytesEqual(text, 0) }
        return foldedCompare(text) { $0 == lowered } ?? (text.count == bytes.count && foldedEqual(text, 0))
    }

    @inline(__always)
    func isPrefix(of text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count >= bytes.count && bytesEqual(text, 0) }
        return foldedCompare(text) { $0.hasPrefix(lowered) } ?? (text.count >= bytes.count && foldedEqual(text, 0))
    }

    @inline(__always)
    func isSuffix(of text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count >= bytes.count && bytesEqual(text, text.count - bytes.count) }
        return foldedCompare(text) { $0.hasSuffix(lowered) }
            ?? (text.count >= bytes.count && foldedEqual(text, text.count - bytes.count))
    }

    func isContained(in text: UnsafeRawBufferPointer) -> Bool {
        if foldCase, let result = foldedCompare(text, { $0.contains(lowered) }) { return result }
        if bytes.isEmpty { return true }
        guard text.count >= bytes.count else { return false }
        let last = text.count - bytes.count
        if !foldCase {
            var start = 0
            let first = bytes[0]
            while start <= last {
                guard let hit = memchr(text.baseAddress! + start, Int32(first), last - start + 1) else { return false }
                let at = text.baseAddress!.distance(to: UnsafeRawPointer(hit))
                if bytesEqual(text, at) { return true }
                start = at + 1
            }
            return false
        }
        for at in 0...last where foldedEqual(text, at) { return true }
        return false
    }

    @inline(__always)
    private func bytesEqual(_ text: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        bytes.isEmpty || bytes.withUnsafeBytes { memcmp(text.baseAddress! + offset, $0.baseAddress!, bytes.count) == 0 }
    }

    /// ASCII case-insensitive comparison at `offset` (both sides ASCII).
    private func foldedEqual(_ text: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        for i in 0..<bytes.count {
            var c = text[offset + i]
            if c >= 65 && c <= 90 { c |= 0x20 }
            if c != bytes[i] { return false }
        }
        return true
    }

    /// When the text or the operand is not ASCII: compare lower-cased Strings; nil means "use the ASCII path".
    private func foldedCompare(_ text: UnsafeRawBufferPointer, _ predicate: (String) -> Bool) -> Bool? {
        let asciiNeedle = bytes.count == lowered.utf8.count && bytes.allSatisfy { $0 < 0x80 }
        if asciiNeedle, !text.contains(where: { $0 >= 0x80 }) { return nil }
        return predicate(String(decoding: text, as: UTF8.self).lowercased())
    }
}
