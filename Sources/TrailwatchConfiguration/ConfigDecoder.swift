import TrailwatchCore

/// Where a value sits in the configuration, as errors name it: `sources[1].paths[0]`, `routes[0].labels.team`.
public struct MemberPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// The document itself (errors about it name no path).
    public static let root = MemberPath()

    public subscript(key: String) -> MemberPath { MemberPath(components + [.key(key)]) }
    public subscript(index: Int) -> MemberPath { MemberPath(components + [.index(index)]) }

    public var description: String {
        var out = ""
        for component in components {
            switch component {
            case .key(let key) where MemberPath.isPlain(key):
                out += out.isEmpty ? key : "." + key
            case .key(let key):
                out += "[" + JSONValue.string(key).description + "]"
            case .index(let index):
                out += "[\(index)]"
            }
        }
        return out
    }

    private static func isPlain(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { ConfigDecoder.isNameByte($0) && $0 != UInt8(ascii: ".") }
    }
}

/// A JSON object being decoded, with its member path.
public struct ConfigObject: Sendable {
    public let node: JSONNode
    public let path: MemberPath
    public let members: [JSONNode.Member]

    public var location: SourceLocation { node.location }

    /// The value of member `key`, if written (the strict parser has already rejected duplicates).
    public subscript(key: String) -> JSONNode? { members.first { $0.key == key }?.value }
}

/// A string from the configuration with where it was written, for checks that come after decoding
/// (duplicate names, references to sinks).
public struct LocatedString: Sendable, Equatable {
    public var value: String
    public var location: SourceLocation
    public var path: MemberPath

    public init(value: String, location: SourceLocation, path: MemberPath) {
        self.value = value
        self.location = location
        self.path = path
    }
}

