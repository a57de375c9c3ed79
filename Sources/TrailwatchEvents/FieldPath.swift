/// A path into an event as rules write it: `initiator.host.address`, `envelope.meta.userAccountIds.0`.
///
/// Paths starting with `envelope.` look in the Activity Tracker envelope, all others in the CADF event.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Scope: Int32, Sendable { case event = 0, envelope = 1 }

    public let scope: Scope
    public let segments: [String]
    /// The path as written.
    public let text: String

    /// Nil when the text is not a path: empty, or with an empty segment (`a..b`, `.a`, `a.`).
    public init?(_ text: String) {
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
        if parts[0] == "envelope" {
            guard parts.count > 1 else { return nil }
            parts.removeFirst()
            scope = .envelope
        } else {
            scope = .event
        }
        segments = parts
        self.text = text
    }

    public var description: String { text }
}
