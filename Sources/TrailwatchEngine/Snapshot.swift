import Foundation

/// The engine's whole state, for the daemon to save after each batch and load after a restart.
///
/// Saved per rule, keyed by the rule's id and fingerprint: after a reload, a rule whose definition did not
/// change gets its state back, and a changed or new rule starts empty.
public struct EngineSnapshot: Codable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var watermark: Int64?
    public var alertsSent: Int
    public var alertsSuppressed: Int
    public var rules: [RuleSnapshot]
}

/// One rule's saved state: its groups (with suppression) as JSON.
public struct RuleSnapshot: Codable, Sendable {
    public var rule: String
    public var fingerprint: String
    public var state: Data
}

/// Why a snapshot could not be loaded.
public enum SnapshotError: Error, CustomStringConvertible {
    case unsupportedVersion(Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "snapshot version \(v) is not supported (this build reads \(EngineSnapshot.currentVersion))"
        case .corrupt(let why): "snapshot is corrupt: \(why)"
        }
    }
}
