/// What a rule produces and sinks deliver (rules.md §7).
///
/// `id` is stable across runs (same rule, group and time), so receivers can drop a repeat.
public struct Alert: Sendable, Hashable {
    public var id: String
    public var rule: String
    public var severity: Severity
    /// When it fired, in milliseconds since the epoch.
    public var time: Int64
    /// Each `group_by` path and its value (null when missing), in `group_by` order.
    public var group: [JSONMember]
    public var count: Int
    /// Ids of the events behind the alert, oldest first, at most 20.
    public var events: [String]
    public var summary: String
    public var labels: [JSONMember]
    /// How many alerts of this rule and group were suppressed since the last one sent.
    public var suppressed: Int

    public init(id: String, rule: String, severity: Severity, time: Int64, group: [JSONMember], count: Int,
                events: [String], summary: String, labels: [JSONMember], suppressed: Int) {
        self.id = id
        self.rule = rule
        self.severity = severity
        self.time = time
        self.group = group
        self.count = count
        self.events = events
        self.summary = summary
        self.labels = labels
        self.suppressed = suppressed
    }

    /// The alert as a JSON object, members in the documented order.
    public var json: JSONValue {
        .object([
            JSONMember("id", .string(id)),
            JSONMember("rule", .string(rule)),
            JSONMember("severity", .string(severity.rawValue)),
            JSONMember("time", .string(EventTime.format(time))),
            JSONMember("group", .object(group)),
            JSONMember("count", .number(JSONNumber(integer: Int64(count)))),
            JSONMember("events", .array(events.map { .string($0) })),
            JSONMember("summary", .string(summary)),
            JSONMember("labels", .object(labels)),
            JSONMember("suppressed", .number(JSONNumber(integer: Int64(suppressed)))),
        ])
    }

    /// One line for people: time, severity, rule, group, summary (and how many were suppressed before it).
    public var textLine: String {
        let group = self.group.map { member in
            "\(member.key)=" + (member.value.stringValue ?? member.value.description)
        }.joined(separator: " ")
        var line = "\(EventTime.format(time))  \(severity.rawValue.uppercased())  \(rule)"
        if !group.isEmpty { line += "  [\(group)]" }
        if !summary.isEmpty { line += "  \(summary)" }
        if suppressed > 0 { line += "  (+\(suppressed) suppressed)" }
        return line
    }

    /// One compact JSON line, newline included: what `replay` prints and the `file` sink writes.
    ///
    /// The same text as `JSONWriter.write(json)`, written field by field: replay writes every alert, and
    /// building the `json` tree first cost more than the writing.
    public func appendJSONLine(to out: inout [UInt8]) {
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func object(_ members: [JSONMember]) {
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONWriter.write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "{"))
        key("id", first: true); JSONWriter.writeString(id, to: &out)
        key("rule"); JSONWriter.writeString(rule, to: &out)
        key("severity"); JSONWriter.writeString(severity.rawValue, to: &out)
        key("time"); out.append(UInt8(ascii: "\"")); EventTime.format(time, to: &out); out.append(UInt8(ascii: "\""))
        key("group"); object(group)
        key("count"); out.append(contentsOf: String(count).utf8)
        key("events")
        out.append(UInt8(ascii: "["))
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(event, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        key("summary"); JSONWriter.writeString(summary, to: &out)
        key("labels"); object(labels)
        key("suppressed"); out.append(contentsOf: String(suppressed).utf8)
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }
}
