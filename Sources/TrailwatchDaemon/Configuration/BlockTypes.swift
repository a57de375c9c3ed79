import TrailwatchCore

/// How one `type` of a polymorphic block (a source, a sink) is read: the members it takes and a decoder.
///
/// Adding a type is one decoder and one line in `ConfigurationTypes`. The members common to every block of
/// its kind (`name`, `type`, and `max_line_bytes` for sources) are read by the loader and must not be listed.
public struct BlockType<Kind: Sendable>: Sendable {
    /// Members this type takes besides the common ones; any other member is reported as unknown.
    public var members: Set<String>
    /// Decodes the block (its unknown members are already reported); nil after reporting a problem.
    public var decode: @Sendable (inout ConfigDecoder, ConfigObject) -> Kind?

    public init(members: Set<String>, decode: @escaping @Sendable (inout ConfigDecoder, ConfigObject) -> Kind?) {
        self.members = members
        self.decode = decode
    }

    /// A type whose settings are their own struct, kept beside the code that uses them (a sink's folder).
    public init<Block: ConfigurationBlock>(_ block: Block.Type, _ wrap: @escaping @Sendable (Block) -> Kind) {
        self.init(members: Block.members) { decoder, object in Block(from: object, decoder: &decoder).map(wrap) }
    }
}

/// A source's or sink's own settings, decoded from its configuration block.
///
/// ```swift
/// struct WebhookSinkConfiguration: ConfigurationBlock {
///     static let members: Set<String> = ["url", "timeout"].union(ConfigDecoder.secretMembers("token"))
///     var url: String; var token: SecretReference
///     init?(from block: ConfigObject, decoder: inout ConfigDecoder) { ... }
/// }
/// // registry line: "webhook": BlockType(WebhookSinkConfiguration.self) { .webhook($0) },
/// ```
public protocol ConfigurationBlock: Sendable {
    /// Members this block takes besides the common ones (`name`, `type`, ...).
    static var members: Set<String> { get }
    /// Nil after reporting every problem to `decoder` (unknown members are already reported).
    init?(from block: ConfigObject, decoder: inout ConfigDecoder)
}

/// The registries: every source and sink type the configuration accepts, by `type`.
public enum ConfigurationTypes {
    /// Members every source takes.
    public static let commonSourceMembers: Set<String> = ["name", "type", "max_line_bytes"]
    /// Members every sink takes.
    public static let commonSinkMembers: Set<String> = ["name", "type"]

    public static let sources: [String: BlockType<SourceConfiguration.Kind>] = [
        "file": BlockType(FileSourceBlock.self) { .file(paths: $0.paths, startAt: $0.startAt) },
        "stdin": BlockType(members: []) { _, _ in .stdin },
    ]

    public static let sinks: [String: BlockType<SinkConfiguration.Kind>] = [
        "file": BlockType(FileSinkBlock.self) { .file(path: $0.path) },
        "stdout": BlockType(StdoutSinkBlock.self) { .stdout(format: $0.format) },
    ]
}

extension SourceConfiguration.StartPosition: CaseIterable {
    public static var allCases: [Self] { [.beginning, .end] }
}

extension SinkConfiguration.OutputFormat: CaseIterable {
    public static var allCases: [Self] { [.json, .text] }
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

/// `{"type": "file", "path": "/var/log/trailwatch/alerts.jsonl"}`
struct FileSinkBlock: ConfigurationBlock {
    static let members: Set<String> = ["path"]
    var path: String

    init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        guard let node = decoder.required(block, "path", "the file alerts are appended to"),
              let path = decoder.decodePath(node, at: block.path["path"], file: true) else { return nil }
        self.path = path
    }
}

/// `{"type": "stdout", "format": "text"}`
struct StdoutSinkBlock: ConfigurationBlock {
    static let members: Set<String> = ["format"]
    var format: SinkConfiguration.OutputFormat

    init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        guard let node = block["format"] else {
            format = .json
            return
        }
        guard let format: SinkConfiguration.OutputFormat = decoder.decodeChoice(node, at: block.path["format"]) else { return nil }
        self.format = format
    }
}
