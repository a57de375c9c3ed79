#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One configured path: a fixed directory and a file name that may be a glob (`*`, `?`, `[...]`).
///
/// Only the file name may hold glob characters, so the set of directories to watch and scan is fixed.
struct PathPattern: Hashable {
    /// The pattern as configured.
    var text: String
    /// The directory part, `.` when the pattern has none.
    var directory: String
    /// The file-name part.
    var name: String
    var isGlob: Bool

    init(_ text: String) throws(FileSourceError) {
        guard !text.isEmpty else { throw .invalidPattern(text, reason: "the path is empty") }
        guard !text.hasSuffix("/") else { throw .invalidPattern(text, reason: "the path names a directory, not a file") }
        let slash = text.lastIndex(of: "/")
        let directory = slash.map { $0 == text.startIndex ? "/" : String(text[..<$0]) } ?? "."
        let name = slash.map { String(text[text.index(after: $0)...]) } ?? text
        if Self.hasGlob(directory) {
            throw .invalidPattern(text, reason: "glob characters are allowed only in the file name, not in the directory")
        }
        self.text = text
        self.directory = directory
        self.name = name
        self.isGlob = Self.hasGlob(name)
    }

    static func hasGlob(_ s: String) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// Whether a file name in `directory` is matched. A glob's `*` does not match a leading dot.
    func matches(name candidate: String) -> Bool {
        isGlob ? fnmatch(name, candidate, FNM_PERIOD) == 0 : candidate == name
    }

    /// The full path of a name in this pattern's directory.
    func path(of candidate: String) -> String { joinPath(directory, candidate) }
}

/// Why a file source could not be created.
public enum FileSourceError: Error, CustomStringConvertible, Equatable {
    case invalidPattern(String, reason: String)
    case noPatterns

    public var description: String {
        switch self {
        case .invalidPattern(let pattern, let reason): "invalid file pattern '\(pattern)': \(reason)"
        case .noPatterns: "a file source needs at least one path"
        }
    }
}
