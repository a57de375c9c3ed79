#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the file a saved position describes, by (device, inode), after a restart: at its saved path,
/// or, when it was rotated while the daemon was stopped, under any name in the patterns' directories.
///
/// A candidate must also be at least as long as the saved offset and carry the saved fingerprint, so a
/// new file that reused the inode is never taken for the old one.
struct CheckpointLocator {
    enum Outcome {
        /// The saved file: continue at the saved offset. `path` is where it is now.
        case resume(descriptor: Int32, status: FileStatus, path: String)
        /// The file at the saved path with the saved inode, but shorter than the offset or with other
        /// first bytes (truncated or rewritten while stopped): read it from the start.
        case restart(descriptor: Int32, status: FileStatus, path: String, reason: String)
        /// Not found anywhere: the unread rest of it is lost.
        case gone(reason: String)
        /// Found but cannot be opened now (permissions): keep the position and try again later.
        case unreadable(path: String, error: SystemError)
    }

    /// Directories searched for a file that is no longer at its saved path.
    var directories: [String]

    func locate(_ position: FilePosition) -> Outcome {
        let wanted = FileIdentity(device: position.device, inode: position.inode)
        var candidates: [String] = []
        if case .success(let status) = FileStatus.of(path: position.path), status.identity == wanted {
            candidates.append(position.path)
        } else {
            let savedDirectory = position.path.lastIndex(of: "/").map {
                $0 == position.path.startIndex ? "/" : String(position.path[..<$0])
            } ?? "."
            var searched = Set<String>()
            for directory in [savedDirectory] + directories where searched.insert(directory).inserted {
                guard case .success(let entries) = listDirectory(directory) else { continue }
                for entry in entries where entry.inode == position.inode {
                    let path = joinPath(directory, entry.name)
                    if case .success(let status) = FileStatus.of(path: path), status.identity == wanted {
                        candidates.append(path)
                    }
                }
            }
        }
        guard let path = candidates.first else {
            return .gone(reason: "no file with its device and inode is left in the watched directories")
        }
        let atSavedPath = path == position.path
        let descriptor: Int32
        switch openForReading(path) {
        case .success(let fd): descriptor = fd
        case .failure(let error) where error.code == ENOENT:
            return .gone(reason: "it disappeared while being opened")
        case .failure(let error):
            return .unreadable(path: path, error: error)
        }
        guard case .success(let status) = FileStatus.of(descriptor: descriptor), status.identity == wanted else {
            close(descriptor)
            return .gone(reason: "it was replaced while being opened")
        }
        var mismatch: String?
        if status.size < position.offset {
            mismatch = "it is now \(status.size) bytes, shorter than the saved offset (truncated while stopped)"
        } else if let saved = position.fingerprint,
                  Fingerprint.compute(descriptor, length: Fingerprint.length(forOffset: position.offset)) != saved {
            mismatch = "its first bytes differ from the saved ones (rewritten while stopped, or a new file reused the inode)"
        }
        guard let mismatch else { return .resume(descriptor: descriptor, status: status, path: path) }
        if atSavedPath { return .restart(descriptor: descriptor, status: status, path: path, reason: mismatch) }
        // Under another name a mismatch means an unrelated file that reused the inode: never read it as ours.
        close(descriptor)
        return .gone(reason: "the file now holding its inode (\(path)) is another one: \(mismatch)")
    }
}
