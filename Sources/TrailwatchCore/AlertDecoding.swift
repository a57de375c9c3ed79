extension Alert {
    /// Reads an alert back from its JSON line (the outbox keeps alerts as the text replay prints).
    public init?(jsonText: String) {
        guard let value = JSONValue(jsonText: jsonText),
              let id = value["id"]?.stringValue, let rule = value["rule"]?.stringValue,
              let severity = value["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
              let time = value["time"]?.stringValue.flatMap({ EventTime.parse($0) }),
              case .object(let group)? = value["group"], case .number(let count)? = value["count"],
              case .array(let events)? = value["events"], let summary = value["summary"]?.stringValue,
              case .object(let labels)? = value["labels"], case .number(let suppressed)? = value["suppressed"],
              let countValue = count.integer, let suppressedValue = suppressed.integer
        else { return nil }
        self.init(id: id, rule: rule, severity: severity, time: time, group: group, count: Int(countValue),
                  events: events.compactMap(\.stringValue), summary: summary, labels: labels,
                  suppressed: Int(suppressedValue))
    }
}
