import Crypto
import Foundation
import TrailwatchCore

/// Builds the mail for one delivery: a pure function of the alerts, the addresses and the date, tested
/// against golden files.
///
/// One alert gives `Subject: [trailwatch] HIGH cdb-backup-failed: <summary>`; a batch (storm control) gives
/// `[trailwatch] 12 alerts from 3 rules (highest: CRITICAL)` and lists them, most severe first. The body
/// is plain text (summary, rule, severity, status, time, group, count, events, labels, alert id), UTF-8,
/// quoted-printable, so it passes every server unchanged (no 8BITMIME or SMTPUTF8 needed); a header with
/// non-ASCII text uses RFC 2047 encoded words. Control characters in alert text become spaces in headers,
/// so an alert cannot add a header. `Message-ID` derives from the alert id (a batch: from all of them), so
/// a mail sent again after a crash has the same id and mail clients can drop the repeat.
///
/// The message has CRLF line endings and is not dot-stuffed: that is the SMTP client's part.
public enum SMTPMessage {
    public struct Mail: Sendable, Equatable {
        /// `MAIL FROM` address.
        public var sender: String
        /// `RCPT TO` addresses.
        public var recipients: [String]
        /// RFC 5322 message, CRLF line endings.
        public var message: [UInt8]
    }

    /// The mail for `alerts`, dated `date` (milliseconds since the epoch, written in UTC).
    public static func build(_ alerts: [OutgoingAlert], from: String, to: [String], sink: String, date: Int64) -> Mail {
        let sender = mailbox(from)?.address ?? from
        let domain = sender.split(separator: "@").last.map(String.init) ?? "trailwatch.invalid"
        var headers: [(String, String)] = [
            ("Date", rfc5322Date(date)),
            ("From", fromHeader(from)),
            ("To", to.joined(separator: ", ")),
            ("Subject", subject(alerts)),
            ("Message-ID", messageID(alerts, domain: domain)),
            ("Auto-Submitted", "auto-generated"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ]
        if alerts.count == 1 { headers.append(("X-Trailwatch-Alert-Id", alerts[0].alert.id)) }
        var message: [UInt8] = []
        for (name, value) in headers {
            message.append(contentsOf: header(name, value).utf8)
        }
        message.append(contentsOf: "\r\n".utf8)
        message.append(contentsOf: quotedPrintable(body(alerts, sink: sink)))
        return Mail(sender: sender, recipients: to, message: message)
    }

    // MARK: Content

    static func subject(_ alerts: [OutgoingAlert]) -> String {
        if alerts.count == 1 {
            let outgoing = alerts[0]
            return "[trailwatch] " + headline(outgoing)
        }
        let rules = Set(alerts.map(\.alert.rule)).count
        let highest = alerts.map(\.alert.severity).min() ?? .info
        return "[trailwatch] \(alerts.count) alerts from \(rules) rule\(rules == 1 ? "" : "s") (highest: \(highest.rawValue.uppercased()))"
    }

    /// `HIGH cdb-backup-failed: summary` (`RESOLVED HIGH …` when resolved), the summary cut at 200 characters.
    static func headline(_ outgoing: OutgoingAlert) -> String {
        let alert = outgoing.alert
        var line = (outgoing.status == .resolved ? "RESOLVED " : "") + "\(alert.severity.rawValue.uppercased()) \(alert.rule)"
        let summary = singleLine(alert.summary)
        if !summary.isEmpty { line += ": " + (summary.count > 200 ? String(summary.prefix(199)) + "…" : summary) }
        return line
    }

    static func body(_ alerts: [OutgoingAlert], sink: String) -> String {
        var lines: [String] = []
        if alerts.count == 1 {
            lines.append(headline(alerts[0]))
            lines.append("")
            lines += details(alerts[0], indent: "")
        } else {
            let rules = Set(alerts.map(\.alert.rule)).count
            lines.append("\(alerts.count) alerts from \(rules) rule\(rules == 1 ? "" : "s")")
            // Most severe first, then in the order they fired.
            let ordered = alerts.enumerated().sorted {
                ($0.element.alert.severity, $0.offset) < ($1.element.alert.severity, $1.offset)
            }.map(\.element)
            for (i, outgoing) in ordered.enumerated() {
                lines.append("")
                lines.append("\(i + 1). " + headline(outgoing))
                lines += details(outgoing, indent: "   ")
            }
        }
        lines.append("")
        lines.append("-- ")
        lines.append("Sent by trailwatch (sink \"\(sink)\").")
        return lines.joined(separator: "\n") + "\n"
    }

    static func details(_ outgoing: OutgoingAlert, indent: String) -> [String] {
        let alert = outgoing.alert
        var lines: [String] = []
        func add(_ name: String, _ values: [String]) {
            let label = (name + ":").padding(toLength: 12, withPad: " ", startingAt: 0)
            for (i, value) in values.enumerated() {
                lines.append(indent + (i == 0 ? label : String(repeating: " ", count: 12)) + value)
            }
        }
        func text(_ value: JSONValue) -> String { value.stringValue ?? value.description }
        if !alert.summary.isEmpty { add("Summary", alert.summary.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)) }
        add("Rule", [alert.rule])
        add("Severity", [alert.severity.rawValue])
        add("Status", [outgoing.status.rawValue])
        add("Time", [EventTime.format(alert.time)])
        if !alert.group.isEmpty { add("Group", alert.group.map { "\($0.key)=\(text($0.value))" }) }
        add("Count", [String(alert.count)])
        if !alert.events.isEmpty { add("Events", [alert.events.joined(separator: ", ")]) }
        if !alert.labels.isEmpty { add("Labels", alert.labels.map { "\($0.key)=\(text($0.value))" }) }
        if alert.suppressed > 0 { add("Suppressed", [String(alert.suppressed)]) }
        add("Alert id", [alert.id])
        return lines
    }

