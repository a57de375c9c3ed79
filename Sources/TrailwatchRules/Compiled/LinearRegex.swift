import CRE2

#if canImport(Glibc)
import Glibc
#endif

/// A compiled RE2 expression: matching time is linear in the text, whatever a rule or an event holds.
///
/// RE2 takes Perl/Python syntax without backreferences and look-around; those are load errors.
public final class LinearRegex: @unchecked Sendable {  // RE2 objects are immutable and thread-safe once built
    let handle: OpaquePointer

    /// Compiles `pattern`; `whole` anchors it at both ends (globs), otherwise it searches.
    public init(_ pattern: String, ignoreCase: Bool = false, whole: Bool = false) throws(Problem) {
        var error: UnsafeMutablePointer<CChar>? = nil
        var copy = pattern
        let handle = copy.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                tw_regex_new($0.baseAddress, $0.count, ignoreCase ? 1 : 0, whole ? 1 : 0, &error)
            }
        }
        guard let handle else {
            let message = error.map { String(cString: $0) } ?? "invalid regular expression"
            free(error)
            throw Problem(message: message)
        }
        self.handle = handle
    }

    deinit { tw_regex_free(handle) }

    public struct Problem: Error, Sendable {
        public var message: String
    }

    /// `text` as an expression that matches exactly that text.
    public static func quote(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                let v = scalar.value
                if (v >= 48 && v <= 57) || (v >= 65 && v <= 90) || (v >= 97 && v <= 122) {
                    out.unicodeScalars.append(scalar)
                } else if v < 0x20 || v == 0x7F {
                    out += "\\x" + (v < 16 ? "0" : "") + String(v, radix: 16)
                } else {
                    out += "\\" + String(scalar)
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Why `pattern` does not compile, or nil when it does.
    public static func problem(_ pattern: String) -> String? {
        do {
            _ = try LinearRegex(pattern)
            return nil
        } catch {
            return error.message
        }
    }

    @inline(__always)
    public func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        tw_regex_matches(handle, text.baseAddress?.assumingMemoryBound(to: CChar.self), text.count) != 0
    }

    public func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }
}
