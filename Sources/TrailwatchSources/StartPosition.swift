/// Where a file source starts reading a file it has never seen.
public enum StartPosition: String, Sendable, Equatable, Codable {
    /// From the first line: nothing already in the file is missed.
    case beginning
    /// After the last complete line present at the first start, so history is not replayed as live
    /// events. Applies only when the source has no checkpoint yet; files created later are read from
    /// their start.
    case end
}
