/// A JSON value read from a file people edit, with the position of every value and key.
///
/// Rule, test and configuration files are read into this so each error can point at its line and column.
public struct JSONNode: Sendable {
    public indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONNode])
        case object([Member])
    }

    /// A member with the position of its key (unknown members are reported there).
    public struct Member: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: JSONNode
    }

    public var kind: Kind
    public var location: SourceLocation
    /// Where the value's text lies in the parsed bytes (to take an event exactly as written).
    public var span: Range<Int> = 0..<0

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The value without positions.
    public var value: JSONValue {
        switch kind {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(\.value))
        case .object(let members): .object(members.map { JSONMember($0.key, $0.value.value) })
        }
    }

    /// What people call this kind of value in error messages.
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var members: [Member]? {
        if case .object(let m) = kind { return m }
        return nil
    }

    public var items: [JSONNode]? {
        if case .array(let a) = kind { return a }
        return nil
    }

    public var string: String? {
        if case .string(let s) = kind { return s }
        return nil
    }

    /// The text of a value for an error message: strings as written, others as compact JSON.
    public var shortText: String {
        let text = value.description
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
