import Testing
@testable import TrailwatchEvents

struct EventSchemaTests {
    /// The engine checks only these slots for `TW_PENDING` before a rule runs: a slot left out would let a
    /// rule read a pending value as missing.
    @Test func mayBePendingNamesEverySlotTheParserCanLeavePending() {
        let schema = EventSchema()
        let paths = ["requestData", "requestData.a", "message", "envelope.meta", "envelope.meta.x", "meta", "action",
                     "action.y", "eventTime.z", "id"]
        let slots = paths.map { schema.slot(for: FieldPath($0)!) }
        #expect(slots.map { schema.mayBePending($0) } == [true, true, false, true, true, false, false, true, true, false])
        #expect(!schema.mayBePending(schema.eventTimeSlot))
    }
}
