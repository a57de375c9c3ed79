import TrailwatchCore
import TrailwatchSources

/// A source checkpoint as the JSON text the state store keeps, written by hand.
///
/// Every commit saves every source's position; `JSONEncoder` took more CPU than the rest of a commit.
/// The text is what `JSONEncoder` with sorted keys writes (slashes unescaped), so `JSONDecoder` reads
/// both, and checkpoints saved by earlier versions load unchanged.
enum CheckpointText {
    static func encode(_ checkpoint: SourceCheckpoint) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64 + checkpoint.files.count * 160)
        out.append(contentsOf: #"{"files":["#.utf8)
        for (i, file) in checkpoint.files.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"device":"#.utf8)
            out.append(contentsOf: String(file.device).utf8)
            if let fingerprint = file.fingerprint { member("fingerprint", String(fingerprint), &out) }
            member("inode", String(file.inode), &out)
            member("line", String(file.line), &out)
            if let modified = file.modified { member("modified", String(modified), &out) }
            member("offset", String(file.offset), &out)
            out.append(contentsOf: #","path":"#.utf8)
            JSONWriter.writeString(file.path, to: &out)
            if let size = file.size { member("size", String(size), &out) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    private static func member(_ key: StaticString, _ number: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: "\":".utf8)
        out.append(contentsOf: number.utf8)
    }
}
