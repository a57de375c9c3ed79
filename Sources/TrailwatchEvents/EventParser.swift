import CSimdJSON

/// Parses event lines and exposes the values at the schema's paths.
///
/// One validating simdjson parse per line; then a single walk copies out only the paths rules use.
/// Not thread-safe: one parser per stream reader.
public final class EventParser {
    let extractor: OpaquePointer
    private let slotCount: Int
    public let schema: EventSchema

    /// Bytes that must be readable after a line for it to be parsed in place (else it is copied).
    public static let padding = Int(tw_padding())

    public init(schema: EventSchema) {
        self.schema = schema
        let plan = schema.makePlan()
        extractor = tw_extractor_new(plan)
        tw_plan_free(plan)
        slotCount = schema.slotCount
    }

    deinit { tw_extractor_free(extractor) }

    public enum Outcome: Equatable {
        case event
        /// The line is not a JSON object; the text says why (for the rejection report).
        case rejected(String)
    }

    /// Parses `line`; when `event`, `value(at:)` reads the new event until the next call.
    ///
    /// `readable` is how many bytes may be read from the line's start (at least its length).
    public func parse(_ line: UnsafeRawBufferPointer, readable: Int) -> Outcome {
        guard let base = line.baseAddress?.assumingMemoryBound(to: CChar.self) else { return parse([UInt8]()) }
        let rc = tw_extract(extractor, base, line.count, readable)
        switch rc {
        case Int32(TW_OK): return .event
        case Int32(TW_NOT_OBJECT): return .rejected("not a JSON object but " + String(cString: tw_last_error(extractor)))
        default: return .rejected("not valid JSON: " + String(cString: tw_last_error(extractor)))
        }
    }

    /// Parses a line held in a Swift array (tests, inline events); copies it to a padded buffer.
    public func parse(_ bytes: [UInt8]) -> Outcome {
        Self.withPadding(bytes) { parse($0, readable: $1) }
    }

    /// Calls `body` with a copy of `bytes` followed by the parser's padding, and how many bytes are readable.
    public static func withPadding<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer, Int) throws -> R) rethrows -> R {
        var padded = bytes
        padded.append(contentsOf: repeatElement(0, count: padding))
        return try padded.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<bytes.count]), $0.count) }
    }

    /// The current event's value at `slot`.
    @inline(__always)
    public func value(at slot: Int) -> FieldValue {
        FieldValue(tw_slots(extractor)[slot])
    }

    /// The raw slot, for hot loops that only need the kind or the string bytes.
    @inline(__always)
    public func rawSlot(_ slot: Int) -> tw_value {
        tw_slots(extractor)[slot]
    }
}

extension EventParser {
    /// The current event's slots, for evaluation loops that read many of them.
    public var slots: UnsafePointer<tw_value> { tw_slots(extractor) }
}