    static func messageID(_ alerts: [OutgoingAlert], domain: String) -> String {
        let resolved = alerts.allSatisfy { $0.status == .resolved } ? ".resolved" : ""
        if alerts.count == 1 {
            return "<\(alerts[0].alert.id)\(resolved).trailwatch@\(domain)>"
        }
        let ids = alerts.map { $0.alert.id + ($0.status == .resolved ? "/r" : "") }.joined(separator: ",")
        let digest = SHA256.hash(data: Array(ids.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        return "<batch-\(digest).trailwatch@\(domain)>"
    }

    // MARK: Addresses

    /// The address of `user@host` or `Name <user@host>`, with the display name; nil when neither.
    public static func mailbox(_ text: String) -> (name: String?, address: String)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            guard isAddress(address), !name.contains(where: { $0.isNewline || $0 == "\"" || $0 == "\\" }) else { return nil }
            return (name.isEmpty ? nil : name, address)
        }
        return isAddress(trimmed) ? (nil, trimmed) : nil
    }

    /// `local@domain` in printable ASCII without spaces or the characters that would need quoting.
    public static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        return text.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"<>()[]\\,;:\"".unicodeScalars.contains($0) }
    }

    static func fromHeader(_ text: String) -> String {
        guard let (name, address) = mailbox(text) else { return text }
        guard let name else { return address }
        if name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) {
            return "\"\(name)\" <\(address)>"
        }
        return encodedWords(name).joined(separator: " ") + " <\(address)>"
    }

    // MARK: Encoding

    /// `Name: value` CRLF: printable ASCII folded at spaces to about 78 characters, anything else as
    /// RFC 2047 encoded words (one per folded line).
    static func header(_ name: String, _ value: String) -> String {
        let value = singleLine(value)
        if value.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) {
            var out = name + ":"
            var lineLength = out.count
            for (i, word) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                if i > 0 && lineLength + 1 + word.count > 78 && lineLength > name.count + 1 {
                    out += "\r\n"
                    lineLength = 0
                }
                out += " " + word
                lineLength += 1 + word.count
            }
            return out + "\r\n"
        }
        return name + ": " + encodedWords(value).joined(separator: "\r\n ") + "\r\n"
    }

    /// `=?utf-8?B?…?=` words of at most 64 characters (a folded line stays under 78), split between characters, never inside one.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39 && !chunk.isEmpty {
                words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// Control characters (newlines included) become spaces: header values are one line.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
    }

    /// Quoted-printable (RFC 2045) of `text`'s UTF-8, `\n` line breaks becoming CRLF, lines at most 76 characters.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index == lines.count - 1 && line.isEmpty { break }
            var bytes = Array(line.utf8)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            var length = 0
            for (i, byte) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let encoded: [UInt8] = literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                // Soft break: keep room for "=" (and for a final encoded character on the last piece).
                if length + encoded.count > (last ? 76 : 75) {
                    out.append(contentsOf: "=\r\n".utf8)
                    length = 0
                }
                out.append(contentsOf: encoded)
                length += encoded.count
            }
            out.append(contentsOf: "\r\n".utf8)
        }
        return out
    }

    /// `Sun, 01 Mar 2026 10:00:05 +0000`
    static func rfc5322Date(_ millis: Int64) -> String {
        let text = Array(EventTime.format(millis).utf8)  // 2026-03-01T10:00:05.000Z
        func part(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
        let days = Int((millis - ((millis % 86_400_000) + 86_400_000) % 86_400_000) / 86_400_000)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[((days % 7) + 7) % 7]
        let month = months[Int(part(5..<7))! - 1]
        return "\(weekday), \(part(8..<10)) \(month) \(part(0..<4)) \(part(11..<19)) +0000"
    }

    /// The message as sent after DATA: a `.` starting a line doubled (RFC 5321 §4.5.2), then `CRLF.CRLF`.
    public static func dataSection(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 16)
        var atLineStart = true
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 0x0A
        }
        if !atLineStart { out.append(contentsOf: "\r\n".utf8) }
        out.append(contentsOf: ".\r\n".utf8)
        return out
    }
}
