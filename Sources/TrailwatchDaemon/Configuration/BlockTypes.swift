import TrailwatchConfiguration
import TrailwatchCore
import TrailwatchSinks

/// The registries: every source and sink type the configuration accepts, by `type`.
public enum ConfigurationTypes {
    /// Members every source takes.
    public static let commonSourceMembers: Set<String> = ["name", "type", "max_line_bytes"]
    /// Members every sink takes.
    public static let commonSinkMembers: Set<String> = ["name", "type", "max_attempts", "max_age", "batch"]

    public static let sources: [String: BlockType<SourceConfiguration.Kind>] = [
        "file": BlockType(FileSourceBlock.self) { .file(paths: $0.paths, startAt: $0.startAt) },
        "stdin": BlockType(members: []) { _, _ in .stdin },
    ]

    /// Every sink type of `SinkTypes.all` (the sinks' own registry, one line per sink).
    public static let sinks: [String: BlockType<any SinkSettings>] = Dictionary(
        uniqueKeysWithValues: SinkTypes.all.map { type in (type.type, BlockType(members: type.members) { decoder, object in
            type.init(from: object, decoder: &decoder)
        }) })
}

extension SourceConfiguration.StartPosition: CaseIterable {
    public static var allCases: [Self] { [.beginning, .end] }
}

/// `{"type": "file", "paths": ["/var/log/at/*.jsonl"], "start_at": "beginning"}`
struct FileSourceBlock: ConfigurationBlock {
    static let members: Set<String> = ["paths", "start_at"]
    var paths: [String]
    var startAt: SourceConfiguration.StartPosition

    init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var paths: [LocatedString] = []
        if let node = decoder.required(block, "paths", "the files to follow (paths or globs like \"/var/log/at/*.jsonl\")") {
            paths = decoder.decodeStringList(node, at: block.path["paths"], emptyHint: "give at least one file or glob") {
                $0.decodePath($1, at: $2, allowGlob: true)
            } ?? []
            decoder.rejectDuplicates(paths, what: "path")
        }
        var startAt = SourceConfiguration.StartPosition.beginning
        if let node = block["start_at"] {
            startAt = decoder.decodeChoice(node, at: block.path["start_at"]) ?? .beginning
        }
        guard decoder.diagnostics.count == before else { return nil }
        self.paths = paths.map(\.value)
        self.startAt = startAt
    }
}
