/// Turns a metadata key into a valid journal field name, so `journalctl RULE=…` can filter on it.
///
/// journald accepts only `A–Z`, `0–9` and `_`, at most 64 bytes, not starting with a digit, and keeps a
/// leading `_` for trusted fields it adds itself (a client's `_X` would be dropped). Keys are upper-cased,
/// any other character becomes `_`, and a name starting with a digit or `_` (or empty) gets the prefix `X`.
public enum JournalFieldName {
    public static let maximumLength = 64
    static let prefix = "X"

    public static func from(_ key: String) -> String {
        var name = String(String.UnicodeScalarView(key.uppercased().unicodeScalars.map { scalar in
            switch scalar {
            case "A"..."Z", "0"..."9", "_": scalar
            default: "_"
            }
        }))
        if name.isEmpty || name.first == "_" || name.first!.isNumber { name = prefix + name }
        return String(name.prefix(maximumLength))
    }
}
