// TEMPORARY lead stub until the sources land.
import Logging
public enum StartPosition { case beginning, end }
public final class FileSource: EventSource {
    public let name: String
    public init(name: String, patterns: [String], startAt: StartPosition, limits: SourceLimits, resumeFrom: SourceCheckpoint?, logger: Logger) throws { self.name = name }
    public var wakeDescriptor: Int32? { nil }
    public func read(limit: Int, _ body: (SourceItem) throws -> Void) throws -> Int { 0 }
    public var checkpoint: SourceCheckpoint { SourceCheckpoint() }
    public var isFinished: Bool { false }
    public func close() {}
}
public final class StdinSource: EventSource {
    public let name: String
    public init(name: String, fileDescriptor: Int32 = 0, limits: SourceLimits, logger: Logger) { self.name = name }
    public var wakeDescriptor: Int32? { nil }
    public func read(limit: Int, _ body: (SourceItem) throws -> Void) throws -> Int { 0 }
    public var checkpoint: SourceCheckpoint { SourceCheckpoint() }
    public var isFinished: Bool { false }
    public func close() {}
}
