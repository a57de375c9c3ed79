import CRE2
import CSimdJSON
import TrailwatchCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One operator with its operand prepared for matching bytes (rules.md §4).
///
/// Matching works on the parser's raw values and reads only plain stored data (bytes, numbers,
/// handles), so the per-event path does no reference counting and builds no String, except when a
/// case-insensitive test meets non-ASCII text.
public final class ValueMatcher: @unchecked Sendable {  // immutable after init
    private enum Kind: UInt8 {
        case equalsString, equalsNumber, equalsBool, equalsNull, anyOf, prefix, suffix, contains, regex
        /// A glob `a*b`: `children` are prefix `a` and suffix `b`; `integer` is the shortest match, |a| + |b|.
        case prefixAndSuffix
        case greater, greaterOrEqual, less, lessOrEqual, cidr, exists, never
    }

    private let kind: Kind
    /// The string operand (lower-cased when folding ASCII).
    private let needle: UnsafeMutableBufferPointer<UInt8>
    private let foldCase: Bool
    private let needleIsASCII: Bool
    /// Case-insensitive matching of the string operand by RE2's Unicode case folding, used when the text
    /// or the operand is not ASCII, so every operator folds the same way (`ſ`, `K`...).
    private let foldRegex: LinearRegex?
    private let number: Double
    private let integer: Int64?
    private let flag: Bool
    private let regexHandle: OpaquePointer?
    private let regexOwner: LinearRegex?
    private let networks: UnsafeMutableBufferPointer<IPNetwork.Mask>
    private let children: UnsafeMutableBufferPointer<Unmanaged<ValueMatcher>>
    private let childOwners: [ValueMatcher]

    private init(_ kind: Kind, text: String = "", foldCase: Bool = false, number: Double = 0, integer: Int64? = nil,
                 flag: Bool = false, regex: LinearRegex? = nil, networks: [IPNetwork] = [],
                 children: [ValueMatcher] = []) {
        self.kind = kind
        self.foldCase = foldCase
        needleIsASCII = text.utf8.allSatisfy { $0 < 0x80 }
        let bytes = foldCase && needleIsASCII ? Array(text.lowercased().utf8) : Array(text.utf8)
        var fold: LinearRegex? = nil
        if foldCase {
            let q = LinearRegex.quote(text)
            switch kind {
            case .equalsString: fold = try? LinearRegex(q, ignoreCase: true, whole: true)
            case .prefix: fold = try? LinearRegex("\\A(?:" + q + ")", ignoreCase: true)
            case .suffix: fold = try? LinearRegex("(?:" + q + ")\\z", ignoreCase: true)
            case .contains: fold = try? LinearRegex(q, ignoreCase: true)
            default: break
            }
        }
        foldRegex = fold
        needle = .allocate(capacity: max(bytes.count, 1))
        _ = needle.initialize(from: bytes)
        needleCount = bytes.count
        self.number = number
        self.integer = integer
        self.flag = flag
        regexOwner = regex
        regexHandle = regex?.handle
        self.networks = .allocate(capacity: max(networks.count, 1))
        _ = self.networks.initialize(from: networks.map(\.mask))
        networkCount = networks.count
        self.children = .allocate(capacity: max(children.count, 1))
        _ = self.children.initialize(from: children.map { Unmanaged.passUnretained($0) })
        childCount = children.count
        childOwners = children
    }

    private let needleCount: Int
    private let networkCount: Int
    private let childCount: Int

    deinit {
        needle.deallocate()
        networks.deallocate()
        children.deallocate()
    }

    /// Builds the matcher for a validated operator.
    public static func make(_ op: TestOperator, ignoreCase: Bool) -> ValueMatcher {
        switch op {
        case .equals(let v): return equals(v, ignoreCase)
        case .in(let values): return ValueMatcher(.anyOf, children: values.map { equals($0, ignoreCase) })
        case .glob(let patterns):
            let matchers = patterns.map { glob($0, ignoreCase) }
            return matchers.count == 1 ? matchers[0] : ValueMatcher(.anyOf, children: matchers)
        case .prefix(let s): return ValueMatcher(.prefix, text: s, foldCase: ignoreCase)
        case .suffix(let s): return ValueMatcher(.suffix, text: s, foldCase: ignoreCase)
        case .contains(let s): return ValueMatcher(.contains, text: s, foldCase: ignoreCase)
        case .regex(let pattern):
            guard let re = try? LinearRegex(pattern, ignoreCase: ignoreCase) else { return ValueMatcher(.never) }
            return ValueMatcher(.regex, regex: re)
        case .gt(let n): return ValueMatcher(.greater, number: n)
        case .gte(let n): return ValueMatcher(.greaterOrEqual, number: n)
        case .lt(let n): return ValueMatcher(.less, number: n)
        case .lte(let n): return ValueMatcher(.lessOrEqual, number: n)
        case .cidr(let networks): return ValueMatcher(.cidr, networks: networks)
        case .exists(let b): return ValueMatcher(.exists, flag: b)
        }
    }

