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

    /// Holds the last line given as an array (see `parse(_: [UInt8])`).
    private var ownedLine = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)

    deinit {
        tw_extractor_free(extractor)
        ownedLine.deallocate()
    }

    public enum Outcome: Equatable {
        case event
        /// The line is not a JSON object; the text says why (for the rejection report).
        case rejected(String)
    }

    /// Parses `line`; when `event`, `value(at:)` reads the new event until the next call.
    ///
    /// `readable` is how many bytes may be read from the line's start (at least its length). String values
    /// may point into `line`: keep its bytes unchanged while reading the event.
    public func parse(_ line: UnsafeRawBufferPointer, readable: Int) -> Outcome {
        guard let base = line.baseAddress?.assumingMemoryBound(to: CChar.self) else { return parse([UInt8]()) }
        let rc = tw_extract(extractor, base, line.count, readable)
        switch rc {
        case Int32(TW_OK): return .event
        case Int32(TW_NOT_OBJECT): return .rejected("not a JSON object but " + String(cString: tw_last_error(extractor)))
        default: return .rejected("not valid JSON: " + String(cString: tw_last_error(extractor)))
        }
    }

    /// Parses a line held in a Swift array (tests, inline events): copied to a padded buffer the parser
    /// keeps until the next parse, since string values are read in place.
    public func parse(_ bytes: [UInt8]) -> Outcome {
        let needed = bytes.count + Self.padding
        if ownedLine.count < needed {
            ownedLine.deallocate()
            ownedLine = .allocate(byteCount: needed, alignment: 64)
        }
        bytes.withUnsafeBytes { ownedLine.baseAddress!.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(ownedLine.baseAddress!), byteCount: $0.count) }
        (ownedLine.baseAddress! + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: Self.padding)
        return parse(UnsafeRawBufferPointer(start: ownedLine.baseAddress, count: bytes.count), readable: ownedLine.count)
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
        FieldValue(slots[slot])
    }

    /// The raw slot, for hot loops that only need the kind or the string bytes.
    @inline(__always)
    public func rawSlot(_ slot: Int) -> tw_value {
        slots[slot]
    }
}

extension EventParser {
    /// The current event's slots, every one filled (JSON-in-string members are parsed first if need be).
    public var slots: UnsafePointer<tw_value> {
        if tw_has_pending(extractor) != 0 { tw_resolve(extractor) }
        return tw_slots(extractor)
    }

    /// The current event's slots as parsed so far: slots of paths inside JSON-in-string members (such as
    /// `requestData.dry_run`), and such a member's own slot when its text has escapes to decode, may be
    /// `TW_PENDING` until `resolvePending()`. Most events need none of them, so the engine resolves only for
    /// a rule that reads one (see `CompiledRule.readSlots`). `eventTime`, `id` and `action` are never pending.
    public var unresolvedSlots: UnsafePointer<tw_value> { tw_slots(extractor) }

    /// Whether some slots are still `TW_PENDING`.
    public var hasPending: Bool { tw_has_pending(extractor) != 0 }

    /// Parses the deferred JSON-in-string members; afterwards no slot is `TW_PENDING`.
    public func resolvePending() { tw_resolve(extractor) }
}
