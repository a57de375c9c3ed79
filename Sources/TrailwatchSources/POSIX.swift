#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file as the kernel knows it: stable across renames, which is how a rotated file is recognised.
struct FileIdentity: Hashable, Comparable, CustomStringConvertible {
    var device: UInt64
    var inode: UInt64

    static func < (a: FileIdentity, b: FileIdentity) -> Bool { (a.device, a.inode) < (b.device, b.inode) }
    var description: String { "\(device):\(inode)" }
}

/// What `stat` says about a file, reduced to what following it needs.
struct FileStatus {
    var identity: FileIdentity
    var size: UInt64
    var isRegular: Bool
    /// Zero once the file was deleted (it may still be open).
    var links: UInt64
    /// Last modification (`st_mtim`), nanoseconds since the Unix epoch.
    var modified: Int64
    /// Last status change (`st_ctim`: writes, renames, links), nanoseconds since the Unix epoch.
    var changed: Int64

    init(_ s: stat) {
        identity = FileIdentity(device: UInt64(s.st_dev), inode: UInt64(s.st_ino))
        size = UInt64(max(0, s.st_size))
        isRegular = (s.st_mode & S_IFMT) == S_IFREG
        links = UInt64(s.st_nlink)
        modified = Int64(s.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(s.st_mtim.tv_nsec)
        changed = Int64(s.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(s.st_ctim.tv_nsec)
    }

    /// `stat` of a path (following symbolic links), or the errno.
    static func of(path: String) -> Result<FileStatus, SystemError> {
        var s = stat()
        if stat(path, &s) != 0 { return .failure(SystemError(errno)) }
        return .success(FileStatus(s))
    }

    /// `fstat` of an open descriptor, or the errno.
    static func of(descriptor: Int32) -> Result<FileStatus, SystemError> {
        var s = stat()
        if fstat(descriptor, &s) != 0 { return .failure(SystemError(errno)) }
        return .success(FileStatus(s))
    }
}

/// An errno with its message, for logs and thrown errors.
struct SystemError: Error, Equatable, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { String(cString: strerror(code)) + " (errno \(code))" }
}

/// Monotonic nanoseconds, for rescans and the rotation grace period (never the wall clock).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Opens a file for reading without becoming its controlling terminal or leaking into children.
func openForReading(_ path: String) -> Result<Int32, SystemError> {
    while true {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if fd >= 0 { return .success(fd) }
        if errno != EINTR { return .failure(SystemError(errno)) }
    }
}

/// `pread` that retries on EINTR: bytes read (0 at end of file) or the errno.
func preadRetrying(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Result<Int, SystemError> {
    while true {
        let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
        if n >= 0 { return .success(n) }
        if errno != EINTR { return .failure(SystemError(errno)) }
    }
}

/// The names in a directory (without `.` and `..`) with their inode numbers, or the errno.
func listDirectory(_ path: String) -> Result<[(name: String, inode: UInt64)], SystemError> {
    guard let dir = opendir(path) else { return .failure(SystemError(errno)) }
    defer { closedir(dir) }
    var entries: [(name: String, inode: UInt64)] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                String(cString: $0)
            }
        }
        if name == "." || name == ".." { continue }
        entries.append((name, UInt64(entry.pointee.d_ino)))
    }
    return .success(entries)
}

/// Joins a directory and a name the way the pattern wrote the directory.
func joinPath(_ directory: String, _ name: String) -> String {
    directory == "." ? name : directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