    private static func equals(_ v: JSONValue, _ ignoreCase: Bool) -> ValueMatcher {
        switch v {
        case .string(let s): ValueMatcher(.equalsString, text: s, foldCase: ignoreCase)
        case .number(let n): ValueMatcher(.equalsNumber, number: n.value, integer: n.integer)
        case .bool(let b): ValueMatcher(.equalsBool, flag: b)
        case .null: ValueMatcher(.equalsNull)
        case .array, .object: ValueMatcher(.never)
        }
    }

    /// Globs with one `*` at an end (the common `*.user-password.update`) become prefix/suffix/contains tests;
    /// others compile to an anchored RE2 expression.
    static func glob(_ pattern: String, _ ignoreCase: Bool) -> ValueMatcher {
        if !pattern.contains("?") {
            let stars = pattern.filter { $0 == "*" }.count
            let inner = pattern.dropFirst().dropLast()
            if stars == 0 { return ValueMatcher(.equalsString, text: pattern, foldCase: ignoreCase) }
            if stars == 1, pattern.hasSuffix("*") { return ValueMatcher(.prefix, text: String(pattern.dropLast()), foldCase: ignoreCase) }
            if stars == 1, pattern.hasPrefix("*") { return ValueMatcher(.suffix, text: String(pattern.dropFirst()), foldCase: ignoreCase) }
            if stars == 2, pattern.count >= 2, pattern.hasPrefix("*"), pattern.hasSuffix("*"), !inner.contains("*") {
                return ValueMatcher(.contains, text: String(inner), foldCase: ignoreCase)
            }
            // `iam-identity.*.login`: a prefix and a suffix that do not overlap, without RE2. Case-sensitive only
            // (Unicode folding can change byte lengths).
            if stars == 1, !ignoreCase, let star = pattern.firstIndex(of: "*") {
                let head = String(pattern[..<star]), tail = String(pattern[pattern.index(after: star)...])
                return ValueMatcher(.prefixAndSuffix, integer: Int64(head.utf8.count + tail.utf8.count),
                                    children: [ValueMatcher(.prefix, text: head), ValueMatcher(.suffix, text: tail)])
            }
        }
        var re = ""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "*": re += "(?s:.*)"
            case "?": re += "(?s:.)"
            default:
                if "\\.+*?()|[]{}^$".unicodeScalars.contains(scalar) { re += "\\" }
                re.unicodeScalars.append(scalar)
            }
        }
        guard let compiled = try? LinearRegex(re, ignoreCase: ignoreCase, whole: true) else { return ValueMatcher(.never) }
        return ValueMatcher(.regex, regex: compiled)
    }

    /// Does the value satisfy the operator? A missing value never does, except for `exists: false`.
    public func matches(_ v: tw_value) -> Bool {
        let valueKind = UInt32(v.kind)
        if valueKind == TW_MISSING.rawValue { return kind == .exists && !flag }
        let isString = valueKind == TW_STRING.rawValue
        switch kind {
        case .equalsString:
            return isString && equalsNeedle(Self.text(v))
        case .equalsNumber:
            if valueKind == TW_NUMBER.rawValue {
                return JSONNumber.equal(v.is_integer != 0 ? v.integer : nil, v.number, integer, number)
            }
            guard isString, let n = Self.numericString(Self.text(v)) else { return false }
            return JSONNumber.equal(n.integer, n.value, integer, number)
        case .equalsBool:
            return valueKind == (flag ? TW_TRUE.rawValue : TW_FALSE.rawValue)
        case .equalsNull:
            return valueKind == TW_NULL.rawValue
        case .anyOf:
            for i in 0..<childCount where children[i]._withUnsafeGuaranteedRef({ $0.matches(v) }) { return true }
            return false
        case .prefixAndSuffix:
            return isString && v.len >= Int(integer!) && children[0]._withUnsafeGuaranteedRef({ $0.matches(v) })
                && children[1]._withUnsafeGuaranteedRef({ $0.matches(v) })
        case .prefix:
            return isString && hasNeedlePrefix(Self.text(v))
        case .suffix:
            return isString && hasNeedleSuffix(Self.text(v))
        case .contains:
            return isString && containsNeedle(Self.text(v))
        case .regex:
            return isString && tw_regex_matches(regexHandle, v.ptr, v.len) != 0
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            let value: Double
            if valueKind == TW_NUMBER.rawValue {
                value = v.number
            } else if isString, let n = Self.numericString(Self.text(v)) {
                value = n.value
            } else {
                return false
            }
            switch kind {
            case .greater: return value > number
            case .greaterOrEqual: return value >= number
            case .less: return value < number
            default: return value <= number
            }
        case .cidr:
            guard isString, let address = IPAddress(Self.text(v)) else { return false }
            for i in 0..<networkCount where networks[i].contains(address) { return true }
            return false
        case .exists:
            return flag
        case .never:
            return false
        }
    }

    @inline(__always)
    static func text(_ v: tw_value) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: v.ptr, count: v.len)
    }

    /// The value of a string whose whole text is a JSON number (`"403"`, `"-1.5e3"`), else nil;
    /// integer text that fits Int64 keeps its exact value.
    static func numericString(_ text: UnsafeRawBufferPointer) -> (integer: Int64?, value: Double)? {
        guard text.count > 0, text.count < 400, JSONNumber.isJSONNumber(text) else { return nil }
        if text.count <= 18, !text.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            var n: Int64 = 0
            for c in text where c != UInt8(ascii: "-") { n = n * 10 + Int64(c - 48) }
            if text[0] == UInt8(ascii: "-") { n = -n }
            return (n, Double(n))
        }
        let d = withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
            buffer[text.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        return (nil, d)
    }

    // MARK: - String comparisons

    private func equalsNeedle(_ text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count == needleCount && bytesEqual(text, 0) }
        if let folded = unicodeFold(text) { return folded }
        return text.count == needleCount && foldedEqual(text, 0)
    }

    private func hasNeedlePrefix(_ text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count >= needleCount && bytesEqual(text, 0) }
        if let folded = unicodeFold(text) { return folded }
        return text.count >= needleCount && foldedEqual(text, 0)
    }

    private func hasNeedleSuffix(_ text: UnsafeRawBufferPointer) -> Bool {
        if !foldCase { return text.count >= needleCount && bytesEqual(text, text.count - needleCount) }
        if let folded = unicodeFold(text) { return folded }
        return text.count >= needleCount && foldedEqual(text, text.count - needleCount)
    }

    private func containsNeedle(_ text: UnsafeRawBufferPointer) -> Bool {
        if foldCase, let folded = unicodeFold(text) { return folded }
        if needleCount == 0 { return true }
        guard text.count >= needleCount else { return false }
        let last = text.count - needleCount
        if !foldCase {
            var start = 0
            while start <= last {
                guard let hit = memchr(text.baseAddress! + start, Int32(needle[0]), last - start + 1) else { return false }
                let at = text.baseAddress!.distance(to: UnsafeRawPointer(hit))
                if bytesEqual(text, at) { return true }
                start = at + 1
            }
            return false
        }
        for at in 0...last where foldedEqual(text, at) { return true }
        return false
    }

    /// The case-insensitive answer by Unicode folding when text or operand is not ASCII; nil for ASCII
    /// on both sides, where folding A-Z is the whole story and bytes are compared directly.
    @inline(__always)
    private func unicodeFold(_ text: UnsafeRawBufferPointer) -> Bool? {
        if needleIsASCII, !text.contains(where: { $0 >= 0x80 }) { return nil }
        guard let foldRegex else { return false }
        return tw_regex_matches(foldRegex.handle, text.baseAddress?.assumingMemoryBound(to: CChar.self), text.count) != 0
    }

    @inline(__always)
    private func bytesEqual(_ text: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        needleCount == 0 || memcmp(text.baseAddress! + offset, needle.baseAddress!, needleCount) == 0
    }

    /// ASCII case-insensitive comparison at `offset` (both sides ASCII).
    private func foldedEqual(_ text: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        for i in 0..<needleCount {
            var c = text[offset + i]
            if c >= 65 && c <= 90 { c |= 0x20 }
            if c != needle[i] { return false }
        }
        return true
    }
}
