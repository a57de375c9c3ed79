import Testing
@testable import TrailwatchEngine

@Suite struct EventIDTests {
    @Test("every id reads back as written, packed or not", arguments: [
        "ee512e7d852ef91f0c223f4244c27c09",        // 32 hex digits, lower case (Activity Tracker)
        "EE512E7D852EF91F0C223F4244C27C09",        // upper case
        "51e58007-74c9-4747-8b11-c4b92962d0f0",    // UUID
        "51E58007-74C9-4747-8B11-C4B92962D0F0",
        "00000000000000000000000000000000",        // digits only
        "ffffffffffffffffffffffffffffffff",
        "Ee512e7d852ef91f0c223f4244c27c09",        // mixed case: text
        "51e58007-74c9-4747-8b11-c4b92962d0f",     // one digit short
        "51e5800774c9-4747-8b11-c4b92962d0f0x",    // 36 bytes, dash misplaced
        "ge512e7d852ef91f0c223f4244c27c09",        // not hex
        "ee512e7d852ef91f0c223f4244c27c0é",        // 32 characters, 33 bytes
        "", "e1", "audit.jsonl:12",
    ])
    func roundTrip(_ text: String) {
        #expect(EventID(text).text == text)
        let fromBytes = Array(text.utf8).withUnsafeBytes { EventID(utf8: $0) }
        #expect(fromBytes == EventID(text))
        #expect(fromBytes.text == text)
    }

    @Test("ids are equal exactly when their texts are, and hash alike then")
    func equality() {
        let texts = ["ee512e7d852ef91f0c223f4244c27c09", "EE512E7D852EF91F0C223F4244C27C09",
                     "ee512e7d-852e-f91f-0c22-3f4244c27c09", "ee512e7d852ef91f0c223f4244c27c08", "x"]
        for a in texts {
            for b in texts {
                #expect((EventID(a) == EventID(b)) == (a == b))
            }
            #expect(EventID(a).hashValue == EventID(a).hashValue)
        }
    }

    @Test("an event reference with a hexadecimal id stays within 40 bytes, inline")
    func compact() {
        #expect(MemoryLayout<EventRef>.size <= 40)
        let ref = EventRef(time: 1, sequence: 2, id: "51e58007-74c9-4747-8b11-c4b92962d0f0")
        #expect(ref.id == "51e58007-74c9-4747-8b11-c4b92962d0f0")
    }
}
