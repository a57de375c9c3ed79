import CSimdJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The set of paths the loaded rules read, each given a slot the parser fills per event.
///
/// Built once when rules are compiled; the parser then extracts exactly these values and nothing else.
public final class EventSchema {
    private var slots: [FieldPath: Int] = [:]
    public private(set) var paths: [FieldPath] = []

    /// Slot of `eventTime` (rules.md §1: the event time).
    public let eventTimeSlot: Int
    /// Slot of `id` (rules.md §1: the event id).
    public let idSlot: Int

    public init() {
        eventTimeSlot = 0
        idSlot = 1
        _ = slot(for: FieldPath("eventTime")!)
        _ = slot(for: FieldPath("id")!)
    }

    /// Slots whose object and array values must come out as JSON text.
    private var textSlots: Set<Int> = []

    /// The slot for `path`, registering it on first use.
    ///
    /// `keepingText`: the value is shown or compared as a whole (group keys, `field`, templates), so objects
    /// and arrays there must be written out as JSON text; tests never need it (no operator matches an object).
    public func slot(for path: FieldPath, keepingText: Bool = false) -> Int {
        let s: Int
        if let existing = slots[path] {
            s = existing
        } else {
            s = paths.count
            slots[path] = s
            paths.append(path)
        }
        if keepingText { textSlots.insert(s) }
        return s
    }

    public var slotCount: Int { paths.count }

    /// Read for every event before any rule runs (time, id, the rule index's action): never left pending.
    private static let neverPending = ["eventTime", "id", "action"].map { FieldPath($0)! }

    /// Whether the parser may leave `slot` `TW_PENDING` (`EventParser.unresolvedSlots`): a path inside another
    /// (whose value may be JSON text in a string), or a path others go inside (that string's own slot).
    public func mayBePending(_ slot: Int) -> Bool {
        let path = paths[slot]
        if Self.neverPending.contains(path) { return false }
        if path.segments.count >= 2 { return true }
        return paths.contains {
            $0.scope == path.scope && $0.segments.count > path.segments.count && $0.segments.starts(with: path.segments)
        }
    }

    func makePlan() -> OpaquePointer {
        let plan = tw_plan_new()!
        for (expected, path) in paths.enumerated() {
            let cStrings = path.segments.map { strdup($0)! }
            defer { cStrings.forEach { free($0) } }
            let pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
            let lengths = path.segments.map { $0.utf8.count }
            let slot = pointers.withUnsafeBufferPointer { p in
                lengths.withUnsafeBufferPointer { l in
                    tw_plan_add(plan, path.scope.rawValue, p.baseAddress, l.baseAddress, path.segments.count)
                }
            }
            precondition(Int(slot) == expected, "path slots must be assigned in registration order")
        }
        for slot in textSlots { tw_plan_keep_text(plan, Int32(slot)) }
        for path in Self.neverPending {
            if let slot = slots[path] { tw_plan_never_pending(plan, Int32(slot)) }
        }
        return plan
    }
}
