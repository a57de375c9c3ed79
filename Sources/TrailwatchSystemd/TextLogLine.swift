import Glibc
import Logging

/// The text form of one log message, kept apart from the handler so its format is tested exactly.
enum TextLogLine {
    /// `<UTC time with ms> <level> <label>: <message> key=value ...`, keys sorted; newlines and
    /// other control characters escaped, so one message is always one line.
    static func format(time: timespec, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        var line = "\(timestamp(time)) \(level) \(label): \(escape(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(escape(key))=\(quoteIfNeeded("\(value)"))"
        }
        return line
    }

    /// ISO 8601 in UTC with milliseconds: `2026-11-21T10:00:00.123Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
            + ".\(pad(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }

    /// Backslash-escapes control characters (`\n`, `\r`, `\t`, others as `\u{…}`) and the backslash.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A value with a space, `"` or `=` (or none at all) is quoted, so `key=value` pairs split unambiguously.
    static func quoteIfNeeded(_ value: String) -> String {
        let escaped = escape(value)
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" }
        return needsQuotes ? "\"" + escaped.replacing("\"", with: "\\\"") + "\"" : escaped
    }

    /// Writes all of `text` with as few write(2) calls as the descriptor allows (one, normally).
    static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
