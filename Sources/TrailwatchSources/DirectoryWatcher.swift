#if canImport(Glibc)
import Glibc

/// inotify on the directories of the patterns: its descriptor wakes the daemon when a followed file grows
/// and tells the source when files appear, move or disappear, so rotation is seen at once.
///
/// Watching the directories (not the files) sees files that do not exist yet and survives renames.
/// A file that moved elsewhere or was deleted while open is no longer reported; the daemon's fallback
/// timer covers it. Without inotify (limits reached, other systems) the periodic rescan does everything.
final class DirectoryWatcher {
    let descriptor: Int32
    private var directories: [Int32: String] = [:]
    private var watched: Set<String> = []
    /// Reused for every drain (events are small; a full buffer is simply read again).
    private let events = UnsafeMutableRawPointer.allocate(byteCount: 16 * 1024, alignment: 8)
    private let eventsSize = 16 * 1024

    private static let structuralMask: UInt32 = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)
    private static let mask: UInt32 = structuralMask | UInt32(IN_MODIFY) | UInt32(IN_ONLYDIR)

    init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    /// Watches a directory once; false when it cannot be watched (it does not exist yet, or limits).
    @discardableResult
    func watch(_ directory: String) -> Bool {
        if watched.contains(directory) { return true }
        let wd = inotify_add_watch(descriptor, directory, Self.mask)
        guard wd >= 0 else { return false }
        directories[wd] = directory
        watched.insert(directory)
        return true
    }

    func isWatching(_ directory: String) -> Bool { watched.contains(directory) }

    /// Reads every pending event; true when files may have appeared, moved or gone (rescan), false when
    /// only contents changed.
    func drain() -> Bool {
        var structural = false
        let buffer = events
        while true {
            let n = Glibc.read(descriptor, buffer, eventsSize)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            var at = 0
            while at + 16 <= n {
                let wd = buffer.load(fromByteOffset: at, as: Int32.self)
                let mask = buffer.load(fromByteOffset: at + 4, as: UInt32.self)
                let length = Int(buffer.load(fromByteOffset: at + 12, as: UInt32.self))
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { structural = true }
                if mask & Self.structuralMask != 0 { structural = true }
                if mask & UInt32(IN_IGNORED) != 0, let directory = directories.removeValue(forKey: wd) {
                    // The directory went away: watch it again when it comes back.
                    watched.remove(directory)
                    structural = true
                }
                at += 16 + length
            }
        }
        return structural
    }

    func close() { Glibc.close(descriptor) }

    deinit { events.deallocate() }
}
#else
/// Without inotify the periodic rescan finds new, rotated and deleted files.
final class DirectoryWatcher {
    let descriptor: Int32 = -1
    init?() { return nil }
    func watch(_ directory: String) -> Bool { false }
    func isWatching(_ directory: String) -> Bool { false }
    func drain() -> Bool { false }
    func close() {}
}
#endif