/// Reads configuration values, collecting every problem (`file:line:col: path: message`) instead of stopping.
///
/// Each `decode…` method returns nil after reporting when the value is unusable; callers go on with the
/// next member so one run shows every error. Source and sink decoders (see `BlockType`) use it too.
public struct ConfigDecoder {
    /// The configuration file as the user named it (errors show this).
    public let file: String
    /// Absolute directory that relative paths resolve against: the configuration file's.
    public let baseDirectory: String
    /// Where `$CREDENTIALS_DIRECTORY` and `$STATE_DIRECTORY` come from.
    public let environment: [String: String]
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String, baseDirectory: String, environment: [String: String]) {
        self.file = file
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    /// Records `location: path: message`.
    public mutating func report(_ location: SourceLocation, _ path: MemberPath, _ message: String) {
        let prefix = path.components.isEmpty ? "" : "\(path): "
        diagnostics.append(Diagnostic(location, prefix + message))
    }

    // MARK: Objects

    /// The object at `node`; reports and returns nil when it is something else.
    /// `what` names it in the error (`"a source"`).
    public mutating func object(_ node: JSONNode, at path: MemberPath, what: String) -> ConfigObject? {
        guard let members = node.members else {
            report(node.location, path, "expected \(what) (a JSON object), got \(node.typeName)")
            return nil
        }
        return ConfigObject(node: node, path: path, members: members)
    }

    /// Reports every member of `object` not in `known`, with a suggestion for a likely misspelling.
    /// `owners` maps members that other kinds of the block take to a hint (`only "file" sources take it`).
    public mutating func rejectUnknownMembers(of object: ConfigObject, known: Set<String>, what: String,
                                             owners: [String: String] = [:]) {
        for member in object.members where !known.contains(member.key) {
            if let owner = owners[member.key] {
                report(member.keyLocation, object.path[member.key], "not a member of \(what) (\(owner))")
            } else {
                report(member.keyLocation, object.path[member.key],
                       "unknown member of \(what)" + Self.suggestion(member.key, known))
            }
        }
    }

    /// The value of `key`, reporting `path.key: required: hint` at the object when it is missing.
    public mutating func required(_ object: ConfigObject, _ key: String, _ hint: String) -> JSONNode? {
        if let value = object[key] { return value }
        report(object.location, object.path[key], "required: \(hint)")
        return nil
    }

    // MARK: Scalars

    public mutating func decodeString(_ node: JSONNode, at path: MemberPath) -> String? {
        guard let s = node.string else {
            report(node.location, path, "expected a string, got \(node.typeName)")
            return nil
        }
        return s
    }

    /// A non-empty string.
    public mutating func decodeNonEmptyString(_ node: JSONNode, at path: MemberPath) -> String? {
        guard let s = decodeString(node, at: path) else { return nil }
        guard !s.isEmpty else {
            report(node.location, path, "must not be empty")
            return nil
        }
        return s
    }

    public mutating func decodeBool(_ node: JSONNode, at path: MemberPath) -> Bool? {
        guard case .bool(let b) = node.kind else {
            report(node.location, path, "expected true or false, got \(node.shortText)")
            return nil
        }
        return b
    }

    /// A whole number in `range`; `unit` follows the bounds in the message (`"bytes"`).
    public mutating func decodeInteger(_ node: JSONNode, at path: MemberPath, in range: ClosedRange<Int>,
                                       unit: String = "") -> Int? {
        let suffix = unit.isEmpty ? "" : " " + unit
        if case .number(let n) = node.kind, let i = n.integer ?? JSONNumber.exactInteger(n.value),
           i >= range.lowerBound, i <= range.upperBound {
            return Int(i)
        }
        report(node.location, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound)\(suffix), got \(node.shortText)")
        return nil
    }

    /// A duration (`"5ms"`, `"1m"`, `"1h30m"`) of at most `maximum` milliseconds.
    public mutating func decodeDuration(_ node: JSONNode, at path: MemberPath, maximum: Int64) -> Int64? {
        guard let s = node.string, let ms = DurationText.parse(s) else {
            report(node.location, path, "expected a duration like \"5ms\", \"10s\" or \"1h30m\" (units d, h, m, s, ms, largest first), got \(node.shortText)")
            return nil
        }
        guard ms <= maximum else {
            report(node.location, path, "\(node.shortText) is too long: at most \"\(DurationText.format(maximum))\"")
            return nil
        }
        return ms
    }

    /// One of the raw values of `Choice`.
    public mutating func decodeChoice<Choice: RawRepresentable & CaseIterable>(_ node: JSONNode, at path: MemberPath,
                                                                             as _: Choice.Type = Choice.self) -> Choice?
    where Choice.RawValue == String {
        if let s = node.string, let choice = Choice(rawValue: s) { return choice }
        let names = Choice.allCases.map(\.rawValue)
        let hint = node.string.map { Self.suggestion($0, Set(names)) } ?? ""
        report(node.location, path, "expected one of \(Self.quotedList(names)), got \(node.shortText)\(hint)")
        return nil
    }

    /// A block or sink name: `[A-Za-z0-9_.-]+`.
    public mutating func decodeName(_ node: JSONNode, at path: MemberPath, what: String) -> String? {
        guard let s = decodeString(node, at: path) else { return nil }
        guard !s.isEmpty, s.utf8.allSatisfy(Self.isNameByte) else {
            report(node.location, path, "\(node.shortText) is not a valid \(what) name: use letters, digits, '_', '.' and '-'")
            return nil
        }
        return s
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
    }

    // MARK: Lists

    /// A string or an array of strings, each checked by `element` (nil drops it after it reported);
    /// `nonEmpty` reports an empty array with `emptyHint`. Nil when the value is not a list at all.
    public mutating func decodeStringList(_ node: JSONNode, at path: MemberPath, nonEmpty: Bool = true,
                                          emptyHint: String = "",
                                          element: (inout ConfigDecoder, JSONNode, MemberPath) -> String?)
        -> [LocatedString]? {
        if node.string != nil {
            return element(&self, node, path).map { [LocatedString(value: $0, location: node.location, path: path)] } ?? []
        }
        guard let items = node.items else {
            report(node.location, path, "expected a string or an array of strings, got \(node.typeName)")
            return nil
        }
        if items.isEmpty && nonEmpty {
            report(node.location, path, "must not be empty" + (emptyHint.isEmpty ? "" : ": \(emptyHint)"))
            return nil
        }
        var out: [LocatedString] = []
        for (i, item) in items.enumerated() {
            if let s = element(&self, item, path[i]) {
                out.append(LocatedString(value: s, location: item.location, path: path[i]))
            }
        }
        return out
    }

    /// Reports each value already listed earlier in `list` (`what` names the list's items).
    public mutating func rejectDuplicates(_ list: [LocatedString], what: String) {
        var seen: [String: LocatedString] = [:]
        for item in list {
            if let first = seen[item.value] {
                report(item.location, item.path, "\(what) \(JSONValue.string(item.value).description) is listed twice (first at \(first.location))")
            } else {
                seen[item.value] = item
            }
        }
    }

    // MARK: Paths

    /// A filesystem path, made absolute against `baseDirectory`. `~` is rejected (the daemon has no home
    /// directory and the shell that would expand it is not involved); `allowGlob` permits `*`, `?` and `[...]`
    /// in the last component only; `file` rejects a path ending in `/`.
    public mutating func decodePath(_ node: JSONNode, at path: MemberPath, allowGlob: Bool = false,
                                    file: Bool = false) -> String? {
        guard let s = decodeNonEmptyString(node, at: path) else { return nil }
        if s.hasPrefix("~") {
            report(node.location, path, "\(node.shortText): \"~\" is not expanded: write the full path, or one relative to the configuration file's directory")
            return nil
        }
        if s.utf8.contains(0) {
            report(node.location, path, "a path cannot contain a NUL character")
            return nil
        }
        let resolved = PathText.resolve(s, against: baseDirectory)
        let isGlob: (Substring) -> Bool = { $0.contains { "*?[".contains($0) } }
        let parts = resolved.split(separator: "/", omittingEmptySubsequences: true)
        if allowGlob {
            if parts.dropLast().contains(where: isGlob) {
                report(node.location, path, "\(node.shortText): wildcards (*, ?, [...]) are allowed in the file name only, not in directories")
                return nil
            }
        }
        if (file || allowGlob) && s.hasSuffix("/") {
            report(node.location, path, "\(node.shortText): expected a file, not a directory")
            return nil
        }
        return resolved
    }

    // MARK: Messages

    /// ` (did you mean "paths"?)` when `name` is a likely misspelling of one of `known`, else empty.
    public static func suggestion(_ name: String, _ known: some Collection<String>) -> String {
        guard let candidate = closest(name, known) else { return "" }
        return " (did you mean \(JSONValue.string(candidate).description)?)"
    }

    /// The member of `known` within two edits of `name` (three for names of eight or more characters, so
    /// `severities` finds `severity`), if any; ties go to the alphabetically first.
    public static func closest(_ name: String, _ known: some Collection<String>) -> String? {
        Spelling.closest(to: name, in: known, maximumDistance: name.count >= 8 ? 3 : 2, ignoringCase: true)
    }

    /// `"a", "b", "c"`
    public static func quotedList(_ names: some Sequence<String>) -> String {
        names.map { JSONValue.string($0).description }.joined(separator: ", ")
    }

    /// `a "file" source`, `an "exec" sink`.
    public static func describe(type: String, of block: String) -> String {
        let article = type.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        return "\(article) \(JSONValue.string(type).description) \(block)"
    }
}

/// Lexical path handling: absolute paths without `.`, `..` or repeated slashes.
public enum PathText {
    /// `path` if absolute, else joined to `directory`; then cleaned.
    public static func resolve(_ path: String, against directory: String) -> String {
        clean(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// Removes `.`, empty components and `..` with the component before it (`/a/b/../c/` → `/a/c`).
    public static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The directory part of an absolute path (`/a/b` → `/a`, `/a` → `/`).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
