import CSimdJSON
import TrailwatchCore

/// The value found at a path in the current event, borrowed from the parser.
///
/// Text is a view into the parser's buffers: valid until the next line is parsed. Copy what must outlive it
/// (`jsonValue`, `String(decoding:)`).
public enum FieldValue {
    case missing
    case null
    case bool(Bool)
    case number(Double, integer: Int64?)
    case string(UnsafeRawBufferPointer)
    /// Compact JSON text of an object.
    case object(UnsafeRawBufferPointer)
    /// Compact JSON text of an array.
    case array(UnsafeRawBufferPointer)

    public init(_ v: tw_value) {
        switch Int32(v.kind) {
        case Int32(TW_NULL.rawValue): self = .null
        case Int32(TW_FALSE.rawValue): self = .bool(false)
        case Int32(TW_TRUE.rawValue): self = .bool(true)
        case Int32(TW_NUMBER.rawValue): self = .number(v.number, integer: v.is_integer != 0 ? v.integer : nil)
        case Int32(TW_STRING.rawValue): self = .string(UnsafeRawBufferPointer(start: v.ptr, count: v.len))
        case Int32(TW_OBJECT.rawValue): self = .object(UnsafeRawBufferPointer(start: v.ptr, count: v.len))
        case Int32(TW_ARRAY.rawValue): self = .array(UnsafeRawBufferPointer(start: v.ptr, count: v.len))
        default: self = .missing
        }
    }

    public var isMissing: Bool {
        if case .missing = self { return true }
        return false
    }

    /// An owned copy; nil when missing.
    public var jsonValue: JSONValue? {
        switch self {
        case .missing: return nil
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d, let i): return .number(i.map { JSONNumber(integer: $0) } ?? JSONNumber(d))
        case .string(let s): return .string(String(decoding: s, as: UTF8.self))
        case .object(let text), .array(let text):
            // simdjson validated this text and wrote it compactly; the last of duplicate members wins.
            return JSONValue(jsonBytes: Array(text)) ?? .null
        }
    }
}
