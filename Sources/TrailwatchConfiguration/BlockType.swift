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
