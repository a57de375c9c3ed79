#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds, after a restart, the rotated files of a chain that the checkpoint cannot know: files created at
/// the chain's path and rotated away entirely while the daemon was stopped (or before a checkpoint that
/// knew them was committed).
///
/// A rotated sibling of `base` (the chain's file name) is a regular file in the same directory named
/// `<base>.<suffix>` or `<base>-<suffix>`, the suffix starting with a digit (logrotate's `.1`, `.2`, its
/// `dateext` `-20261121`), not compressed (`.gz`, `.bz2`, `.xz`, `.zst`, …: those are copies of lines
/// already in another file). It is taken when it was modified at or after `since` (the newest checkpointed
/// file of the chain): older ones were read before the checkpoint. This works whichever way the numbers
/// go (`.1` newest as logrotate does, or the highest newest).
struct RotatedSiblings {
    struct Sibling {
        var path: String
        var status: FileStatus
    }

    static let compressedExtensions = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".z", ".zip", ".br"]

    /// Whether `name` is a rotated name of `base`.
    static func isRotatedName(_ name: String, of base: String) -> Bool {
        guard name.count > base.count + 1, name.hasPrefix(base) else { return false }
        let rest = name.dropFirst(base.count)
        guard rest.first == "." || rest.first == "-" else { return false }
        guard let first = rest.dropFirst().first, first.isASCII, first.isNumber else { return false }
        let lowered = rest.lowercased()
        return !compressedExtensions.contains { lowered.hasSuffix($0) }
    }

    /// Rotated siblings of `base` in `directory` modified at or after `since` (when the modification time
    /// is the same, changed at or after `sinceChanged`, if given), except `excluded` identities and names
    /// `isMatched` (a pattern follows those itself). Oldest first: by modification time, then change
    /// time, then inode, then name.
    static func find(directory: String, base: String, since: Int64, sinceChanged: Int64?,
                     excluded: Set<FileIdentity>, isMatched: (String) -> Bool) -> [Sibling] {
        guard case .success(let entries) = listDirectory(directory) else { return [] }
        var found: [Sibling] = []
        var seen = Set<FileIdentity>()
        for entry in entries where isRotatedName(entry.name, of: base) {
            let path = joinPath(directory, entry.name)
            guard !isMatched(path), case .success(let status) = FileStatus.of(path: path), status.isRegular,
                  !excluded.contains(status.identity), seen.insert(status.identity).inserted else { continue }
            if status.modified < since { continue }
            if status.modified == since, let sinceChanged, status.changed < sinceChanged { continue }
            found.append(Sibling(path: path, status: status))
        }
        return found.sorted {
            ($0.status.modified, $0.status.changed, $0.status.identity.inode, $0.path)
                < ($1.status.modified, $1.status.changed, $1.status.identity.inode, $1.path)
        }
    }
}
